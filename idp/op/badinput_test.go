package op

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
)

// TestAuthorizeRefusals: SECURITY.md row 33. Nothing here may redirect to
// the client; everything is a 400 page.
func TestAuthorizeRefusals(t *testing.T) {
	o := newTestOP(t, "", nil)
	reg := o.register(t, map[string]any{"redirect_uris": []string{testRedirect}, "token_endpoint_auth_method": "none"})
	clientID := reg["client_id"].(string)
	_, challenge := pkce()
	for _, tc := range []struct {
		name string
		mod  func(q url.Values)
	}{
		{"redirect_uri not registered", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }},
		{"redirect_uri with extra path", func(q url.Values) { q.Set("redirect_uri", testRedirect+"/x") }},
		{"redirect_uri with extra query", func(q url.Values) { q.Set("redirect_uri", testRedirect+"?a=1") }},
		{"redirect_uri case changed", func(q url.Values) { q.Set("redirect_uri", strings.ToUpper(testRedirect)) }},
		{"redirect_uri missing", func(q url.Values) { q.Del("redirect_uri") }},
		{"redirect_uri repeated", func(q url.Values) { q["redirect_uri"] = []string{testRedirect, "https://evil.example/cb"} }},
		{"client unknown", func(q url.Values) { q.Set("client_id", "nobody") }},
		{"client missing", func(q url.Values) { q.Del("client_id") }},
		{"client document without fetcher", func(q url.Values) { q.Set("client_id", "https://app.example/id") }},
		{"PKCE missing", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }},
		{"PKCE method missing", func(q url.Values) { q.Del("code_challenge_method") }},
		{"PKCE plain", func(q url.Values) { q.Set("code_challenge_method", "plain") }},
		{"PKCE plain with a verifier-like challenge", func(q url.Values) {
			q.Set("code_challenge_method", "plain")
			q.Set("code_challenge", strings.Repeat("a", 43))
		}},
		{"PKCE challenge malformed", func(q url.Values) { q.Set("code_challenge", "short") }},
		{"PKCE challenge not base64url", func(q url.Values) { q.Set("code_challenge", strings.Repeat("+", 43)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := authParamsFor(clientID, challenge, "openid webid")
			tc.mod(q)
			resp := o.authorize(t, q)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Fatalf("status %d, Location %q; want 400 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
}

// Once client and redirect_uri are verified, other errors go back to the
// client with error and iss (RFC 6749 §4.1.2.1, RFC 9207).
func TestAuthorizeErrorRedirects(t *testing.T) {
	o := newTestOP(t, "", nil)
	reg := o.register(t, map[string]any{"redirect_uris": []string{testRedirect}, "token_endpoint_auth_method": "none"})
	_, challenge := pkce()
	for _, tc := range []struct {
		name, code string
		mod        func(q url.Values)
	}{
		{"response_type token", "unsupported_response_type", func(q url.Values) { q.Set("response_type", "token") }},
		{"request object", "request_not_supported", func(q url.Values) { q.Set("request", "e30.e30.") }},
		{"no known scope", "invalid_scope", func(q url.Values) { q.Set("scope", "email") }},
		{"response_mode fragment", "invalid_request", func(q url.Values) { q.Set("response_mode", "fragment") }},
		{"bad prompt", "invalid_request", func(q url.Values) { q.Set("prompt", "none login") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := authParamsFor(reg["client_id"].(string), challenge, "openid webid")
			tc.mod(q)
			resp := o.authorize(t, q)
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc.String(), testRedirect+"?") ||
				loc.Query().Get("error") != tc.code || loc.Query().Get("iss") != o.srv.URL || loc.Query().Get("state") != "st-123" {
				t.Fatalf("%d %s", resp.StatusCode, loc)
			}
		})
	}
}

func TestTokenRefusals(t *testing.T) {
	o := newTestOP(t, "", nil)
	reg := o.register(t, map[string]any{"redirect_uris": []string{testRedirect}, "token_endpoint_auth_method": "none"})
	clientID := reg["client_id"].(string)
	key := newKey(t)
	for _, tc := range []struct {
		name string
		mod  func(f url.Values, verifier string)
		want string
	}{
		{"wrong verifier", func(f url.Values, _ string) { f.Set("code_verifier", strings.Repeat("x", 43)) }, "invalid_grant"},
		{"no verifier", func(f url.Values, _ string) { f.Del("code_verifier") }, "invalid_request"},
		{"other redirect_uri", func(f url.Values, _ string) { f.Set("redirect_uri", "https://app.example/other") }, "invalid_grant"},
		{"unknown code", func(f url.Values, _ string) { f.Set("code", "nope") }, "invalid_grant"},
		{"unknown client", func(f url.Values, _ string) { f.Set("client_id", "nobody") }, "invalid_client"},
		{"client_secret_post", func(f url.Values, _ string) { f.Set("client_secret", "x") }, "invalid_client"},
		{"unknown grant", func(f url.Values, _ string) { f.Set("grant_type", "password") }, "unsupported_grant_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, verifier := o.login(t, clientID, "openid webid")
			f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
				"code_verifier": {verifier}, "client_id": {clientID}}
			tc.mod(f, verifier)
			st, body := o.tokenCall(t, f, key)
			if body["error"] != tc.want || (st != 400 && st != 401) {
				t.Fatalf("%d %v, want %s", st, body, tc.want)
			}
			if body["access_token"] != nil {
				t.Fatal("token issued")
			}
		})
	}
	t.Run("repeated parameter", func(t *testing.T) {
		code, verifier := o.login(t, clientID, "openid webid")
		f := url.Values{"grant_type": {"authorization_code"}, "code": {code, code}, "redirect_uri": {testRedirect},
			"code_verifier": {verifier}, "client_id": {clientID}}
		if st, body := o.tokenCall(t, f, key); st != 400 || body["error"] != "invalid_request" {
			t.Fatalf("%d %v", st, body)
		}
	})
	t.Run("wrong content type", func(t *testing.T) {
		resp, err := o.hc.Post(o.url(PathToken), "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%d %v", resp.StatusCode, resp.Header)
		}
	})
}

