package testissuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// Key is a client's ES256 DPoP key pair.
type Key struct {
	Private *ecdsa.PrivateKey
	thumb   string
	pub     map[string]any
}

// NewKey generates a fresh P-256 DPoP key.
func NewKey() (*Key, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return KeyFrom(priv)
}

// KeyFrom wraps an existing P-256 private key.
func KeyFrom(priv *ecdsa.PrivateKey) (*Key, error) {
	pk, err := jwk.FromRaw(priv.Public())
	if err != nil {
		return nil, err
	}
	tp, err := pk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	m, err := jsonMap(pk)
	if err != nil {
		return nil, err
	}
	return &Key{Private: priv, thumb: base64.RawURLEncoding.EncodeToString(tp), pub: m}, nil
}

// Thumbprint is the RFC 7638 SHA-256 thumbprint of the public key,
// base64url without padding (the value of a token's cnf.jkt).
func (k *Key) Thumbprint() string { return k.thumb }

// PublicJWK returns a copy of the public key as a JWK object.
func (k *Key) PublicJWK() map[string]any { return copyMap(k.pub) }

// PrivateJWK returns the private key as a JWK object (for tests that put a
// private key into a proof header, which a server must refuse).
func (k *Key) PrivateJWK() (map[string]any, error) {
	pk, err := jwk.FromRaw(k.Private)
	if err != nil {
		return nil, err
	}
	return jsonMap(pk)
}

// ProofHeader is the protected header of a proof signed by k:
// typ dpop+jwt, alg ES256 and the public jwk.
func (k *Key) ProofHeader() map[string]any {
	return map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": k.PublicJWK()}
}

// ProofClaims are the claims of a proof: htm, htu, iat, a fresh jti and,
// when accessToken is not empty, ath = base64url(SHA-256(accessToken)).
func ProofClaims(method, htu, accessToken string, iat time.Time) map[string]any {
	c := map[string]any{"htm": method, "htu": htu, "iat": iat.Unix(), "jti": NewJTI()}
	if accessToken != "" {
		c["ath"] = TokenHash(accessToken)
	}
	return c
}

// Proof returns a DPoP proof (RFC 9449) for method and htu, bound to
// accessToken (empty: no ath), issued at iat, with a fresh jti.
func (k *Key) Proof(method, htu, accessToken string, iat time.Time) (string, error) {
	return k.SignCompact(k.ProofHeader(), ProofClaims(method, htu, accessToken, iat))
}

// SignCompact signs exactly the given header and claims with k (ES256).
// Tests use it to build proofs with chosen defects.
func (k *Key) SignCompact(header, claims map[string]any) (string, error) {
	return Compact(header, claims, jwa.ES256, k.Private)
}

// Compact builds a compact JWS over exactly the given header and claims,
// signed with alg and key. A nil key yields an empty signature (the form
// of an alg "none" JWS).
func Compact(header, claims map[string]any, alg jwa.SignatureAlgorithm, key any) (string, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	if key == nil {
		return input + ".", nil
	}
	s, err := jws.NewSigner(alg)
	if err != nil {
		return "", err
	}
	sig, err := s.Sign([]byte(input), key)
	if err != nil {
		return "", fmt.Errorf("testissuer: sign %s: %w", alg, err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// TokenHash is the ath value for accessToken.
func TokenHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// NewJTI returns a random identifier (128 bits, base64url).
func NewJTI() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func jsonMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
