package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// registerApp registers a public client with a name and a logo.
func (e *env) registerApp(t *testing.T, name, logo string) (string, int) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"redirect_uris": []string{testRedirect}, "client_name": name, "logo_uri": logo,
		"grant_types": []string{"authorization_code", "refresh_token"}, "token_endpoint_auth_method": "none"})
	resp, err := http.Post(e.base+".oidc/reg", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		ClientID string `json:"client_id"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out.ClientID, resp.StatusCode
}

// Issue 15 item 0: "Connected apps" shows each app's name, address and
// logo, when it was connected and last used, so that two registrations of
// one app (same name) can be told apart; the logo is allowed by img-src;
// disconnecting still works. Real provider flow: register, log in,
// consent, token.
func TestConnectedAppsShowNameLogoAndDates(t *testing.T) {
	e := newEnv(t, nil)
	e.user(t, "alice@example.org", "correct horse", "alice")
	b := e.browser(t)
	b.login("alice@example.org", "correct horse")
	var ids []string
	for range 2 {
		id, st := e.registerApp(t, "Twin Notes", "https://logo.example/notes.svg")
		if st != http.StatusCreated {
			t.Fatalf("register: %d", st)
		}
		ids = append(ids, id)
		verifier, challenge := pkce()
		consent := b.get(b.get(b.authorize(id, challenge, "")).location())
		code := callback(t, e, b.submit(consent, "/.idp/consent", url.Values{"decision": {"approve"}}))
		exchange(t, e, id, code, verifier)
	}
	page := b.get("/.idp/account")
	today := time.Now().UTC().Format("2006-01-02")
	for _, want := range []string{ids[0], ids[1], "Twin Notes", "name given by the app, not checked",
		`<img class="app-logo" src="https://logo.example/notes.svg" alt="" width="32" height="32" referrerpolicy="no-referrer"`,
		"signs in at</span> <code>https://app.example</code>", "Last used"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	if n := strings.Count(page.body, `<time datetime="`+today); n != 4 {
		t.Errorf("want connected and last-used times of both apps (4 for %s), got %d", today, n)
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: blob: https://logo.example;") {
		t.Errorf("CSP %q does not allow the logo's origin", csp)
	}

	// Disconnect the first: the second stays.
	form := hiddenInputsFor(t, page.body, "/.idp/account/apps/revoke", ids[0])
	if resp := b.post("/.idp/account/apps/revoke", form); resp.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.status)
	}
	page = b.get("/.idp/account")
	if strings.Contains(page.body, ids[0]) || !strings.Contains(page.body, ids[1]) {
		t.Fatalf("after disconnecting %s the page shows:\n%s", ids[0], page.body)
	}
}

// hiddenInputsFor is hiddenInputs of the form posting to action that
// carries client_id.
func hiddenInputsFor(t *testing.T, body, action, clientID string) url.Values {
	t.Helper()
	for _, m := range formRe.FindAllStringSubmatch(body, -1) {
		if m[1] != action || !strings.Contains(m[2], `value="`+clientID+`"`) {
			continue
		}
		v := url.Values{}
		for _, h := range hiddenRe.FindAllStringSubmatch(m[2], -1) {
			v.Set(h[1], h[2])
		}
		return v
	}
	t.Fatalf("no %s form for %s", action, clientID)
	return nil
}

// Bad input (issue 15 item 0, SECURITY row 58): a logo that is not an
// https URL is refused at registration, and nothing hostile reaches the
// page as an active URL or into the CSP.
func TestConnectedAppsHostileMetadata(t *testing.T) {
	e := newEnv(t, nil)
	for _, logo := range []string{"javascript:alert(1)", "data:image/svg+xml,<svg onload=alert(1)>", "http://logo.example/x.png",
		"https://user:pw@logo.example/x.png", "//logo.example/x.png", "https://logo.example/" + strings.Repeat("a", 3000)} {
		if _, st := e.registerApp(t, "x", logo); st != http.StatusBadRequest {
			t.Errorf("logo %.40q: registration answered %d, want 400", logo, st)
		}
	}
	e.user(t, "alice@example.org", "correct horse", "alice")
	b := e.browser(t)
	b.login("alice@example.org", "correct horse")
	id, st := e.registerApp(t, `<script>alert(1)</script>"><img src=x onerror=alert(1)>`, "https://logo.example/a.png")
	if st != http.StatusCreated {
		t.Fatalf("register: %d", st)
	}
	verifier, challenge := pkce()
	consent := b.get(b.get(b.authorize(id, challenge, "")).location())
	exchange(t, e, id, callback(t, e, b.submit(consent, "/.idp/consent", url.Values{"decision": {"approve"}})), verifier)
	page := b.get("/.idp/account")
	if strings.Contains(page.body, "<script>alert") || regexp.MustCompile(`<img src=x`).MatchString(page.body) {
		t.Fatalf("app name rendered as markup:\n%s", page.body)
	}
	if !strings.Contains(page.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("app name not shown escaped")
	}
}