func TestRegistrationRefusals(t *testing.T) {
	o := newTestOP(t, "", nil)
	for _, tc := range []struct {
		name, body, want string
	}{
		{"javascript redirect", `{"redirect_uris":["javascript:alert(1)"]}`, "invalid_redirect_uri"},
		{"data redirect", `{"redirect_uris":["data:text/html,x"]}`, "invalid_redirect_uri"},
		{"http to a public host", `{"redirect_uris":["http://app.example/cb"]}`, "invalid_redirect_uri"},
		{"fragment", `{"redirect_uris":["https://app.example/cb#x"]}`, "invalid_redirect_uri"},
		{"relative", `{"redirect_uris":["/cb"]}`, "invalid_redirect_uri"},
		{"none", `{"client_name":"x"}`, "invalid_redirect_uri"},
		{"implicit only", `{"redirect_uris":["https://app.example/cb"],"grant_types":["implicit"]}`, "invalid_client_metadata"},
		{"token response type", `{"redirect_uris":["https://app.example/cb"],"response_types":["token"]}`, "invalid_client_metadata"},
		{"private_key_jwt", `{"redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}`, "invalid_client_metadata"},
		{"client_id chosen", `{"redirect_uris":["https://app.example/cb"],"client_id":"mine"}`, "invalid_client_metadata"},
		{"not JSON", `redirect_uris=x`, "invalid_client_metadata"},
		{"redirect_uris not strings", `{"redirect_uris":[1]}`, "invalid_client_metadata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := o.hc.Post(o.url(PathRegister), "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			_ = jsonDecode(resp, &body)
			if resp.StatusCode != 400 || body["error"] != tc.want {
				t.Fatalf("%d %v, want %s", resp.StatusCode, body, tc.want)
			}
		})
	}
	// Accepted: loopback http and a private-use scheme (RFC 8252).
	reg := o.register(t, map[string]any{"redirect_uris": []string{"http://127.0.0.1:8080/cb", "http://localhost/cb", "com.example.app:/cb"}})
	if reg["token_endpoint_auth_method"] != "client_secret_basic" || reg["client_secret"] == nil {
		t.Fatalf("default auth method: %v", reg)
	}
}

// SECURITY.md row 35: an expired code is refused.
func TestExpiredCode(t *testing.T) {
	clock := &fakeClock{t: time.Now().Add(-CodeTTL - 2*time.Second)}
	o := newTestOP(t, "", func(o *Options) { o.Now = clock.now })
	reg := o.register(t, map[string]any{"redirect_uris": []string{testRedirect}, "token_endpoint_auth_method": "none"})
	clientID := reg["client_id"].(string)
	code, verifier := o.login(t, clientID, "openid webid")
	clock.add(CodeTTL + 2*time.Second) // back to the present: the code is 62 s old
	st, body := o.tokenCall(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
		"code_verifier": {verifier}, "client_id": {clientID}}, newKey(t))
	if st != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("%d %v", st, body)
	}
}

// A code exchanged by several requests at once is accepted exactly once.
func TestCodeRace(t *testing.T) {
	o := newTestOP(t, "", nil)
	reg := o.register(t, map[string]any{"redirect_uris": []string{testRedirect}, "token_endpoint_auth_method": "none"})
	clientID := reg["client_id"].(string)
	code, verifier := o.login(t, clientID, "openid webid")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
		"code_verifier": {verifier}, "client_id": {clientID}}
	const n = 8
	statuses := make(chan int, n)
	keys := make([]*testissuer.Key, n)
	for i := range keys {
		keys[i] = newKey(t) // outside the goroutines: it may t.Fatal
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, _ := o.tokenCall(t, form, keys[i])
			statuses <- st
		}()
	}
	wg.Wait()
	close(statuses)
	ok := 0
	for st := range statuses {
		if st == 200 {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d successful exchanges, want 1", ok)
	}
}
