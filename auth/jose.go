package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// Size limits, checked before any decoding.
const (
	maxProofBytes = 8 << 10  // a DPoP proof with an RSA-8192 jwk is ~3 KiB
	maxTokenBytes = 32 << 10 // access tokens
	minRSABits    = 2048
	maxRSABits    = 8192 // bounds verification cost
)

// b64 is strict: no padding and no non-zero trailing bits, so every segment has
// exactly one accepted encoding (a mutated signature never decodes to the same
// bytes).
var b64 = base64.RawURLEncoding.Strict()

// verifiers holds a jws.Verifier for every accepted algorithm. Only asymmetric
// algorithms are listed: "none" and HS* are absent and therefore refused.
var verifiers = func() map[string]jws.Verifier {
	m := map[string]jws.Verifier{}
	for _, a := range []jwa.SignatureAlgorithm{
		jwa.RS256, jwa.RS384, jwa.RS512,
		jwa.PS256, jwa.PS384, jwa.PS512,
		jwa.ES256, jwa.ES384, jwa.ES512,
		jwa.EdDSA,
	} {
		v, err := jws.NewVerifier(a)
		if err != nil {
			panic("auth: jwx verifier for " + a.String() + ": " + err.Error())
		}
		m[a.String()] = v
	}
	return m
}()

// joseHeader holds the protected header members this package looks at.
type joseHeader struct {
	Alg  string          `json:"alg"`
	Typ  string          `json:"typ"`
	Kid  string          `json:"kid"`
	JWK  json.RawMessage `json:"jwk"`
	Crit json.RawMessage `json:"crit"`
}

// compactJWS is a split, decoded JWS in compact serialisation. Nothing in it is
// trusted until verify has succeeded.
type compactJWS struct {
	signingInput string // header "." payload, as received
	header       joseHeader
	payload      []byte
	sig          []byte
}

// parseCompact splits and decodes a compact JWS. It returns only fixed
// reasons, never text from the input.
func parseCompact(s string) (*compactJWS, string) {
	h, rest, ok := strings.Cut(s, ".")
	if !ok {
		return nil, "not a compact JWS"
	}
	p, sg, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(sg, ".") {
		return nil, "not a compact JWS"
	}
	if h == "" || p == "" || sg == "" {
		return nil, "empty JWS segment"
	}
	hb, err := b64.DecodeString(h)
	if err != nil {
		return nil, "header is not base64url"
	}
	var c compactJWS
	if err := json.Unmarshal(hb, &c.header); err != nil {
		return nil, "header is not a JSON object"
	}
	if len(c.header.Crit) > 0 {
		// No extensions are understood, so any crit list must be refused
		// (RFC 7515 §4.1.11); this also refuses unencoded payloads (RFC 7797).
		return nil, "unsupported crit header"
	}
	if _, ok := verifiers[c.header.Alg]; !ok {
		return nil, "alg not allowed (asymmetric algorithms only)"
	}
	if c.payload, err = b64.DecodeString(p); err != nil {
		return nil, "payload is not base64url"
	}
	if pl := bytes.TrimLeft(c.payload, " \t\r\n"); len(pl) == 0 || pl[0] != '{' {
		return nil, "claims are not a JSON object"
	}
	if c.sig, err = b64.DecodeString(sg); err != nil {
		return nil, "signature is not base64url"
	}
	c.signingInput = s[:len(h)+1+len(p)]
	return &c, ""
}

// checkKeyForAlg reports whether raw is a public key usable with alg: right
// key type, right curve, sane RSA size. It returns a fixed reason or "".
func checkKeyForAlg(alg string, raw any) string {
	switch alg {
	case "ES256", "ES384", "ES512":
		k, ok := raw.(*ecdsa.PublicKey)
		if !ok {
			return "key type does not match alg"
		}
		want := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[alg]
		if k.Curve != want {
			return "key curve does not match alg"
		}
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		k, ok := raw.(*rsa.PublicKey)
		if !ok {
			return "key type does not match alg"
		}
		if n := k.N.BitLen(); n < minRSABits || n > maxRSABits {
			return "RSA key size not allowed"
		}
	case "EdDSA":
		k, ok := raw.(ed25519.PublicKey)
		if !ok || len(k) != ed25519.PublicKeySize {
			return "key type does not match alg"
		}
	default:
		return "alg not allowed (asymmetric algorithms only)"
	}
	return ""
}

// rawPublic extracts the raw public key of k. If allowPrivate is false, a key
// carrying private material is refused ("" reason on success).
func rawPublic(k jwk.Key, allowPrivate bool) (any, string) {
	switch k.(type) {
	case jwk.ECDSAPublicKey, jwk.RSAPublicKey, jwk.OKPPublicKey:
	case jwk.ECDSAPrivateKey, jwk.RSAPrivateKey, jwk.OKPPrivateKey:
		if !allowPrivate {
			return nil, "jwk contains private key material"
		}
		pk, err := k.PublicKey()
		if err != nil {
			return nil, "unusable jwk"
		}
		k = pk
	default:
		return nil, "jwk is not an asymmetric public key"
	}
	var raw any
	if err := k.Raw(&raw); err != nil {
		return nil, "unusable jwk"
	}
	return raw, ""
}

// verifySig checks the signature of c with raw (already checked with
// checkKeyForAlg against c.header.Alg).
func (c *compactJWS) verifySig(raw any) bool {
	v := verifiers[c.header.Alg]
	return v.Verify([]byte(c.signingInput), c.sig, raw) == nil
}

// numericDate validates a JWT NumericDate and returns whole seconds.
func numericDate(f *float64) (int64, bool) {
	if f == nil {
		return 0, false
	}
	v := *f
	if v != v || v < 0 || v > 1<<40 { // NaN, negative or absurdly far
		return 0, false
	}
	return int64(v), true
}
