package auth

import (
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
)

func BenchmarkVerifyProof(b *testing.B) {
	const token = "the.access.token"
	p := goodProof(b, token)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := VerifyProof(p, "GET", testURL, token, testNow, ProofOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyCachedToken is the per-request work for an authenticated
// DPoP request whose token is already verified: Authorization parsing, proof
// verification (ES256), token cache lookup, cnf.jkt binding and the jti
// replay check (each iteration uses a fresh proof).
func BenchmarkVerifyCachedToken(b *testing.B) {
	k := keys(b)
	token := signToken(b, tokenClaimsFor(thumbprint(b, k.ec.Public())))
	tok, err := VerifyAccessToken(token, issuerSet(b), testNow, TokenOptions{Issuer: testIssuer})
	if err != nil {
		b.Fatal(err)
	}
	tokens := NewTokenCache(0)
	tokens.Put(token, tok, testNow)
	replay := NewReplayCache(0)
	hdr := proofHeader(b, "ES256", k.ec)
	proofs := make([]string, b.N)
	for i := range proofs {
		proofs[i] = compact(b, hdr, proofClaimsFor("GET", testURL, token, testNow), jwa.ES256, k.ec)
	}
	authz := "DPoP " + token
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		scheme, tk, err := ParseAuthorization(authz)
		if err != nil || scheme != "DPoP" {
			b.Fatal(err)
		}
		p, err := VerifyProof(proofs[i], "GET", testURL, tk, testNow, ProofOptions{})
		if err != nil {
			b.Fatal(err)
		}
		t, ok := tokens.Get(tk, testNow)
		if !ok {
			b.Fatal("cache miss")
		}
		if err := Bind(t, p); err != nil {
			b.Fatal(err)
		}
		if err := replay.Use(p, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyAccessToken(b *testing.B) {
	k := keys(b)
	token := signToken(b, tokenClaimsFor(thumbprint(b, k.ec.Public())))
	set := issuerSet(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := VerifyAccessToken(token, set, testNow, TokenOptions{Issuer: testIssuer}); err != nil {
			b.Fatal(err)
		}
	}
}
