package conformance

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"

	"github.com/naamio/naamio/internal/testissuer"
)

// sendCreds sends GET p with exactly the given Authorization and DPoP
// values ("" leaves a header out) and no other credentials.
func sendCreds(t *testing.T, method, p, authz, dpop string, kv ...string) *reply {
	t.Helper()
	if authz != "" {
		kv = append(kv, "Authorization", authz)
	}
	if dpop != "" {
		kv = append(kv, "DPoP", dpop)
	}
	return srv.doAs(t, nil, method, p, nil, kv...)
}

// htuOf is the htu the server expects for p: its base URL and p's path.
func htuOf(p string) string { return strings.TrimSuffix(srv.base, "/") + p }

// proofBy is k.Proof that fails the test on error.
func proofBy(t *testing.T, k *testissuer.Key, method, htu, token string, iat time.Time) string {
	t.Helper()
	s, err := k.Proof(method, htu, token, iat)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSecurityAuth(t *testing.T) {
	// An owner-only document: valid owner credentials read it (200); any
	// refused credential is a 401, never a fallback to anonymous.
	dir := fresh(t.Name())
	doc := dir + "doc.ttl"
	srv.put(t, doc, ctTurtle, []byte(`<#s> <#p> "secret" .`))
	htu := htuOf(doc)
	dpop := "DPoP " + owner.Token
	now := time.Now

	requirement(t, "security-row-27-proof-replay", func(t *testing.T) {
		proof := proofBy(t, owner.Key, http.MethodGet, htu, owner.Token, now())
		expect(t, sendCreds(t, http.MethodGet, doc, dpop, proof), http.StatusOK)
		for i := 0; i < 5; i++ {
			expect(t, srv.do(t, http.MethodGet, doc, nil), http.StatusOK)
		}
		want401(t, sendCreds(t, http.MethodGet, doc, dpop, proof))
		// Twice in a row and with another method.
		proof2 := proofBy(t, owner.Key, http.MethodHead, htu, owner.Token, now())
		expect(t, sendCreds(t, http.MethodHead, doc, dpop, proof2), http.StatusOK)
		want401(t, sendCreds(t, http.MethodHead, doc, dpop, proof2))
		want401(t, sendCreds(t, http.MethodGet, doc, dpop, proof2))
	})

	requirement(t, "security-row-28-htu-host", func(t *testing.T) {
		path := strings.TrimPrefix(htu, strings.TrimSuffix(srv.base, "/"))
		for name, u := range map[string]string{
			"other host":   "http://evil.example" + path,
			"other port":   "http://127.0.0.1:1" + path,
			"https":        strings.Replace(htu, "http://", "https://", 1),
			"other path":   htuOf(dir + "other.ttl"),
			"localhost":    "http://localhost:" + srv.addr[strings.LastIndexByte(srv.addr, ':')+1:] + path,
			"no path":      strings.TrimSuffix(srv.base, "/"),
			"relative htu": path,
		} {
			p := proofBy(t, owner.Key, http.MethodGet, u, owner.Token, now())
			r := sendCreds(t, http.MethodGet, doc, dpop, p)
			if !want401(t, r) {
				t.Logf("case %s (htu %s)", name, u)
			}
		}
		// A spoofed Host with a proof made for that host.
		p := proofBy(t, owner.Key, http.MethodGet, "http://evil.example"+path, owner.Token, now())
		want401(t, sendCreds(t, http.MethodGet, doc, dpop, p, "Host", "evil.example"))
		// A spoofed Host does not matter when the proof names the configured URL.
		p = proofBy(t, owner.Key, http.MethodGet, htu, owner.Token, now())
		expect(t, sendCreds(t, http.MethodGet, doc, dpop, p, "Host", "evil.example"), http.StatusOK)
		// htm must match too.
		p = proofBy(t, owner.Key, http.MethodPost, htu, owner.Token, now())
		want401(t, sendCreds(t, http.MethodGet, doc, dpop, p))
	})

	requirement(t, "security-row-29-proof-and-token-defects", func(t *testing.T) {
		k := owner.Key
		claims := func() map[string]any { return testissuer.ProofClaims(http.MethodGet, htu, owner.Token, now()) }
		otherATH := testissuer.ProofClaims(http.MethodGet, htu, owner.Token+"x", now())
		priv, err := k.PrivateJWK()
		if err != nil {
			t.Fatal(err)
		}
		stranger, err := testissuer.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		hdr := func(alg string, jwk map[string]any) map[string]any {
			return map[string]any{"typ": "dpop+jwt", "alg": alg, "jwk": jwk}
		}
		sign := func(h, c map[string]any, alg jwa.SignatureAlgorithm, key any) string {
			s, err := testissuer.Compact(h, c, alg, key)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		secret := []byte("0123456789abcdef0123456789abcdef")
		cases := map[string]struct{ authz, proof string }{
			"mismatched ath":    {dpop, sign(k.ProofHeader(), otherATH, jwa.ES256, k.Private)},
			"token as Bearer":   {"Bearer " + owner.Token, sign(k.ProofHeader(), claims(), jwa.ES256, k.Private)},
			"Bearer, no proof":  {"Bearer " + owner.Token, ""},
			"DPoP, no proof":    {dpop, ""},
			"alg none":          {dpop, sign(hdr("none", k.PublicJWK()), claims(), "", nil)},
			"HS256 with EC jwk": {dpop, sign(hdr("HS256", k.PublicJWK()), claims(), jwa.HS256, secret)},
			"HS256 with oct jwk": {dpop, sign(hdr("HS256", map[string]any{"kty": "oct", "k": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}),
				claims(), jwa.HS256, secret)},
			"private key in jwk":       {dpop, sign(hdr("ES256", priv), claims(), jwa.ES256, k.Private)},
			"typ JWT":                  {dpop, sign(map[string]any{"typ": "JWT", "alg": "ES256", "jwk": k.PublicJWK()}, claims(), jwa.ES256, k.Private)},
			"no jwk":                   {dpop, sign(map[string]any{"typ": "dpop+jwt", "alg": "ES256"}, claims(), jwa.ES256, k.Private)},
			"key not the token's":      {dpop, sign(stranger.ProofHeader(), claims(), jwa.ES256, stranger.Private)},
			"signature by another key": {dpop, sign(k.ProofHeader(), claims(), jwa.ES256, stranger.Private)},
			"token as proof":           {dpop, owner.Token},
			"garbage proof":            {dpop, "not.a.jwt"},
			"two schemes":              {dpop + ", Bearer " + owner.Token, sign(k.ProofHeader(), claims(), jwa.ES256, k.Private)},
		}
		for name, c := range cases {
			if r := sendCreds(t, http.MethodGet, doc, c.authz, c.proof); !want401(t, r) {
				t.Logf("case %q", name)
			}
		}
		// Token defects with a valid proof.
		tok := func(mut func(map[string]any)) string {
			cl := issuer.Claims(testissuer.TokenClaims{WebID: owner.WebID, ClientID: testissuer.DefaultClientID}, k)
			mut(cl)
			s, err := issuer.SignToken(cl)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		bad := map[string]string{
			"expired": tok(func(c map[string]any) {
				c["iat"], c["exp"] = now().Add(-2*time.Hour).Unix(), now().Add(-time.Hour).Unix()
			}),
			"no solid aud":       tok(func(c map[string]any) { c["aud"] = []string{"https://other.example"} }),
			"no cnf":             tok(func(c map[string]any) { delete(c, "cnf") }),
			"other jkt":          tok(func(c map[string]any) { c["cnf"] = map[string]any{"jkt": stranger.Thumbprint()} }),
			"iss not the signer": tok(func(c map[string]any) { c["iss"] = "https://idp.example" }),
		}
		forged, err := testissuer.Compact(map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": "testissuer-es256"},
			issuer.Claims(testissuer.TokenClaims{WebID: owner.WebID, ClientID: testissuer.DefaultClientID}, k), jwa.ES256, stranger.Private)
		if err != nil {
			t.Fatal(err)
		}
		bad["forged signature"] = forged
		for name, tk := range bad {
			p := proofBy(t, k, http.MethodGet, htu, tk, now())
			if r := sendCreds(t, http.MethodGet, doc, "DPoP "+tk, p); !want401(t, r) {
				t.Logf("token case %q", name)
			}
		}
	})

	// RFC 9449 requires ath on resource requests, but Inrupt's client
	// libraries never send it, so by default a proof without ath is
	// accepted (a present one must match, above); --dpop-require-ath
	// restores the strict rule.
	requirement(t, "security-row-29-missing-ath", func(t *testing.T) {
		noATH, err := testissuer.Compact(owner.Key.ProofHeader(),
			testissuer.ProofClaims(http.MethodGet, htu, "", now()), jwa.ES256, owner.Key.Private)
		if err != nil {
			t.Fatal(err)
		}
		expect(t, sendCreds(t, http.MethodGet, doc, dpop, noATH), http.StatusOK)

		strict, err := startServer(naamioBin, t.TempDir(), "--dpop-require-ath")
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := strict.stop(); err != nil {
				t.Error(err)
			}
		}()
		strictHTU := strings.TrimSuffix(strict.base, "/") + "/"
		send := func(proof string) *reply {
			return strict.doAs(t, nil, http.MethodGet, "/", nil, "Authorization", dpop, "DPoP", proof)
		}
		p, err := testissuer.Compact(owner.Key.ProofHeader(),
			testissuer.ProofClaims(http.MethodGet, strictHTU, "", now()), jwa.ES256, owner.Key.Private)
		if err != nil {
			t.Fatal(err)
		}
		want401(t, send(p))
		expect(t, send(proofBy(t, owner.Key, http.MethodGet, strictHTU, owner.Token, now())), http.StatusOK)
	})

	requirement(t, "security-row-30-proof-iat", func(t *testing.T) {
		for _, off := range []time.Duration{-10 * time.Minute, 10 * time.Minute, -time.Hour, 24 * time.Hour} {
			p := proofBy(t, owner.Key, http.MethodGet, htu, owner.Token, now().Add(off))
			if r := sendCreds(t, http.MethodGet, doc, dpop, p); !want401(t, r) {
				t.Logf("iat offset %v", off)
			}
		}
		// Control: a current iat is accepted.
		p := proofBy(t, owner.Key, http.MethodGet, htu, owner.Token, now())
		expect(t, sendCreds(t, http.MethodGet, doc, dpop, p), http.StatusOK)
	})

	requirement(t, "security-row-31-no-fetch-before-verification", func(t *testing.T) {
		internal := newCountingListener(t)
		k, err := testissuer.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		targets := []struct{ iss, webid string }{
			{internal.url(), internal.url() + "/profile/card#me"},
			{"http://10.0.0.1", "http://10.0.0.1/card#me"},
			{"http://169.254.169.254", "http://169.254.169.254/latest/meta-data#me"},
			{issuer.URL(), internal.url() + "/card#me"},
			{internal.url(), issuer.WebID("unsigned")},
			{"http://[::1]:" + internal.url()[strings.LastIndexByte(internal.url(), ':')+1:], "http://[::ffff:10.0.0.1]/card#me"},
			{issuer.URL(), issuer.WebID("unsigned")},
		}
		claims := func(iss, webid string) map[string]any {
			return issuer.Claims(testissuer.TokenClaims{WebID: webid, ClientID: testissuer.DefaultClientID, Issuer: iss}, k)
		}
		issuerBefore := issuer.Requests()
		for _, tc := range targets {
			none, err := testissuer.Compact(map[string]any{"alg": "none", "typ": "at+jwt"}, claims(tc.iss, tc.webid), "", nil)
			if err != nil {
				t.Fatal(err)
			}
			unsignedHS, err := testissuer.Compact(map[string]any{"alg": "HS256", "typ": "at+jwt"}, claims(tc.iss, tc.webid), jwa.HS256, []byte("0123456789abcdef0123456789abcdef"))
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range []string{none, unsignedHS} {
				p := proofBy(t, k, http.MethodGet, htu, tk, now())
				if r := sendCreds(t, http.MethodGet, doc, "DPoP "+tk, p); !want401(t, r) {
					t.Logf("iss %s webid %s", tc.iss, tc.webid)
				}
			}
		}
		if n := issuer.Requests() - issuerBefore; n != 0 {
			t.Errorf("unsigned tokens caused %d requests to the issuer", n)
		}
		// Signed by the trusted issuer's key but naming internal addresses:
		// refused without reaching them.
		for _, tc := range targets[:5] {
			tk, err := issuer.SignToken(claims(tc.iss, tc.webid))
			if err != nil {
				t.Fatal(err)
			}
			p := proofBy(t, k, http.MethodGet, htu, tk, now())
			if r := sendCreds(t, http.MethodGet, doc, "DPoP "+tk, p); !want401(t, r) {
				t.Logf("signed: iss %s webid %s", tc.iss, tc.webid)
			}
		}
		if n := internal.count(); n != 0 {
			t.Errorf("%d connections reached the internal listener", n)
		}
	})

	requirement(t, "security-row-32-webid-issuer", func(t *testing.T) {
		profiles := map[string]string{
			"mallory": "@prefix solid: <" + solidNS + ">.\n<#me> solid:oidcIssuer <https://idp.example> .\n",
			"eve":     "@prefix foaf: <http://xmlns.com/foaf/0.1/>.\n<#me> a foaf:Person .\n",
			"trudy":   "@prefix solid: <" + solidNS + ">.\n<#someoneElse> solid:oidcIssuer <" + issuer.URL() + "> .\n",
			"oscar":   "this is not turtle <<<",
		}
		for name, body := range profiles {
			issuer.SetProfile(name, body)
			ag, err := issuer.NewAgent(name)
			if err != nil {
				t.Fatal(err)
			}
			if r := srv.doAs(t, ag, http.MethodGet, doc, nil); !want401(t, r) {
				t.Logf("profile %s", name)
			}
		}
		// A WebID whose profile document does not exist.
		k, _ := testissuer.NewKey()
		tk, err := issuer.Token(testissuer.TokenClaims{WebID: issuer.URL() + "/no/such/card#me", ClientID: testissuer.DefaultClientID}, k)
		if err != nil {
			t.Fatal(err)
		}
		want401(t, srv.doAs(t, &testissuer.Agent{WebID: issuer.URL() + "/no/such/card#me", Token: tk, Key: k}, http.MethodGet, doc, nil))
		// Control: a profile that lists the issuer authenticates (403: no
		// permission, but known).
		a, _ := agents(t)
		expect(t, srv.doAs(t, a, http.MethodGet, doc, nil), http.StatusForbidden)
	})
}
