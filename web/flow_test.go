package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
)

const testRedirect = "https://app.example/callback"

func pkce() (verifier, challenge string) {
	verifier = strings.Repeat("v", 20) + base64.RawURLEncoding.EncodeToString([]byte(time.Now().String()))
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorize starts an authorization request and returns the log-in URL
// the provider sent the browser to.
func (b *browser) authorize(clientID, challenge, extra string) string {
	b.t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {testRedirect},
		"scope": {"openid webid offline_access"}, "state": {"st-1"}, "code_challenge": {challenge},
		"code_challenge_method": {"S256"}}
	if extra != "" {
		extraQ, _ := url.ParseQuery(extra)
		for k, v := range extraQ {
			q[k] = v
		}
	}
	resp := b.get("/.oidc/auth?" + q.Encode())
	loc := resp.location()
	if resp.status != http.StatusSeeOther || !strings.HasPrefix(loc, b.e.base+".idp/login?interaction=") {
		b.t.Fatalf("authorize: %d %s", resp.status, loc)
	}
	return loc
}

// callback checks a redirect to the client and returns its code.
func callback(t *testing.T, e *env, resp *response) string {
	t.Helper()
	if resp.status != http.StatusSeeOther || !strings.HasPrefix(resp.location(), testRedirect+"?") {
		t.Fatalf("want a redirect to the client, got %d %s\n%s", resp.status, resp.location(), resp.body)
	}
	u, _ := url.Parse(resp.location())
	q := u.Query()
	if q.Get("code") == "" || q.Get("state") != "st-1" || q.Get("iss") != e.op.Issuer() {
		t.Fatalf("callback %s", resp.location())
	}
	return q.Get("code")
}

// exchange redeems a code at the token endpoint with a DPoP proof and
// returns the access token's claims.
func exchange(t *testing.T, e *env, clientID, code, verifier string) map[string]any {
	t.Helper()
	return jwtClaims(t, redeem(t, e, clientID, code, verifier)["access_token"].(string))
}

// redeem is exchange's token response.
func redeem(t *testing.T, e *env, clientID, code, verifier string) map[string]any {
	t.Helper()
	key, err := testissuer.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	tokenURL := e.base + ".oidc/token"
	proof, err := key.Proof(http.MethodPost, tokenURL, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
		"client_id": {clientID}, "code_verifier": {verifier}}
	req, _ := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("DPoP", proof)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %d %v", resp.StatusCode, out)
	}
	claims := jwtClaims(t, out["access_token"].(string))
	if claims["cnf"].(map[string]any)["jkt"] != key.Thumbprint() {
		t.Fatalf("access token not bound to the DPoP key: %v", claims)
	}
	return out
}

func TestAuthorizationCodeFlow(t *testing.T) {
	e := newEnv(t, nil)
	acct, webID := e.user(t, "alice@example.org", "correct horse", "alice")
	clientID := e.register(t, testRedirect)
	b := e.browser(t)

	verifier, challenge := pkce()
	loginURL := b.authorize(clientID, challenge, "")
	page := b.get(loginURL)
	if page.status != http.StatusOK || !strings.Contains(page.body, "https://app.example") {
		t.Fatalf("login page: %d\n%s", page.status, page.body)
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://app.example;") {
		t.Fatalf("login CSP %q lacks the client origin in form-action", csp)
	}
	resp := b.submit(page, "/.idp/login", url.Values{"email": {"alice@example.org"}, "password": {"correct horse"}})
	if resp.status != http.StatusSeeOther || !strings.HasPrefix(resp.location(), "/.idp/consent?interaction=") {
		t.Fatalf("after login: %d %s\n%s", resp.status, resp.location(), resp.body)
	}
	consent := b.get(resp.location())
	for _, want := range []string{"Test App", "https://app.example", "nobody has checked it", webID,
		"<code>webid</code>", "<code>offline_access</code>", clientID} {
		if !strings.Contains(consent.body, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	if csp := consent.header.Get("Content-Security-Policy"); !strings.Contains(csp, "https://app.example") ||
		!strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("consent CSP %q", csp)
	}
	code := callback(t, e, b.submit(consent, "/.idp/consent", url.Values{"decision": {"approve"}}))
	claims := exchange(t, e, clientID, code, verifier)
	if claims["webid"] != webID || claims["client_id"] != clientID {
		t.Fatalf("access token claims %v", claims)
	}
	if !e.accounts.Approved(context.Background(), acct.ID, clientID, []string{"openid", "webid", "offline_access"}) {
		t.Fatal("consent not remembered")
	}

	// Second time: logged in and approved, straight back to the app.
	verifier, challenge = pkce()
	code = callback(t, e, b.get(b.authorize(clientID, challenge, "")))
	if claims := exchange(t, e, clientID, code, verifier); claims["webid"] != webID {
		t.Fatalf("second token %v", claims)
	}

	// prompt=consent shows the page again; deny answers access_denied.
	_, challenge = pkce()
	resp = b.get(b.authorize(clientID, challenge, "prompt=consent"))
	if resp.status != http.StatusSeeOther || !strings.HasPrefix(resp.location(), "/.idp/consent?") {
		t.Fatalf("prompt=consent: %d %s", resp.status, resp.location())
	}
	consent = b.get(resp.location())
	resp = b.submit(consent, "/.idp/consent", url.Values{"decision": {"deny"}})
	if !strings.HasPrefix(resp.location(), testRedirect+"?") || !strings.Contains(resp.location(), "error=access_denied") {
		t.Fatalf("deny: %d %s", resp.status, resp.location())
	}

	// The account page lists the app; disconnecting revokes it.
	account := b.get("/.idp/account")
	if !strings.Contains(account.body, clientID) {
		t.Fatal("account page does not list the connected app")
	}
	resp = b.submit(account, "/.idp/account/apps/revoke", nil)
	if resp.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.status)
	}
	if e.accounts.Approved(context.Background(), acct.ID, clientID, []string{"webid"}) {
		t.Fatal("approval survived revoke")
	}
	if gs, _ := e.op.Grants(context.Background(), acct.ID); len(gs) != 0 {
		t.Fatalf("grants survived revoke: %v", gs)
	}
}

