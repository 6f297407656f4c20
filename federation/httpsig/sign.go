package httpsig

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gts "code.superseriousbusiness.org/httpsig"
	sfv "github.com/dunglas/httpsfv"
)

// Sign signs r in draft-cavage-12 form with key, whose id is keyID (the
// actor's publicKey.id), as Mastodon and GoToSocial expect: a GET or HEAD
// signs "(request-target) host date"; any other method signs
// "(request-target) host date digest" and gets "Digest: SHA-256=<base64>"
// of body (which the caller sends as r's body; Sign does not read r.Body).
// A missing Date is set to now. The Signature header names the algorithm
// rsa-sha256. "(request-target)" is the method and the path without the
// query, as Mastodon and Fedify sign and verify it (GoToSocial accepts
// both forms).
func Sign(r *http.Request, keyID string, key *rsa.PrivateKey, body []byte) error {
	if key == nil || keyID == "" {
		return errors.New("httpsig: Sign needs a key and its id")
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	if r.Header.Get("Date") == "" {
		r.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	r.Header.Del("Signature")
	headers := []string{"(request-target)", "host", "date"}
	if bodyMethod(r.Method) {
		headers = append(headers, "digest")
		r.Header.Del("Digest")
		if body == nil {
			body = []byte{}
		}
	} else {
		body = nil
	}
	signer, _, err := gts.NewSigner([]gts.Algorithm{gts.RSA_SHA256}, gts.DigestSha256, headers, gts.Signature, 0)
	if err != nil {
		return fmt.Errorf("httpsig: %w", err)
	}
	// The library reads Host from the header map; net/http sends r.Host
	// (or the URL's host) and ignores a Host header entry, so it is put
	// there only while signing.
	m := outgoing(r)
	r.Header.Set("Host", m.host)
	// The library writes URL.Path, which is decoded; peers sign and check
	// the path as sent, percent-escapes kept. It signs a view of r with
	// the escaped path; the view shares r's header map, so Digest and
	// Signature land on r.
	view := *r
	u := *r.URL
	u.Path, u.RawPath = r.URL.EscapedPath(), ""
	view.URL = &u
	err = signer.SignRequestWithOptions(key, keyID, &view, body, gts.SignatureOption{ExcludeQueryStringFromPathPseudoHeader: true})
	r.Header.Del("Host")
	if err != nil {
		return fmt.Errorf("httpsig: %w", err)
	}
	// The library always writes algorithm="hs2019". The parameter is not
	// signed; older peers only know rsa-sha256, which is what this is.
	sig := r.Header.Get("Signature")
	r.Header.Set("Signature", strings.Replace(sig, `algorithm="hs2019"`, `algorithm="rsa-sha256"`, 1))
	return nil
}

// Sign9421 signs r in RFC 9421 form the way Fedify does: label sig1,
// components "@method" "@target-uri" "@authority" "host" "date" and, for a
// method with a body, "content-digest" ("sha-256=:<base64>:" of body);
// parameters alg="rsa-v1_5-sha256", keyid and created. A Date already on
// the request is kept and gives created (so tests can sign in the past);
// otherwise both are now.
func Sign9421(r *http.Request, keyID string, key *rsa.PrivateKey, body []byte) error {
	if key == nil || keyID == "" {
		return errors.New("httpsig: Sign9421 needs a key and its id")
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	created := time.Now()
	if d := r.Header.Get("Date"); d != "" {
		t, err := http.ParseTime(d)
		if err != nil {
			return fmt.Errorf("httpsig: Date %q: %w", d, err)
		}
		created = t
	} else {
		r.Header.Set("Date", created.UTC().Format(http.TimeFormat))
	}
	names := []string{"@method", "@target-uri", "@authority", "host", "date"}
	if bodyMethod(r.Method) {
		sum := sha256.Sum256(body)
		cd := sfv.NewDictionary()
		cd.Add("sha-256", sfv.NewItem(sum[:]))
		v, err := sfv.Marshal(cd)
		if err != nil {
			return fmt.Errorf("httpsig: %w", err)
		}
		r.Header.Set("Content-Digest", v)
		names = append(names, "content-digest")
	}
	list := sfv.InnerList{Params: sfv.NewParams()}
	for _, n := range names {
		list.Items = append(list.Items, sfv.NewItem(n))
	}
	list.Params.Add("alg", algRSAv15)
	list.Params.Add("keyid", keyID)
	list.Params.Add("created", created.Unix())

	base, err := signatureBase(outgoing(r), list)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(base)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return fmt.Errorf("httpsig: %w", err)
	}
	input := sfv.NewDictionary()
	input.Add("sig1", list)
	signature := sfv.NewDictionary()
	signature.Add("sig1", sfv.NewItem(sig))
	si, err := sfv.Marshal(input)
	if err != nil {
		return fmt.Errorf("httpsig: %w", err)
	}
	s, err := sfv.Marshal(signature)
	if err != nil {
		return fmt.Errorf("httpsig: %w", err)
	}
	r.Header.Set("Signature-Input", si)
	r.Header.Set("Signature", s)
	return nil
}
