package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/web"
)

func TestSignupCreatesPod(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser(t)
	page := b.get("/.idp/signup")
	if page.status != http.StatusOK {
		t.Fatalf("signup page: %d", page.status)
	}
	if want := e.base + "<em>name</em>/"; !strings.Contains(page.body, want) {
		t.Errorf("signup page does not say the pod will be at %s", want)
	}
	sub := newEnvLayout(t, true, nil)
	host := strings.TrimPrefix(sub.base, "http://")
	if p := sub.browser(t).get("/.idp/signup"); !strings.Contains(p.body, "http://<em>name</em>."+host) {
		t.Errorf("subdomain sign-up page does not say the pod will be at http://name.%s", host)
	}
	// A bad pod name is refused before any account exists.
	resp := b.submit(page, "/.idp/signup", url.Values{"email": {"alice@example.org"}, "password": {"correct horse"}, "pod": {"Not A Name"}})
	if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, "Pod names are") {
		t.Fatalf("bad pod name: %d", resp.status)
	}
	if _, err := e.accounts.ByEmail(context.Background(), "alice@example.org"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("account made for a refused sign-up: %v", err)
	}
	resp = b.submit(page, "/.idp/signup", url.Values{"email": {"alice@example.org"}, "password": {"correct horse"}, "pod": {"alice"}})
	// Issue 15: a person who signs up lands on their own pod's page.
	if resp.status != http.StatusSeeOther || resp.location() != e.base+"alice/" {
		t.Fatalf("signup: %d %s\n%s", resp.status, resp.location(), resp.body)
	}
	if ok, _ := e.store.Exists(context.Background(), "/alice/"); !ok {
		t.Fatal("pod root missing after sign-up")
	}
	acct := b.get("/.idp/account")
	webID := e.base + "alice/profile/card#me"
	if acct.status != http.StatusOK || !strings.Contains(acct.body, e.base+"alice/") || !strings.Contains(acct.body, webID) {
		t.Fatalf("account page: %d\n%s", acct.status, acct.body)
	}
	// First account is the admin: it can make invites.
	if !strings.Contains(acct.body, "Create an invite") {
		t.Fatal("admin sees no invite form")
	}

	// A second sign-up whose pod name is taken leaves no account behind.
	b2 := e.browser(t)
	page = b2.get("/.idp/signup")
	resp = b2.submit(page, "/.idp/signup", url.Values{"email": {"bob@example.org"}, "password": {"correct horse"}, "pod": {"alice"}})
	if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, "taken") {
		t.Fatalf("taken pod: %d\n%s", resp.status, resp.body)
	}
	if _, err := e.accounts.ByEmail(context.Background(), "bob@example.org"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("account left behind after the pod failed: %v", err)
	}
}

func TestInviteOnlySignup(t *testing.T) {
	e := newEnv(t, func(a *account.Options, w *web.Options) {
		a.Registration, w.Registration = account.RegistrationInvite, account.RegistrationInvite
	})
	admin, _ := e.user(t, "admin@example.org", "correct horse", "admin1")
	if err := e.accounts.SetAdmin(context.Background(), admin.ID, true); err != nil {
		t.Fatal(err)
	}
	ab := e.browser(t)
	ab.login("admin@example.org", "correct horse")
	resp := ab.submit(ab.get("/.idp/account"), "/.idp/account/invites", nil)
	m := regexp.MustCompile(`id="new-invite">([^<]+)<`).FindStringSubmatch(resp.body)
	if resp.status != http.StatusOK || m == nil {
		t.Fatalf("invite: %d", resp.status)
	}
	b := e.browser(t)
	page := b.get("/.idp/signup")
	if !strings.Contains(page.body, `name="invite"`) {
		t.Fatal("invite-only sign-up shows no invite field")
	}
	form := url.Values{"email": {"new@example.org"}, "password": {"correct horse"}, "pod": {"newbie"}, "invite": {"wrong"}}
	if resp := b.submit(page, "/.idp/signup", form); resp.status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong invite: %d", resp.status)
	}
	form.Set("invite", m[1])
	if resp := b.submit(page, "/.idp/signup", form); resp.status != http.StatusSeeOther {
		t.Fatalf("invited sign-up: %d\n%s", resp.status, resp.body)
	}
}

