package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

func TestVerifyAccessToken(t *testing.T) {
	k := keys(t)
	jkt := thumbprint(t, k.ec.Public())
	set := issuerSet(t)
	cl := func(kv ...any) map[string]any {
		m := tokenClaimsFor(jkt)
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	hdr := func(kv ...any) map[string]any {
		m := map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": "iss-ec"}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	// A set whose only key declares alg RS256 although it is the EC key.
	wrongAlgSet := jwk.NewSet()
	{
		pk, _ := jwk.FromRaw(k.issEC.Public())
		_ = pk.Set(jwk.KeyIDKey, "iss-ec")
		_ = pk.Set(jwk.AlgorithmKey, jwa.RS256)
		_ = wrongAlgSet.AddKey(pk)
	}
	encSet := jwk.NewSet()
	{
		pk, _ := jwk.FromRaw(k.issEC.Public())
		_ = pk.Set(jwk.KeyIDKey, "iss-ec")
		_ = pk.Set(jwk.KeyUsageKey, "enc")
		_ = encSet.AddKey(pk)
	}

	tests := []struct {
		name    string
		token   string
		set     jwk.Set
		issuer  string // default testIssuer; "-" = none
		wantErr string
	}{
		{name: "valid ES256", token: signToken(t, cl())},
		{name: "valid RS256", token: compact(t, hdr("alg", "RS256", "kid", "iss-rsa"), cl(), jwa.RS256, k.issRSA)},
		{name: "valid without kid", token: compact(t, hdr("kid", nil), cl(), jwa.ES256, k.issEC)},
		{name: "aud string solid", token: signToken(t, cl("aud", "solid"))},
		{name: "azp instead of client_id", token: signToken(t, cl("client_id", nil, "azp", "https://app.example/id"))},
		{name: "aud without solid", token: signToken(t, cl("aud", []string{"https://app.example/id"})), wantErr: `aud does not contain "solid"`},
		{name: "aud missing", token: signToken(t, cl("aud", nil)), wantErr: "aud"},
		{name: "expired", token: signToken(t, cl("exp", testNow.Add(-time.Minute).Unix())), wantErr: "expired"},
		{name: "expired within skew", token: signToken(t, cl("exp", testNow.Add(-10*time.Second).Unix()))},
		{name: "exp missing", token: signToken(t, cl("exp", nil)), wantErr: "exp"},
		{name: "iat in the future", token: signToken(t, cl("iat", testNow.Add(5*time.Minute).Unix())), wantErr: "iat in the future"},
		{name: "iat missing", token: signToken(t, cl("iat", nil)), wantErr: "iat"},
		{name: "nbf in the future", token: signToken(t, cl("nbf", testNow.Add(5*time.Minute).Unix())), wantErr: "nbf"},
		{name: "webid missing", token: signToken(t, cl("webid", nil)), wantErr: "webid"},
		{name: "webid not http", token: signToken(t, cl("webid", "file:///etc/passwd")), wantErr: "webid"},
		{name: "client_id missing", token: signToken(t, cl("client_id", nil)), wantErr: "client_id"},
		{name: "cnf missing", token: signToken(t, cl("cnf", nil)), wantErr: "cnf.jkt"},
		{name: "cnf.jkt empty", token: signToken(t, cl("cnf", map[string]any{})), wantErr: "cnf.jkt"},
		{name: "iss other than expected", token: signToken(t, cl("iss", "https://evil.example")), wantErr: "expected issuer"},
		{name: "no expected issuer", token: signToken(t, cl()), issuer: "-", wantErr: "no expected issuer"},
		{name: "unknown kid", token: compact(t, hdr("kid", "rotated"), cl(), jwa.ES256, k.issEC), wantErr: "kid not in"},
		{name: "signed by another key", token: compact(t, hdr(), cl(), jwa.ES256, k.ec), wantErr: "bad signature"},
		{name: "no kid, signed by another key", token: compact(t, hdr("kid", nil), cl(), jwa.ES256, k.ec), wantErr: "no key in the issuer key set"},
		{name: "alg none", token: compact(t, hdr("alg", "none"), cl(), "", nil), wantErr: "empty JWS segment"},
		{name: "HS256 with public key as secret", token: compact(t, hdr("alg", "HS256"), cl(), jwa.HS256, []byte("k")), wantErr: "alg not allowed"},
		{name: "alg confusion RS256 header, EC key", token: compact(t, hdr("alg", "RS256"), cl(), jwa.ES256, k.issEC), wantErr: "key type does not match"},
		{name: "key declares other alg", token: signToken(t, cl()), set: wrongAlgSet, wantErr: "key alg does not match"},
		{name: "key for encryption", token: signToken(t, cl()), set: encSet, wantErr: "not a signing key"},
		{name: "DPoP proof as token", token: compact(t, hdr("typ", "dpop+jwt"), cl(), jwa.ES256, k.issEC), wantErr: "DPoP proof is not"},
		{name: "empty set", token: signToken(t, cl()), set: jwk.NewSet(), wantErr: "empty key set"},
		{name: "empty", token: "", wantErr: "missing"},
		{name: "too large", token: strings.Repeat("a", maxTokenBytes+1), wantErr: "too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := set
			if tc.set != nil {
				s = tc.set
			}
			iss := testIssuer
			if tc.issuer == "-" {
				iss = ""
			}
			tok, err := VerifyAccessToken(tc.token, s, testNow, TokenOptions{Issuer: iss})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if tok.WebID != testWebID || tok.Issuer != testIssuer || tok.JKT != jkt || tok.ClientID == "" {
					t.Fatalf("claims: %+v", tok)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want %q", tc.wantErr)
			}
			if !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %q, want ErrInvalidToken with %q", err, tc.wantErr)
			}
			if len(tc.token) > 20 && strings.Contains(err.Error(), tc.token[:20]) {
				t.Fatal("error leaks token text")
			}
		})
	}
	_, err := VerifyAccessToken(compact(t, hdr("kid", "rotated"), cl(), jwa.ES256, k.issEC), set, testNow, TokenOptions{Issuer: testIssuer})
	if !errors.Is(err, ErrUnknownKey) || !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("unknown kid: %v, want ErrUnknownKey and ErrInvalidToken", err)
	}
}

