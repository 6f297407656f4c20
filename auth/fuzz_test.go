package auth

import (
	"crypto/ed25519"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
)

// FuzzVerifyProof: no input panics, and no input other than the one valid
// proof is accepted. The seed proof is deterministic (fixed Ed25519 key,
// fixed claims) so every fuzz worker process agrees on it; Ed25519 signatures
// are not malleable and base64url decoding is strict, so any mutation must
// fail.
func FuzzVerifyProof(f *testing.F) {
	const token = "the.access.token"
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i * 7)
	}
	ed := ed25519.NewKeyFromSeed(seed)
	claims := map[string]any{"htm": "GET", "htu": testURL, "iat": testNow.Unix(), "jti": "fuzz-jti", "ath": TokenHash(token)}
	valid := compact(f, proofHeader(f, "EdDSA", ed), claims, jwa.EdDSA, ed)
	if _, err := VerifyProof(valid, "GET", testURL, token, testNow, ProofOptions{}); err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add("")
	f.Add("..")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := VerifyProof(s, "GET", testURL, token, testNow, ProofOptions{})
		if err == nil && s != valid {
			t.Fatalf("accepted a mutated proof (alg %s)", p.Alg)
		}
		if err != nil && p != nil {
			t.Fatal("non-nil proof with error")
		}
	})
}