func TestClosedSignup(t *testing.T) {
	e := newEnv(t, func(a *account.Options, w *web.Options) {
		a.Registration, w.Registration = account.RegistrationClosed, account.RegistrationClosed
	})
	b := e.browser(t)
	if resp := b.get("/.idp/signup"); resp.status != http.StatusForbidden {
		t.Fatalf("closed sign-up page: %d", resp.status)
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, nil)
	e.user(t, "alice@example.org", "correct horse", "alice")
	b := e.browser(t)
	page := b.get("/.idp/login")
	good := hiddenInputs(t, page.body, "/.idp/login").Get("csrf")
	creds := url.Values{"email": {"alice@example.org"}, "password": {"correct horse"}}
	for name, tok := range map[string]string{"missing": "", "wrong": "AAAA" + good[4:], "garbage": "x"} {
		f := url.Values{"email": creds["email"], "password": creds["password"]}
		if tok != "" {
			f.Set("csrf", tok)
		}
		if resp := b.post("/.idp/login", f); resp.status != http.StatusForbidden {
			t.Errorf("login with %s token: %d", name, resp.status)
		}
	}
	// Another browser's token does not fit this browser's cookie.
	other := e.browser(t)
	otherTok := hiddenInputs(t, other.get("/.idp/login").body, "/.idp/login").Get("csrf")
	f := url.Values{"email": creds["email"], "password": creds["password"], "csrf": {otherTok}}
	if resp := b.post("/.idp/login", f); resp.status != http.StatusForbidden {
		t.Errorf("login with another browser's token: %d", resp.status)
	}
	for _, path := range []string{"/.idp/signup", "/.idp/reset"} {
		if resp := b.post(path, url.Values{"email": {"x@example.org"}}); resp.status != http.StatusForbidden {
			t.Errorf("%s without token: %d", path, resp.status)
		}
	}

	b.login("alice@example.org", "correct horse")
	acct := b.get("/.idp/account")
	sessTok := hiddenInputs(t, acct.body, "/.idp/account/credentials").Get("csrf")
	for _, path := range []string{"/.idp/account/credentials", "/.idp/account/password", "/.idp/account/delete",
		"/.idp/logout", "/.idp/consent"} {
		for _, tok := range []string{"", good} { // none, and the pre-session token
			if resp := b.post(path, url.Values{"csrf": {tok}, "name": {"x"}, "password": {"correct horse"}}); resp.status != http.StatusForbidden {
				t.Errorf("%s with token %q: %d", path, tok, resp.status)
			}
		}
	}
	if resp := b.post("/.idp/logout", url.Values{"csrf": {sessTok}}); resp.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.status)
	}
	if resp := b.get("/.idp/account"); resp.status != http.StatusSeeOther || !strings.HasPrefix(resp.location(), "/.idp/login") {
		t.Fatalf("account after logout: %d %s", resp.status, resp.location())
	}
}

