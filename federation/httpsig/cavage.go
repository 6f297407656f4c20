package httpsig

import (
	"crypto/rsa"
	"encoding/base64"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	gts "code.superseriousbusiness.org/httpsig"
)

// parseCavage checks a draft-cavage-12 signature up to the point where the
// key is needed.
func (v *Verifier) parseCavage(m *message, body []byte) (*candidate, error) {
	sigs := m.header.Values("Signature")
	if len(sigs) != 1 {
		return nil, reject(ErrDuplicate, "%d Signature headers", len(sigs))
	}
	params, err := cavageParams(sigs[0])
	if err != nil {
		return nil, err
	}
	keyID := params["keyId"]
	if keyID == "" || params["signature"] == "" {
		return nil, reject(ErrMalformed, "keyId or signature missing")
	}
	// The algorithm parameter is advisory (hs2019 hides it); the key decides.
	// Only RSA keys are resolved, verified with PKCS #1 v1.5 and SHA-256.
	switch strings.ToLower(params["algorithm"]) {
	case "", "rsa-sha256", "hs2019":
	default:
		return nil, reject(ErrAlgorithm, "algorithm %q", params["algorithm"])
	}

	// Required coverage (SECURITY row 37): the library signs the listed
	// headers in the listed order, so what is listed is what is covered.
	covered := map[string]bool{}
	names := strings.Split(strings.ToLower(params["headers"]), " ")
	for _, h := range names {
		if h == "" {
			return nil, reject(ErrMalformed, "empty name in headers")
		}
		if covered[h] {
			return nil, reject(ErrDuplicate, "header %q listed twice", h)
		}
		covered[h] = true
	}
	required := []string{"(request-target)", "host", "date"}
	if bodyMethod(m.method) {
		required = append(required, "digest")
	}
	for _, h := range required {
		if !covered[h] {
			return nil, reject(ErrNotCovered, "%q not signed", h)
		}
	}
	if err := v.checkDate(m.header); err != nil {
		return nil, err
	}
	if covered["digest"] {
		if err := cavageDigest(m.header.Values("Digest"), body); err != nil {
			return nil, err
		}
	}

	// The library's view of the request: the signed headers only, Host as
	// received, and the request target as sent (it writes URL.Path and
	// RawQuery verbatim into "(request-target)").
	h := http.Header{"Signature": sigs}
	for _, name := range names {
		switch name {
		case "(request-target)", "(created)", "(expires)":
		case "host":
			h["Host"] = []string{m.host}
		default:
			k := textproto.CanonicalMIMEHeaderKey(name)
			if vals := m.header.Values(k); len(vals) > 0 {
				h[k] = vals
			}
		}
	}
	view := &http.Request{Method: m.method, URL: &url.URL{Path: m.path(), RawQuery: m.query()}, Header: h}
	gv, err := gts.NewVerifier(view)
	if err != nil {
		return nil, reject(ErrMalformed, "%v", err)
	}
	if gv.KeyId() != keyID {
		return nil, reject(ErrMalformed, "keyId parsed two ways")
	}
	// "(request-target)" is "<method> <path>?<query>" by the draft, but
	// Mastodon and Fedify sign (and check) the path alone; GoToSocial
	// accepts both, and so does this.
	withQuery := m.query() != ""
	return &candidate{
		scheme: Cavage,
		keyID:  keyID,
		verify: func(k *rsa.PublicKey) error {
			err := gv.Verify(k, gts.RSA_SHA256)
			if err != nil && withQuery {
				err = gv.VerifyWithOptions(k, gts.RSA_SHA256, gts.SignatureOption{ExcludeQueryStringFromPathPseudoHeader: true})
			}
			return err
		},
	}, nil
}

// cavageDigest checks a Digest header (RFC 3230: "SHA-256=<base64>", comma
// separated) against the body.
func cavageDigest(values []string, body []byte) error {
	if len(values) == 0 {
		return reject(ErrDigest, "no Digest header")
	}
	claims := map[string][]byte{}
	for _, v := range values {
		for _, d := range strings.Split(v, ",") {
			alg, b64, ok := strings.Cut(strings.TrimSpace(d), "=")
			if !ok {
				return reject(ErrDigest, "malformed Digest")
			}
			alg = strings.ToLower(alg)
			if _, dup := claims[alg]; dup {
				return reject(ErrDuplicate, "Digest %s twice", alg)
			}
			raw, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return reject(ErrDigest, "Digest %s is not base64", alg)
			}
			claims[alg] = raw
		}
	}
	return matchDigests(claims, body)
}
