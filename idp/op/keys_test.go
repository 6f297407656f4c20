package op

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

func TestDiscovery(t *testing.T) {
	o := newTestOP(t, "", nil)
	resp, err := o.hc.Get(o.url(PathDiscovery))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d map[string]any
	if err := jsonDecode(resp, &d); err != nil {
		t.Fatal(err)
	}
	iss := o.srv.URL
	for k, want := range map[string]any{
		"issuer": iss, "authorization_endpoint": iss + PathAuth, "token_endpoint": iss + PathToken,
		"jwks_uri": iss + PathJWKS, "registration_endpoint": iss + PathRegister, "revocation_endpoint": iss + PathRevoke,
		"end_session_endpoint": iss + PathLogout, "authorization_response_iss_parameter_supported": true,
		"solid_oidc_supported": "https://solidproject.org/TR/solid-oidc",
	} {
		if d[k] != want {
			t.Errorf("%s = %v, want %v", k, d[k], want)
		}
	}
	list := func(k string) []string {
		var out []string
		for _, v := range d[k].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	for k, want := range map[string][]string{
		"response_types_supported":              {"code"},
		"code_challenge_methods_supported":      {"S256"},
		"token_endpoint_auth_methods_supported": {"none", "client_secret_basic"},
		"id_token_signing_alg_values_supported": {"ES256"},
		"scopes_supported":                      {"openid", "webid", "offline_access", "profile"},
		"grant_types_supported":                 {"authorization_code", "refresh_token", "client_credentials"},
	} {
		if got := list(k); !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	if !slices.Contains(list("claims_supported"), "webid") || !slices.Contains(list("dpop_signing_alg_values_supported"), "ES256") {
		t.Error("claims_supported or dpop_signing_alg_values_supported incomplete")
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("discovery not readable cross-origin")
	}
}

func TestJWKSPublicOnly(t *testing.T) {
	o := newTestOP(t, "", nil)
	resp, err := o.hc.Get(o.url(PathJWKS))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := jsonDecode(resp, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("%d keys", len(set.Keys))
	}
	k := set.Keys[0]
	if k["d"] != nil || k["kty"] != "EC" || k["crv"] != "P-256" || k["alg"] != "ES256" || k["use"] != "sig" || k["kid"] == "" {
		t.Fatalf("key %v", k)
	}
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func kids(set jwk.Set) []string {
	var out []string
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		out = append(out, k.KeyID())
	}
	return out
}

func TestKeysPersistAndRotate(t *testing.T) {
	kv := newKV(t)
	clock := &fakeClock{t: time.Now()}
	opts := Options{Issuer: "https://idp.example", KV: kv, Interaction: &fakeInteraction{}, Now: clock.now}
	ctx := context.Background()
	p1, err := New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	first := kids(p1.PublicKeys())
	p2, err := New(ctx, opts) // a restart finds the stored key
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(kids(p2.PublicKeys()), first) || len(first) != 1 {
		t.Fatalf("keys after restart %v, before %v", kids(p2.PublicKeys()), first)
	}
	old, err := p2.sign("at+jwt", map[string]any{"iss": "https://idp.example", "exp": clock.now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	if err := p2.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	after := kids(p2.PublicKeys())
	if len(after) != 2 || after[0] != first[0] {
		t.Fatalf("after rotation %v", after)
	}
	fresh, _ := p2.sign("at+jwt", map[string]any{"iss": "https://idp.example"})
	if kidOf(t, fresh) != after[1] {
		t.Fatal("new tokens are not signed with the new key")
	}
	// A token signed before the rotation still verifies with the JWKS.
	if _, err := jwt.Parse([]byte(old), jwt.WithKeySet(p2.PublicKeys()), jwt.WithValidate(false)); err != nil {
		t.Fatalf("old token: %v", err)
	}
	// Once every token of the retired key has expired, it leaves the JWKS.
	clock.add(DefaultAccessTokenTTL + retireMargin + time.Minute)
	if err := p2.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if got := kids(p2.PublicKeys()); len(got) != 2 || slices.Contains(got, first[0]) {
		t.Fatalf("after second rotation %v", got)
	}
}

func kidOf(t testing.TB, tok string) string {
	t.Helper()
	h, _, _ := strings.Cut(tok, ".")
	b, _ := b64url(h)
	var hdr map[string]any
	_ = json.Unmarshal(b, &hdr)
	s, _ := hdr["kid"].(string)
	return s
}

func TestLogout(t *testing.T) {
	o := newTestOP(t, "", nil)
	reg := o.register(t, map[string]any{"redirect_uris": []string{testRedirect}, "token_endpoint_auth_method": "none",
		"post_logout_redirect_uris": []string{"https://app.example/bye"}})
	clientID := reg["client_id"].(string)
	get := func(q url.Values) *http.Response {
		resp, err := o.hc.Get(o.url(PathLogout) + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := get(url.Values{"client_id": {clientID}, "post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"s1"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "https://app.example/bye?state=s1" || o.sessions.ended != 1 {
		t.Fatalf("logout: %d %q ended=%d", resp.StatusCode, resp.Header.Get("Location"), o.sessions.ended)
	}
	for name, q := range map[string]url.Values{
		"unregistered":   {"client_id": {clientID}, "post_logout_redirect_uri": {"https://evil.example/"}},
		"no client":      {"post_logout_redirect_uri": {"https://app.example/bye"}},
		"bad hint":       {"id_token_hint": {"e30.e30.sig"}, "post_logout_redirect_uri": {"https://app.example/bye"}},
		"unknown client": {"client_id": {"nobody"}, "post_logout_redirect_uri": {"https://app.example/bye"}},
	} {
		if resp := get(q); resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
			t.Fatalf("%s: %d %q", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if o.sessions.ended != 1 {
		t.Fatal("a refused logout ended the session")
	}
	// With an id_token_hint instead of client_id.
	code, verifier := o.login(t, clientID, "openid webid")
	_, tok := o.tokenCall(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
		"code_verifier": {verifier}, "client_id": {clientID}}, newKey(t))
	resp = get(url.Values{"id_token_hint": {tok["id_token"].(string)}, "post_logout_redirect_uri": {"https://app.example/bye"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "https://app.example/bye" {
		t.Fatalf("logout with hint: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The access token is not an ID token.
	resp = get(url.Values{"id_token_hint": {tok["access_token"].(string)}, "post_logout_redirect_uri": {"https://app.example/bye"}})
	if resp.StatusCode != 400 {
		t.Fatalf("access token as hint: %d", resp.StatusCode)
	}
	// Without a redirect URI: to the configured page.
	if resp := get(nil); resp.StatusCode != 303 || resp.Header.Get("Location") != o.srv.URL+"/" {
		t.Fatalf("plain logout: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}