func TestInteractionBoundToBrowser(t *testing.T) {
	e := newEnv(t, nil)
	e.user(t, "alice@example.org", "correct horse", "alice")
	e.user(t, "mallory@example.org", "correct horse", "mallory")
	clientID := e.register(t, testRedirect)
	victim := e.browser(t)
	_, challenge := pkce()
	loginURL := victim.authorize(clientID, challenge, "")
	if resp := victim.get(loginURL); resp.status != http.StatusOK {
		t.Fatalf("login page: %d", resp.status)
	}
	iid, _ := url.Parse(loginURL)
	id := iid.Query().Get("interaction")

	other := e.browser(t)
	if resp := other.get(loginURL); resp.status != http.StatusForbidden {
		t.Fatalf("second browser opened a claimed request: %d", resp.status)
	}
	// Posting the id with a valid CSRF token of its own is refused too.
	page := other.get("/.idp/login")
	f := hiddenInputs(t, page.body, "/.idp/login")
	f.Set("interaction", id)
	f.Set("email", "mallory@example.org")
	f.Set("password", "correct horse")
	if resp := other.post("/.idp/login", f); resp.status != http.StatusForbidden {
		t.Fatalf("login to another browser's request: %d", resp.status)
	}
	// Logged in, it still cannot consent to it.
	other.login("mallory@example.org", "correct horse")
	if resp := other.get("/.idp/consent?interaction=" + url.QueryEscape(id)); resp.status != http.StatusForbidden {
		t.Fatalf("consent page of another browser's request: %d", resp.status)
	}
	csrf := hiddenInputs(t, other.get("/.idp/account").body, "/.idp/logout").Get("csrf")
	resp := other.post("/.idp/consent", url.Values{"csrf": {csrf}, "interaction": {id}, "decision": {"approve"}})
	if resp.status != http.StatusForbidden {
		t.Fatalf("approve another browser's request: %d", resp.status)
	}
	// The browser that opened it finishes it.
	resp = victim.submit(victim.get(loginURL), "/.idp/login", url.Values{"email": {"alice@example.org"}, "password": {"correct horse"}})
	if resp.status != http.StatusSeeOther || !strings.HasPrefix(resp.location(), "/.idp/consent?") {
		t.Fatalf("owner's login: %d %s", resp.status, resp.location())
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	e := newEnv(t, nil)
	e.user(t, "alice@example.org", "correct horse", "alice")
	b := e.browser(t)
	page := b.get("/.idp/login")
	unknown := b.submit(page, "/.idp/login", url.Values{"email": {"nobody@example.org"}, "password": {"correct horse"}})
	wrong := b.submit(page, "/.idp/login", url.Values{"email": {"alice@example.org"}, "password": {"wrong password"}})
	if unknown.status != wrong.status || unknown.body != wrong.body {
		t.Fatalf("unknown user (%d) and wrong password (%d) differ:\n%s\n---\n%s", unknown.status, wrong.status, unknown.body, wrong.body)
	}
	if unknown.status != http.StatusUnprocessableEntity || !strings.Contains(unknown.body, "Wrong email or password") {
		t.Fatalf("failed login: %d", unknown.status)
	}
	var last *response
	for i := 0; i < 10; i++ { // 1 failure above + 10 = 11
		last = b.submit(page, "/.idp/login", url.Values{"email": {"alice@example.org"}, "password": {"wrong password"}})
	}
	if last.status != http.StatusTooManyRequests || !strings.Contains(last.body, "Too many attempts") {
		t.Fatalf("11th failure: %d\n%s", last.status, last.body)
	}
	// Even the right password waits now.
	if resp := b.submit(page, "/.idp/login", url.Values{"email": {"alice@example.org"}, "password": {"correct horse"}}); resp.status != http.StatusTooManyRequests {
		t.Fatalf("right password while limited: %d", resp.status)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, nil)
	e.user(t, "alice@example.org", "correct horse", "alice")
	clientID := e.register(t, testRedirect)
	anon := e.browser(t)
	b := e.browser(t)
	b.login("alice@example.org", "correct horse")
	_, challenge := pkce()
	loginURL := b.authorize(clientID, challenge, "")
	consentURL := b.get(loginURL).location()
	check := func(name string, resp *response, page bool) {
		t.Helper()
		h := resp.header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "style-src 'self'", "img-src 'self' data:", "form-action 'self'",
			"frame-ancestors 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", name, csp, want)
			}
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", name, h)
		}
		if page && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", name, h.Get("Cache-Control"))
		}
		if page && resp.status == http.StatusOK && (strings.Contains(resp.body, "<script") || strings.Contains(resp.body, "style=")) {
			t.Errorf("%s: inline script or style", name)
		}
	}
	check("login", anon.get("/.idp/login"), true)
	check("signup", anon.get("/.idp/signup"), true)
	check("reset", anon.get("/.idp/reset"), true)
	check("reset token", anon.get("/.idp/reset?token=abc"), true)
	check("account redirect", anon.get("/.idp/account"), true)
	check("index", anon.get("/.idp/"), true)
	check("not found", anon.get("/.idp/nothing"), true)
	check("bad method", anon.post("/.idp/account", nil), true)
	check("unknown interaction", anon.get("/.idp/login?interaction=nope"), true)
	check("account", b.get("/.idp/account"), true)
	check("consent", b.get(consentURL), true)
	if body := anon.get("/.idp/login").body; !strings.Contains(body, `/.web/static/style.css?v=`) {
		t.Errorf("login page does not link the shared style (web/ui): %s", body)
	}
	check("op error page", anon.get("/.oidc/auth?client_id=unknown"), true)
}

