package auth

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

func TestVerifyProof(t *testing.T) {
	k := keys(t)
	const tok = "header.payload.sig"
	ec := func(hdr map[string]any, cl map[string]any) string { return compact(t, hdr, cl, jwa.ES256, k.ec) }
	hdr := func() map[string]any { return proofHeader(t, "ES256", k.ec) }
	cl := func() map[string]any { return proofClaimsFor("GET", testURL, tok, testNow) }
	with := func(m map[string]any, kv ...any) map[string]any {
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	privJWK, err := jwk.FromRaw(k.ec)
	if err != nil {
		t.Fatal(err)
	}
	octJWK, err := jwk.FromRaw([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	hs256 := func() string {
		in := enc(t, with(hdr(), "alg", "HS256")) + "." + enc(t, cl())
		m := hmac.New(sha256.New, []byte("secret"))
		m.Write([]byte(in))
		return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	flipSig := func(p string) string {
		i := strings.LastIndexByte(p, '.')
		sig, _ := base64.RawURLEncoding.DecodeString(p[i+1:])
		sig[5] ^= 1
		return p[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
	}

	tests := []struct {
		name        string
		proof       string
		method      string // default GET
		url         string // default testURL
		token       string // default tok; "-" = none
		window      time.Duration
		optionalATH bool
		wantErr     string // "" = accept
	}{
		{name: "valid ES256", proof: ec(hdr(), cl())},
		{name: "valid ES384", proof: compact(t, proofHeader(t, "ES384", k.ec384), cl(), jwa.ES384, k.ec384)},
		{name: "valid RS256", proof: compact(t, proofHeader(t, "RS256", k.rsa), cl(), jwa.RS256, k.rsa)},
		{name: "valid PS256", proof: compact(t, proofHeader(t, "PS256", k.rsa), cl(), jwa.PS256, k.rsa)},
		{name: "valid EdDSA", proof: compact(t, proofHeader(t, "EdDSA", k.ed), cl(), jwa.EdDSA, k.ed)},
		{name: "typ upper case accepted", proof: ec(with(hdr(), "typ", "DPoP+JWT"), cl())},
		{name: "no proof", proof: "", wantErr: "missing"},
		{name: "garbage", proof: "not a jwt", wantErr: "not a compact JWS"},
		{name: "four segments", proof: ec(hdr(), cl()) + ".x", wantErr: "not a compact JWS"},
		{name: "too large", proof: strings.Repeat("a", maxProofBytes+1), wantErr: "too large"},
		{name: "wrong typ", proof: ec(with(hdr(), "typ", "JWT"), cl()), wantErr: "typ"},
		{name: "missing typ", proof: ec(with(hdr(), "typ", nil), cl()), wantErr: "typ"},
		{name: "alg none", proof: compact(t, with(hdr(), "alg", "none"), cl(), "", nil), wantErr: "empty JWS segment"},
		{name: "alg none with signature", proof: compact(t, with(hdr(), "alg", "none"), cl(), jwa.ES256, k.ec), wantErr: "alg not allowed"},
		{name: "HS256", proof: hs256(), wantErr: "alg not allowed"},
		{name: "alg RS256 with EC key", proof: compact(t, with(hdr(), "alg", "RS256"), cl(), jwa.ES256, k.ec), wantErr: "key type does not match alg"},
		{name: "ES384 alg with P-256 key", proof: compact(t, with(hdr(), "alg", "ES384"), cl(), jwa.ES256, k.ec), wantErr: "curve"},
		{name: "private jwk in header", proof: ec(with(hdr(), "jwk", jwkMap(t, privJWK)), cl()), wantErr: "private key material"},
		{name: "symmetric jwk in header", proof: ec(with(hdr(), "jwk", jwkMap(t, octJWK)), cl()), wantErr: "not an asymmetric public key"},
		{name: "no jwk", proof: ec(with(hdr(), "jwk", nil), cl()), wantErr: "no jwk"},
		{name: "jwk of another key", proof: ec(with(hdr(), "jwk", publicJWK(t, k.ec2)), cl()), wantErr: "bad signature"},
		{name: "bad signature", proof: flipSig(ec(hdr(), cl())), wantErr: "bad signature"},
		{name: "crit header", proof: ec(with(hdr(), "crit", []string{"exp"}), cl()), wantErr: "crit"},
		{name: "htm mismatch", proof: ec(hdr(), cl()), method: "POST", wantErr: "htm"},
		{name: "htm lower case", proof: ec(hdr(), with(cl(), "htm", "get")), wantErr: "htm"},
		{name: "htu other host", proof: ec(hdr(), with(cl(), "htu", "https://evil.example/alice/notes/")), wantErr: "htu does not match"},
		{name: "htu other scheme", proof: ec(hdr(), with(cl(), "htu", "http://pod.example/alice/notes/")), wantErr: "htu does not match"},
		{name: "htu other port", proof: ec(hdr(), with(cl(), "htu", "https://pod.example:8443/alice/notes/")), wantErr: "htu does not match"},
		{name: "htu other path", proof: ec(hdr(), with(cl(), "htu", "https://pod.example/bob/notes/")), wantErr: "htu does not match"},
		{name: "htu path prefix", proof: ec(hdr(), with(cl(), "htu", "https://pod.example/alice/notes")), wantErr: "htu does not match"},
		{name: "htu relative", proof: ec(hdr(), with(cl(), "htu", "/alice/notes/")), wantErr: "not an absolute"},
		{name: "htu with userinfo", proof: ec(hdr(), with(cl(), "htu", "https://x@pod.example/alice/notes/")), wantErr: "not an absolute"},
		{name: "htu missing", proof: ec(hdr(), with(cl(), "htu", nil)), wantErr: "not an absolute"},
		{name: "htu query and fragment ignored", proof: ec(hdr(), with(cl(), "htu", testURL+"?a=1#f"))},
		{name: "request query ignored", proof: ec(hdr(), cl()), url: testURL + "?page=2"},
		{name: "htu host and scheme case", proof: ec(hdr(), with(cl(), "htu", "HTTPS://POD.Example/alice/notes/"))},
		{name: "htu default port", proof: ec(hdr(), with(cl(), "htu", "https://pod.example:443/alice/notes/"))},
		{name: "htu percent-encoded unreserved", proof: ec(hdr(), with(cl(), "htu", "https://pod.example/%61lice/notes/"))},
		{name: "htu dot segments", proof: ec(hdr(), with(cl(), "htu", "https://pod.example/bob/../alice/./notes/"))},
		{name: "htu path case differs", proof: ec(hdr(), with(cl(), "htu", "https://pod.example/Alice/notes/")), wantErr: "htu does not match"},
		{name: "iat 10 min old", proof: ec(hdr(), with(cl(), "iat", testNow.Add(-10*time.Minute).Unix())), wantErr: "iat too old"},
		{name: "iat 10 min ahead", proof: ec(hdr(), with(cl(), "iat", testNow.Add(10*time.Minute).Unix())), wantErr: "iat in the future"},
		{name: "iat 61 s old", proof: ec(hdr(), with(cl(), "iat", testNow.Add(-61*time.Second).Unix())), wantErr: "iat too old"},
		{name: "iat 60 s old", proof: ec(hdr(), with(cl(), "iat", testNow.Add(-60*time.Second).Unix()))},
		{name: "iat 60 s ahead", proof: ec(hdr(), with(cl(), "iat", testNow.Add(60*time.Second).Unix()))},
		{name: "iat 5 min old, window 10 min", proof: ec(hdr(), with(cl(), "iat", testNow.Add(-5*time.Minute).Unix())), window: 10 * time.Minute},
		{name: "iat missing", proof: ec(hdr(), with(cl(), "iat", nil)), wantErr: "iat"},
		{name: "iat string", proof: ec(hdr(), with(cl(), "iat", "1760000000")), wantErr: "claims are not"},
		{name: "iat negative", proof: ec(hdr(), with(cl(), "iat", -5)), wantErr: "iat"},
		{name: "jti missing", proof: ec(hdr(), with(cl(), "jti", nil)), wantErr: "missing jti"},
		{name: "jti too long", proof: ec(hdr(), with(cl(), "jti", strings.Repeat("j", 600))), wantErr: "jti too long"},
		{name: "ath missing with token", proof: ec(hdr(), with(cl(), "ath", nil)), wantErr: "missing ath"},
		{name: "ath mismatch", proof: ec(hdr(), with(cl(), "ath", TokenHash("other"))), wantErr: "ath does not match"},
		{name: "ath missing, optional", proof: ec(hdr(), with(cl(), "ath", nil)), optionalATH: true},
		{name: "ath mismatch, optional", proof: ec(hdr(), with(cl(), "ath", TokenHash("other"))), optionalATH: true, wantErr: "ath does not match"},
		{name: "ath of token, no token presented", proof: ec(hdr(), cl()), token: "-"},
		{name: "no ath, no token", proof: ec(hdr(), with(cl(), "ath", nil)), token: "-"},
		{name: "payload not JSON object", proof: ec(hdr(), nil), wantErr: "claims are not"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method, u, token := "GET", testURL, tok
			if tc.method != "" {
				method = tc.method
			}
			if tc.url != "" {
				u = tc.url
			}
			if tc.token == "-" {
				token = ""
			}
			p, err := VerifyProof(tc.proof, method, u, token, testNow, ProofOptions{Window: tc.window, OptionalATH: tc.optionalATH})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if p.Thumbprint == "" || p.JTI == "" {
					t.Fatalf("incomplete proof %+v", p)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want error containing %q", tc.wantErr)
			}
			if !errors.Is(err, ErrInvalidProof) {
				t.Fatalf("error %v is not ErrInvalidProof", err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %q, want %q", err, tc.wantErr)
			}
			if len(tc.proof) > 20 && strings.Contains(err.Error(), tc.proof[:20]) {
				t.Fatalf("error leaks proof text: %v", err)
			}
		})
	}
}

func TestProofThumbprint(t *testing.T) {
	k := keys(t)
	for name, priv := range map[string]crypto.Signer{"ES256": k.ec, "RS256": k.rsa, "EdDSA": k.ed} {
		p, err := VerifyProof(compact(t, proofHeader(t, name, priv), proofClaimsFor("GET", testURL, "", testNow), jwa.SignatureAlgorithm(name), priv),
			"GET", testURL, "", testNow, ProofOptions{})
		if err != nil {
			t.Fatal(name, err)
		}
		if want := thumbprint(t, priv.Public()); p.Thumbprint != want {
			t.Errorf("%s: thumbprint %s, want %s", name, p.Thumbprint, want)
		}
		if !p.Expires.Equal(testNow.Add(DefaultProofWindow)) {
			t.Errorf("%s: expires %v", name, p.Expires)
		}
	}
}

// RFC 7638 §3.1 example.
func TestThumbprintRFC7638(t *testing.T) {
	k, err := jwk.ParseKey([]byte(`{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`))
	if err != nil {
		t.Fatal(err)
	}
	tp, _ := k.Thumbprint(crypto.SHA256)
	if got := base64.RawURLEncoding.EncodeToString(tp); got != "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" {
		t.Fatal(got)
	}
}

func TestNormalizeHTU(t *testing.T) {
	for in, want := range map[string]string{
		"https://a.example":                "https://a.example/",
		"HTTP://A.EXAMPLE:80/x":            "http://a.example/x",
		"https://a.example:8443/x?q#f":     "https://a.example:8443/x",
		"https://a.example/a/b/../c/./d":   "https://a.example/a/c/d",
		"https://a.example/%7euser/%2f%2F": "https://a.example/~user/%2F%2F",
		"https://[::1]:443/x":              "https://[::1]/x",
		"https://a.example/..":             "https://a.example/",
	} {
		got, ok := normalizeHTU(in)
		if !ok || got != want {
			t.Errorf("normalizeHTU(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "ftp://a.example/", "/relative", "https://u:p@a.example/", "https://a.example/%zz", "mailto:x@y", "https:///x"} {
		if got, ok := normalizeHTU(bad); ok {
			t.Errorf("normalizeHTU(%q) = %q, want refusal", bad, got)
		}
	}
}
