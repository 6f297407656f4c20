package httpsig

import (
	"crypto/rsa"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	gts "code.superseriousbusiness.org/httpsig"
)

// signCavageCovering signs r with the cavage library over exactly the given
// headers, so a test can make a well-signed request that leaves something
// out.
func signCavageCovering(t *testing.T, r *http.Request, key *rsa.PrivateKey, keyID string, headers []string, body []byte) {
	t.Helper()
	s, _, err := gts.NewSigner([]gts.Algorithm{gts.RSA_SHA256}, gts.DigestSha256, headers, gts.Signature, 0)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Host", r.URL.Host)
	if err := s.SignRequest(key, keyID, r, body); err != nil {
		t.Fatal(err)
	}
	r.Header.Del("Host")
}

func TestCavageRoundTrip(t *testing.T) {
	k, _ := testKeys(t)
	v := testVerifier(newKeyring(alicePublic(k)))
	body := []byte(activity)

	post := outgoingPOST(t, inboxURL+"?x=1", body)
	if err := Sign(post, aliceKeyID, k, body); err != nil {
		t.Fatal(err)
	}
	sig := post.Header.Get("Signature")
	for _, want := range []string{`keyId="` + aliceKeyID + `"`, `algorithm="rsa-sha256"`, `headers="(request-target) host date digest"`} {
		if !strings.Contains(sig, want) {
			t.Errorf("Signature %q lacks %s", sig, want)
		}
	}
	if d := post.Header.Get("Digest"); !strings.HasPrefix(d, "SHA-256=") {
		t.Errorf("Digest = %q", d)
	}
	got, err := v.Verify(asReceived(post, body), body)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	if got.KeyID != aliceKeyID || got.Owner != aliceActor || got.Scheme != Cavage {
		t.Errorf("POST verified as %+v", got)
	}

	get, _ := http.NewRequest(http.MethodGet, publicURL+"/.ap/actors/bob", nil)
	get.Header.Set("Date", fixedNow.Format(http.TimeFormat))
	if err := Sign(get, aliceKeyID, k, nil); err != nil {
		t.Fatal(err)
	}
	if sig := get.Header.Get("Signature"); !strings.Contains(sig, `headers="(request-target) host date"`) {
		t.Errorf("GET Signature %q", sig)
	}
	if get.Header.Get("Digest") != "" {
		t.Error("a GET got a Digest")
	}
	if _, err := v.Verify(asReceived(get, nil), nil); err != nil {
		t.Fatalf("GET: %v", err)
	}
}

// Sign sets Date when the request has none.
func TestCavageSignSetsDate(t *testing.T) {
	k, _ := testKeys(t)
	r, _ := http.NewRequest(http.MethodGet, publicURL+"/.ap/actors/bob", nil)
	if err := Sign(r, aliceKeyID, k, nil); err != nil {
		t.Fatal(err)
	}
	d, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil || time.Since(d) > time.Minute {
		t.Fatalf("Date %q: %v", r.Header.Get("Date"), err)
	}
	if r.Header.Get("Host") != "" {
		t.Error("Sign left a Host entry in the header map")
	}
}