// A browser with no session signs up in the middle of an authorization
// request and then goes on to consent.
func TestSignupDuringAuthorization(t *testing.T) {
	e := newEnv(t, nil)
	clientID := e.register(t, testRedirect)
	b := e.browser(t)
	_, challenge := pkce()
	loginURL := b.authorize(clientID, challenge, "")
	u, _ := url.Parse(loginURL)
	b.get(loginURL) // claims the request
	page := b.get("/.idp/signup?" + u.RawQuery)
	resp := b.submit(page, "/.idp/signup", url.Values{"email": {"new@example.org"}, "password": {"long enough"}, "pod": {"newbie"}})
	if resp.status != http.StatusSeeOther || !strings.HasPrefix(resp.location(), "/.idp/consent?interaction=") {
		t.Fatalf("signup: %d %s\n%s", resp.status, resp.location(), resp.body)
	}
	consent := b.get(resp.location())
	callback(t, e, b.submit(consent, "/.idp/consent", url.Values{"decision": {"approve"}}))
}

func TestPromptNoneWithoutSession(t *testing.T) {
	e := newEnv(t, nil)
	clientID := e.register(t, testRedirect)
	b := e.browser(t)
	_, challenge := pkce()
	resp := b.get(b.authorize(clientID, challenge, "prompt=none"))
	if !strings.HasPrefix(resp.location(), testRedirect+"?") || !strings.Contains(resp.location(), "error=login_required") {
		t.Fatalf("prompt=none: %d %s", resp.status, resp.location())
	}
}

// max_age (OpenID Connect Core §3.1.2.1): a session younger than max_age
// goes straight back to the app; an older one must log in again, and the
// ID token's auth_time is when the user last logged in. prompt=none with a
// session that is too old answers login_required.
func TestMaxAge(t *testing.T) {
	e := newEnv(t, nil)
	e.user(t, "alice@example.org", "correct horse", "alice")
	clientID := e.register(t, testRedirect)
	b := e.browser(t)
	verifier, challenge := pkce()
	page := b.get(b.authorize(clientID, challenge, ""))
	resp := b.submit(page, "/.idp/login", url.Values{"email": {"alice@example.org"}, "password": {"correct horse"}})
	loggedIn := time.Now().Unix()
	code := callback(t, e, b.submit(b.get(resp.location()), "/.idp/consent", url.Values{"decision": {"approve"}}))
	redeem(t, e, clientID, code, verifier)

	// A fresh session satisfies a generous max_age: no log-in page, and
	// auth_time is the log-in, not now.
	time.Sleep(1100 * time.Millisecond) // auth_time has whole seconds
	verifier, challenge = pkce()
	code = callback(t, e, b.get(b.authorize(clientID, challenge, "max_age=3600")))
	id := jwtClaims(t, redeem(t, e, clientID, code, verifier)["id_token"].(string))
	if at, ok := id["auth_time"].(float64); !ok || int64(at) > loggedIn || int64(at) < loggedIn-2 {
		t.Fatalf("auth_time %v, want the log-in time %d", id["auth_time"], loggedIn)
	}

	// max_age=0: the session is older, so the log-in page comes back.
	_, challenge = pkce()
	if got := b.get(b.authorize(clientID, challenge, "max_age=0&prompt=none")).location(); !strings.Contains(got, "error=login_required") {
		t.Fatalf("prompt=none with a stale session: %s", got)
	}
	verifier, challenge = pkce()
	page = b.get(b.authorize(clientID, challenge, "max_age=0"))
	if page.status != http.StatusOK || !strings.Contains(page.body, `name="password"`) {
		t.Fatalf("max_age=0 with an older session: %d %s", page.status, page.location())
	}
	before := time.Now().Unix()
	code = callback(t, e, b.submit(page, "/.idp/login", url.Values{"email": {"alice@example.org"}, "password": {"correct horse"}}))
	id = jwtClaims(t, redeem(t, e, clientID, code, verifier)["id_token"].(string))
	if at, _ := id["auth_time"].(float64); int64(at) < before {
		t.Fatalf("auth_time %v is before the new log-in (%d)", id["auth_time"], before)
	}
}