func TestBind(t *testing.T) {
	k := keys(t)
	token := signToken(t, tokenClaimsFor(thumbprint(t, k.ec.Public())))
	tok, err := VerifyAccessToken(token, issuerSet(t), testNow, TokenOptions{Issuer: testIssuer})
	if err != nil {
		t.Fatal(err)
	}
	p, err := VerifyProof(goodProof(t, token), "GET", testURL, token, testNow, ProofOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Bind(tok, p); err != nil {
		t.Fatalf("bound token refused: %v", err)
	}
	// Same token, proof signed by another key (with a correct ath).
	other := compact(t, proofHeader(t, "ES256", k.ec2), proofClaimsFor("GET", testURL, token, testNow), jwa.ES256, k.ec2)
	p2, err := VerifyProof(other, "GET", testURL, token, testNow, ProofOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Bind(tok, p2); !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), "cnf.jkt") {
		t.Fatalf("cnf.jkt mismatch: %v", err)
	}
	if err := Bind(nil, p); !errors.Is(err, ErrInvalidToken) {
		t.Fatal(err)
	}
}

func TestUnverifiedClaims(t *testing.T) {
	k := keys(t)
	jkt := thumbprint(t, k.ec.Public())
	// Signed by a key nobody trusts: the claims are still readable, untrusted.
	forged := compact(t, map[string]any{"alg": "ES256", "kid": "x"}, tokenClaimsFor(jkt), jwa.ES256, k.ec2)
	iss, webid, err := UnverifiedClaims(forged)
	if err != nil || iss != testIssuer || webid != testWebID {
		t.Fatalf("got %q %q %v", iss, webid, err)
	}
	internal := tokenClaimsFor(jkt)
	internal["iss"] = "http://169.254.169.254"
	for name, tok := range map[string]string{
		"alg none":  compact(t, map[string]any{"alg": "none"}, internal, "", nil),
		"HS256":     compact(t, map[string]any{"alg": "HS256"}, internal, jwa.HS256, []byte("k")),
		"no solid":  compact(t, map[string]any{"alg": "ES256"}, map[string]any{"iss": testIssuer, "webid": testWebID, "aud": "x"}, jwa.ES256, k.ec),
		"not a jwt": "abc",
	} {
		if _, _, err := UnverifiedClaims(tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: %v, want ErrInvalidToken", name, err)
		}
	}
}

func TestParseAuthorization(t *testing.T) {
	for _, tc := range []struct {
		in, scheme, token string
		ok                bool
	}{
		{"DPoP abc.def.ghi", "DPoP", "abc.def.ghi", true},
		{"dpop abc.def.ghi", "DPoP", "abc.def.ghi", true},
		{"DPoP   abc.def-_~+/==", "DPoP", "abc.def-_~+/==", true},
		{"Bearer abc.def.ghi", "Bearer", "abc.def.ghi", true},
		{"Basic dXNlcjpwYXNz", "Basic", "dXNlcjpwYXNz", true},
		{"", "", "", false},
		{"DPoP", "", "", false},
		{"DPoP ", "", "", false},
		{"DPoP a b", "", "", false},
		{"DPoP a=b", "", "", false},
		{"DPoP a,b", "", "", false},
		{"Bad:scheme abc", "", "", false},
	} {
		s, tok, err := ParseAuthorization(tc.in)
		if (err == nil) != tc.ok || s != tc.scheme || tok != tc.token {
			t.Errorf("ParseAuthorization(%q) = %q, %q, %v", tc.in, s, tok, err)
		}
		if err != nil && !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%q: %v is not ErrInvalidToken", tc.in, err)
		}
	}
}

func TestTokenCache(t *testing.T) {
	c := NewTokenCache(3)
	tok := &Token{WebID: testWebID, Audience: []string{"solid"}, Expiry: testNow.Add(time.Minute)}
	c.Put("t1", tok, testNow)
	got, ok := c.Get("t1", testNow)
	if !ok || got.WebID != testWebID {
		t.Fatal("miss")
	}
	got.Audience[0] = "mutated"
	if g, _ := c.Get("t1", testNow); g.Audience[0] != "solid" {
		t.Fatal("cache entry mutated through a returned copy")
	}
	if _, ok := c.Get("t2", testNow); ok {
		t.Fatal("hit for unknown token")
	}
	if _, ok := c.Get("t1", testNow.Add(time.Minute)); ok {
		t.Fatal("hit at exp")
	}
	if c.Len() != 0 {
		t.Fatal("expired entry not dropped")
	}
	c.Put("old", &Token{Expiry: testNow.Add(-time.Second)}, testNow)
	if c.Len() != 0 {
		t.Fatal("expired token cached")
	}
	for i := 0; i < 10; i++ {
		c.Put(string(rune('a'+i)), tok, testNow)
	}
	if c.Len() != 3 {
		t.Fatalf("len %d, want bound 3", c.Len())
	}
}