func TestNextIsNeverAnOpenRedirect(t *testing.T) {
	e := newEnv(t, nil)
	e.user(t, "alice@example.org", "correct horse", "alice")
	for _, next := range []string{"//evil.example", "https://evil.example", `/\evil`, "/\\evil.example/", "/.idp/../evil",
		"/.idp/%2e%2e/x", "/.idp/\t/evil", "javascript:alert(1)", "/alice/%2e%2e/x", ".idp/account", "/.oidc/auth"} {
		b := e.browser(t)
		page := b.get("/.idp/login?next=" + url.QueryEscape(next))
		if strings.Contains(page.body, `name="next"`) {
			t.Errorf("next %q kept in the form", next)
		}
		f := hiddenInputs(t, page.body, "/.idp/login")
		f.Set("next", next)
		f.Set("email", "alice@example.org")
		f.Set("password", "correct horse")
		if resp := b.post("/.idp/login", f); resp.location() != "/.idp/account" {
			t.Errorf("next %q: redirected to %q", next, resp.location())
		}
		// Already logged in, GET with next goes to the account page too.
		if resp := b.get("/.idp/login?next=" + url.QueryEscape(next)); resp.location() != "/.idp/account" {
			t.Errorf("logged-in next %q: redirected to %q", next, resp.location())
		}
	}
	b := e.browser(t)
	page := b.get("/.idp/login?next=" + url.QueryEscape("/.idp/account?done=password"))
	resp := b.submit(page, "/.idp/login", url.Values{"email": {"alice@example.org"}, "password": {"correct horse"}})
	if resp.location() != "/.idp/account?done=password" {
		t.Fatalf("a valid next was not followed: %q", resp.location())
	}
	// Issue 15: logging in from a pod page returns to that page.
	b = e.browser(t)
	page = b.get("/.idp/login?next=" + url.QueryEscape("/alice/docs/a%20b.txt?x=1"))
	resp = b.submit(page, "/.idp/login", url.Values{"email": {"alice@example.org"}, "password": {"correct horse"}})
	if resp.location() != "/alice/docs/a%20b.txt?x=1" {
		t.Fatalf("log-in from a pod page went to %q", resp.location())
	}
}

func TestClientCredentialsFromAccountPage(t *testing.T) {
	e := newEnv(t, nil)
	acct, webID := e.user(t, "alice@example.org", "correct horse", "alice")
	b := e.browser(t)
	b.login("alice@example.org", "correct horse")
	resp := b.submit(b.get("/.idp/account"), "/.idp/account/credentials", url.Values{"name": {"my script"}, "webid": {webID}})
	id := regexp.MustCompile(`id="new-credential-id">([^<]+)<`).FindStringSubmatch(resp.body)
	secret := regexp.MustCompile(`id="new-credential-secret">([^<]+)<`).FindStringSubmatch(resp.body)
	if resp.status != http.StatusOK || id == nil || secret == nil {
		t.Fatalf("create credential: %d\n%s", resp.status, resp.body)
	}
	gotWebID, gotAcct, err := e.accounts.CheckClientCredentials(context.Background(), id[1], secret[1])
	if err != nil || gotWebID != webID || gotAcct != acct.ID {
		t.Fatalf("CheckClientCredentials: %q %q %v", gotWebID, gotAcct, err)
	}
	// The secret is shown once: the page afterwards lists the id only.
	page := b.get("/.idp/account")
	if !strings.Contains(page.body, id[1]) || strings.Contains(page.body, secret[1]) {
		t.Fatal("account page must list the credential without its secret")
	}
	// A WebID that is not the account's is refused.
	resp = b.submit(page, "/.idp/account/credentials", url.Values{"name": {"x"}, "webid": {"https://evil.example/me#i"}})
	if resp.status != http.StatusUnprocessableEntity {
		t.Fatalf("foreign WebID: %d", resp.status)
	}
	resp = b.submit(page, "/.idp/account/credentials/delete", url.Values{"id": {id[1]}})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("delete credential: %d", resp.status)
	}
	if _, _, err := e.accounts.CheckClientCredentials(context.Background(), id[1], secret[1]); !errors.Is(err, account.ErrBadCredentials) {
		t.Fatalf("deleted credential still works: %v", err)
	}
}

func TestDeleteAccountRemovesPod(t *testing.T) {
	e := newEnv(t, nil)
	e.user(t, "alice@example.org", "correct horse", "alice")
	ctx := context.Background()
	b := e.browser(t)
	b.login("alice@example.org", "correct horse")
	page := b.get("/.idp/account")
	resp := b.submit(page, "/.idp/account/delete", url.Values{"password": {"wrong password"}})
	if resp.status != http.StatusUnprocessableEntity {
		t.Fatalf("delete with a wrong password: %d", resp.status)
	}
	if ok, _ := e.store.Exists(ctx, "/alice/"); !ok {
		t.Fatal("pod gone after a refused deletion")
	}
	resp = b.submit(page, "/.idp/account/delete", url.Values{"password": {"correct horse"}})
	if resp.status != http.StatusOK || !strings.Contains(resp.body, "deleted") {
		t.Fatalf("delete: %d\n%s", resp.status, resp.body)
	}
	if ok, _ := e.store.Exists(ctx, "/alice/"); ok {
		t.Fatal("pod still exists after account deletion")
	}
	if _, err := e.accounts.ByEmail(ctx, "alice@example.org"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("account still exists: %v", err)
	}
	if resp := b.get("/.idp/account"); resp.status != http.StatusSeeOther {
		t.Fatalf("session survived deletion: %d", resp.status)
	}
}

