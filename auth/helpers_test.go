package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

const (
	testURL    = "https://pod.example/alice/notes/"
	testIssuer = "https://idp.example"
	testWebID  = "https://pod.example/alice/profile/card#me"
)

var testNow = time.Unix(1_760_000_000, 0)

type testKeys struct {
	ec, ec2 *ecdsa.PrivateKey
	ec384   *ecdsa.PrivateKey
	rsa     *rsa.PrivateKey
	ed      ed25519.PrivateKey
	issEC   *ecdsa.PrivateKey // issuer signing key
	issRSA  *rsa.PrivateKey
}

var (
	keysOnce sync.Once
	tk       testKeys
)

func keys(t testing.TB) *testKeys {
	t.Helper()
	keysOnce.Do(func() {
		must := func(err error) {
			if err != nil {
				panic(err)
			}
		}
		var err error
		tk.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		tk.ec2, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		tk.ec384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		must(err)
		tk.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
		_, tk.ed, err = ed25519.GenerateKey(rand.Reader)
		must(err)
		tk.issEC, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		tk.issRSA, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
	})
	return &tk
}

// publicJWK returns the public JWK of a private key as a JSON-ready map.
func publicJWK(t testing.TB, priv crypto.Signer) map[string]any {
	t.Helper()
	k, err := jwk.FromRaw(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return jwkMap(t, k)
}

func jwkMap(t testing.TB, k jwk.Key) map[string]any {
	t.Helper()
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func thumbprint(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	k, err := jwk.FromRaw(pub)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

func enc(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// compact builds a compact JWS with exactly the given header, signed with jwx's
// signer for alg (key nil = empty signature, as for alg "none").
func compact(t testing.TB, hdr, claims map[string]any, alg jwa.SignatureAlgorithm, key any) string {
	t.Helper()
	input := enc(t, hdr) + "." + enc(t, claims)
	if key == nil {
		return input + "."
	}
	s, err := jws.NewSigner(alg)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.Sign([]byte(input), key)
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

var jtiSeq struct {
	sync.Mutex
	n int
}

func nextJTI() string {
	jtiSeq.Lock()
	defer jtiSeq.Unlock()
	jtiSeq.n++
	b, _ := json.Marshal(jtiSeq.n)
	return "jti-" + string(b)
}

func proofHeader(t testing.TB, alg string, priv crypto.Signer) map[string]any {
	return map[string]any{"typ": "dpop+jwt", "alg": alg, "jwk": publicJWK(t, priv)}
}

func proofClaimsFor(method, htu, token string, iat time.Time) map[string]any {
	c := map[string]any{"htm": method, "htu": htu, "iat": iat.Unix(), "jti": nextJTI()}
	if token != "" {
		c["ath"] = TokenHash(token)
	}
	return c
}

// goodProof is a valid ES256 proof for GET testURL with token.
func goodProof(t testing.TB, token string) string {
	k := keys(t)
	return compact(t, proofHeader(t, "ES256", k.ec), proofClaimsFor("GET", testURL, token, testNow), jwa.ES256, k.ec)
}

func tokenClaimsFor(jkt string) map[string]any {
	return map[string]any{
		"iss": testIssuer, "aud": []string{"solid", "https://app.example/id"},
		"webid": testWebID, "client_id": "https://app.example/id", "sub": "alice",
		"iat": testNow.Add(-time.Minute).Unix(), "exp": testNow.Add(time.Hour).Unix(),
		"jti": "tok-1", "cnf": map[string]any{"jkt": jkt},
	}
}

func signToken(t testing.TB, claims map[string]any) string {
	k := keys(t)
	return compact(t, map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": "iss-ec"}, claims, jwa.ES256, k.issEC)
}

func issuerSet(t testing.TB) jwk.Set {
	t.Helper()
	k := keys(t)
	set := jwk.NewSet()
	for kid, priv := range map[string]crypto.Signer{"iss-ec": k.issEC, "iss-rsa": k.issRSA} {
		pk, err := jwk.FromRaw(priv.Public())
		if err != nil {
			t.Fatal(err)
		}
		_ = pk.Set(jwk.KeyIDKey, kid)
		_ = pk.Set(jwk.KeyUsageKey, "sig")
		if err := set.AddKey(pk); err != nil {
			t.Fatal(err)
		}
	}
	return set
}