// SECURITY rows 37 and 38 for draft-cavage signatures: every case is a
// request that a plain signature check would accept or that is signed
// correctly but incompletely; each must be refused with its reason, before
// any key is fetched unless the signature itself is what is wrong.
func TestCavageBadInput(t *testing.T) {
	k, other := testKeys(t)
	body := []byte(activity)
	full := []string{"(request-target)", "host", "date", "digest"}
	stdSign := func(t *testing.T, r *http.Request) { signCavageCovering(t, r, k, aliceKeyID, full, body) }

	cases := []struct {
		name     string
		method   string
		target   string
		before   func(r *http.Request)               // before signing
		sign     func(t *testing.T, r *http.Request) // default: stdSign
		after    func(r *http.Request, body *[]byte) // on the received request
		want     error                               // nil: accepted
		keyFetch bool                                // the key may be fetched
	}{
		{name: "ok", want: nil, keyFetch: true},
		{name: "row37 body changed after signing", after: func(r *http.Request, b *[]byte) {
			*b = []byte(strings.Replace(string(*b), "Like", "Announce", 1))
		}, want: ErrDigest},
		{name: "row37 body changed and Digest recomputed", after: func(r *http.Request, b *[]byte) {
			*b = []byte(strings.Replace(string(*b), "Like", "Announce", 1))
			r.Header.Set("Digest", "SHA-256="+b64sha256(*b))
		}, want: ErrBadSignature, keyFetch: true},
		{name: "row37 Digest missing", sign: func(t *testing.T, r *http.Request) {
			signCavageCovering(t, r, k, aliceKeyID, []string{"(request-target)", "host", "date"}, nil)
		}, want: ErrNotCovered},
		{name: "row37 Digest header removed", after: func(r *http.Request, _ *[]byte) { r.Header.Del("Digest") }, want: ErrDigest},
		{name: "row37 Digest wrong", before: func(r *http.Request) {
			r.Header.Set("Digest", "SHA-256="+b64sha256([]byte("something else")))
		}, sign: func(t *testing.T, r *http.Request) {
			signCavageCovering(t, r, k, aliceKeyID, full, nil) // keeps the wrong Digest, signs it
		}, want: ErrDigest},
		{name: "row37 Digest of an unknown algorithm only", before: func(r *http.Request) {
			r.Header.Set("Digest", "MD5=1B2M2Y8AsgTpgAmY7PhCfg==")
		}, sign: func(t *testing.T, r *http.Request) { signCavageCovering(t, r, k, aliceKeyID, full, nil) }, want: ErrDigest},
		{name: "row37 Digest not base64", before: func(r *http.Request) { r.Header.Set("Digest", "SHA-256=***") },
			sign: func(t *testing.T, r *http.Request) { signCavageCovering(t, r, k, aliceKeyID, full, nil) }, want: ErrDigest},
		{name: "row37 date not signed", sign: func(t *testing.T, r *http.Request) {
			signCavageCovering(t, r, k, aliceKeyID, []string{"(request-target)", "host", "digest"}, body)
		}, want: ErrNotCovered},
		{name: "row37 host not signed", sign: func(t *testing.T, r *http.Request) {
			signCavageCovering(t, r, k, aliceKeyID, []string{"(request-target)", "date", "digest"}, body)
		}, want: ErrNotCovered},
		{name: "row37 request-target not signed", sign: func(t *testing.T, r *http.Request) {
			signCavageCovering(t, r, k, aliceKeyID, []string{"host", "date", "digest"}, body)
		}, want: ErrNotCovered},
		{name: "row37 no headers parameter (date only by default)", sign: stdSign, after: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Signature", dropParam(r.Header.Get("Signature"), "headers"))
		}, want: ErrMalformed},
		{name: "row37 signed for another host", target: "https://other.example/alice/inbox/", after: func(r *http.Request, _ *[]byte) {
			r.Host = "other.example"
		}, want: ErrHost},
		{name: "row37 Host rewritten to ours after signing for another", target: "https://other.example/alice/inbox/", after: func(r *http.Request, _ *[]byte) {
			r.Host = "naamio.example"
		}, want: ErrBadSignature, keyFetch: true},
		{name: "row37 other path", after: func(r *http.Request, _ *[]byte) { r.RequestURI = "/bob/inbox/" },
			want: ErrBadSignature, keyFetch: true},
		{name: "row38 Date 61 minutes old", before: func(r *http.Request) {
			r.Header.Set("Date", fixedNow.Add(-61*time.Minute).Format(http.TimeFormat))
		}, want: ErrDate},
		{name: "row38 Date 61 minutes ahead", before: func(r *http.Request) {
			r.Header.Set("Date", fixedNow.Add(61*time.Minute).Format(http.TimeFormat))
		}, want: ErrDate},
		{name: "row38 Date 59 minutes old is fine", before: func(r *http.Request) {
			r.Header.Set("Date", fixedNow.Add(-59*time.Minute).Format(http.TimeFormat))
		}, want: nil, keyFetch: true},
		{name: "row38 Date unparsable", before: func(r *http.Request) { r.Header.Set("Date", "yesterday") }, want: ErrDate},
		{name: "row38 two Date headers", after: func(r *http.Request, _ *[]byte) {
			r.Header.Add("Date", fixedNow.Format(http.TimeFormat))
		}, want: ErrDate},
		{name: "row38 duplicated keyId before the real one", after: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Signature", `keyId="https://evil.example/k",`+r.Header.Get("Signature"))
		}, want: ErrDuplicate},
		{name: "row38 duplicated keyId after the real one", after: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Signature", r.Header.Get("Signature")+`,keyId="https://evil.example/k"`)
		}, want: ErrDuplicate},
		{name: "row38 duplicated headers parameter", after: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Signature", `headers="date",`+r.Header.Get("Signature"))
		}, want: ErrDuplicate},
		{name: "row38 duplicated signature parameter", after: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Signature", r.Header.Get("Signature")+`,signature="AAAA"`)
		}, want: ErrDuplicate},
		{name: "row38 two Signature headers", after: func(r *http.Request, _ *[]byte) {
			r.Header.Add("Signature", r.Header.Get("Signature"))
		}, want: ErrDuplicate},
		{name: "row38 a header listed twice", sign: func(t *testing.T, r *http.Request) {
			signCavageCovering(t, r, k, aliceKeyID, []string{"(request-target)", "host", "date", "digest", "date"}, body)
		}, want: ErrDuplicate},
		{name: "unsigned", sign: func(*testing.T, *http.Request) {}, want: ErrUnsigned},
		{name: "no keyId", after: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Signature", dropParam(r.Header.Get("Signature"), "keyId"))
		}, want: ErrMalformed},
		{name: "parameter without value", after: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Signature", r.Header.Get("Signature")+",junk")
		}, want: ErrMalformed},
		{name: "algorithm hmac-sha256", after: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `algorithm="hs2019"`, `algorithm="hmac-sha256"`, 1))
		}, want: ErrAlgorithm},
		{name: "algorithm rsa-sha256", after: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `algorithm="hs2019"`, `algorithm="rsa-sha256"`, 1))
		}, want: nil, keyFetch: true},
		{name: "signed by another key", sign: func(t *testing.T, r *http.Request) {
			signCavageCovering(t, r, other, aliceKeyID, full, body)
		}, want: ErrBadSignature, keyFetch: true},
		{name: "signature bytes not base64", after: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Signature", dropParam(r.Header.Get("Signature"), "signature")+`,signature="!!!"`)
		}, want: ErrBadSignature, keyFetch: true},
		{name: "query in (request-target), as GoToSocial signs", target: inboxURL + "?a=b", want: nil, keyFetch: true},
		{name: "GET without digest is fine", method: http.MethodGet, sign: func(t *testing.T, r *http.Request) {
			signCavageCovering(t, r, k, aliceKeyID, []string{"(request-target)", "host", "date"}, nil)
		}, want: nil, keyFetch: true},
		{name: "row37 GET without host", method: http.MethodGet, sign: func(t *testing.T, r *http.Request) {
			signCavageCovering(t, r, k, aliceKeyID, []string{"(request-target)", "date"}, nil)
		}, want: ErrNotCovered},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := c.target
			if target == "" {
				target = inboxURL
			}
			b := body
			r := outgoingPOST(t, target, b)
			if c.method != "" {
				r.Method = c.method
				b = nil
			}
			if c.before != nil {
				c.before(r)
			}
			if c.sign != nil {
				c.sign(t, r)
			} else {
				stdSign(t, r)
			}
			in := asReceived(r, b)
			if c.after != nil {
				c.after(in, &b)
			}
			kr := newKeyring(alicePublic(k))
			got, err := testVerifier(kr).Verify(in, b)
			checkVerify(t, got, err, c.want)
			if calls, _ := kr.counts(); !c.keyFetch && calls > 0 {
				t.Errorf("the key was fetched %d times for a request refused before", calls)
			}
		})
	}
}

func checkVerify(t *testing.T, got *Verified, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("refused: %v", err)
	case want == nil && got == nil:
		t.Fatal("no result")
	case want != nil && err == nil:
		t.Fatalf("accepted, want %v", want)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("err = %v, want %v", err, want)
	case want != nil && want != ErrUnsigned && !errors.Is(err, ErrRejected):
		t.Fatalf("err = %v does not match ErrRejected", err)
	}
}

// dropParam removes one parameter from a cavage Signature header.
func dropParam(sig, name string) string {
	var keep []string
	for _, p := range strings.Split(sig, ",") {
		if !strings.HasPrefix(p, name+"=") {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ",")
}