func TestChangePasswordAndReset(t *testing.T) {
	e := newEnv(t, nil)
	e.user(t, "alice@example.org", "correct horse", "alice")
	b := e.browser(t)
	b.login("alice@example.org", "correct horse")
	other := e.browser(t)
	other.login("alice@example.org", "correct horse")
	page := b.get("/.idp/account")
	if resp := b.submit(page, "/.idp/account/password", url.Values{"old": {"nope nope"}, "new": {"battery staple"}}); resp.status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong old password: %d", resp.status)
	}
	resp := b.submit(page, "/.idp/account/password", url.Values{"old": {"correct horse"}, "new": {"battery staple"}})
	if resp.status != http.StatusSeeOther || b.get(resp.location()).status != http.StatusOK {
		t.Fatalf("change password: %d; this browser must stay logged in", resp.status)
	}
	if resp := other.get("/.idp/account"); resp.status != http.StatusSeeOther {
		t.Fatalf("other browser still logged in: %d", resp.status)
	}

	// Without SMTP the request form says to ask an administrator.
	anon := e.browser(t)
	if page := anon.get("/.idp/reset"); !strings.Contains(page.body, "administrator") {
		t.Fatal("reset page without SMTP does not mention the administrator")
	}
	tok, err := e.accounts.NewResetToken(context.Background(), "alice@example.org")
	if err != nil || tok == "" {
		t.Fatal(err)
	}
	page = anon.get("/.idp/reset?token=" + url.QueryEscape(tok))
	resp = anon.submit(page, "/.idp/reset", url.Values{"password": {"new password 3"}})
	if resp.status != http.StatusOK || !strings.Contains(resp.body, "Password changed") {
		t.Fatalf("reset: %d\n%s", resp.status, resp.body)
	}
	if resp := anon.submit(page, "/.idp/reset", url.Values{"password": {"new password 4"}}); resp.status != http.StatusBadRequest {
		t.Fatalf("reused reset token: %d", resp.status)
	}
	anon.login("alice@example.org", "new password 3")
}

type fakeMailer struct{ sent chan string }

func (f *fakeMailer) SendPasswordReset(_ context.Context, to, link string) error {
	f.sent <- to + " " + link
	return nil
}

func TestResetByMailAnswersAlike(t *testing.T) {
	m := &fakeMailer{sent: make(chan string, 4)}
	e := newEnv(t, func(_ *account.Options, w *web.Options) { w.Mailer = m })
	e.user(t, "alice@example.org", "correct horse", "alice")
	b := e.browser(t)
	page := b.get("/.idp/reset")
	known := b.submit(page, "/.idp/reset", url.Values{"email": {"alice@example.org"}})
	unknown := b.submit(page, "/.idp/reset", url.Values{"email": {"nobody@example.org"}})
	if known.status != http.StatusOK || known.body != unknown.body {
		t.Fatalf("reset answers differ: %d %d", known.status, unknown.status)
	}
	sent := <-m.sent
	if !strings.HasPrefix(sent, "alice@example.org "+e.base+".idp/reset?token=") {
		t.Fatalf("mail %q", sent)
	}
	select {
	case s := <-m.sent:
		t.Fatalf("mail sent for an unknown address: %q", s)
	default:
	}
}

// Sign-ups per client address are limited (429 page); other addresses
// are not affected.
func TestSignupLimit(t *testing.T) {
	e := newEnv(t, func(a *account.Options, w *web.Options) {
		a.SignupLimit = account.RateLimit{Failures: 2, Window: time.Hour}
	})
	for i, want := range []int{http.StatusSeeOther, http.StatusSeeOther, http.StatusTooManyRequests} {
		b := e.browser(t)
		page := b.get("/.idp/signup")
		form := url.Values{"email": {fmt.Sprintf("u%d@example.org", i)}, "password": {"correct horse"}, "pod": {fmt.Sprintf("u%d", i)}}
		resp := b.submit(page, "/.idp/signup", form)
		if resp.status != want {
			t.Fatalf("sign-up %d: %d, want %d\n%s", i, resp.status, want, resp.body)
		}
		if want == http.StatusTooManyRequests && !strings.Contains(resp.body, "Too many sign-ups") {
			t.Fatalf("429 page:\n%s", resp.body)
		}
	}
	if _, err := e.accounts.ByEmail(context.Background(), "u2@example.org"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("a limited sign-up made an account: %v", err)
	}
}
