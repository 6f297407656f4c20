package server

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
)

// browserAccept is what Chromium sends on a navigation.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"

// sessionCookie logs the account with email in as the account pages would
// and returns its session cookie.
func sessionCookie(t *testing.T, s *Server, email string) *http.Cookie {
	t.Helper()
	ctx := context.Background()
	acct, err := s.id.accounts.ByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.id.accounts.NewSession(ctx, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	c := s.id.accounts.Cookie(tok)
	if c.Path != "/" {
		// The pages at pod URLs need the cookie on every path of the host.
		t.Fatalf("session cookie Path = %q, want /", c.Path)
	}
	return c
}

type pageAnswer struct {
	status int
	ctype  string
	body   string
	header http.Header
}

func getPage(t *testing.T, base, path string, hd map[string]string, cookie *http.Cookie) pageAnswer {
	t.Helper()
	req, _ := http.NewRequest("GET", base+strings.TrimPrefix(path, "/"), nil)
	for k, v := range hd {
		req.Header.Set(k, v)
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return pageAnswer{resp.StatusCode, resp.Header.Get("Content-Type"), string(b), resp.Header}
}

// Issue 15 item 1: the HTML view of pod data lives at the resource's own
// URL, only for a browser's navigation that prefers HTML; Solid clients
// and scripts get the LDP handler's answer unchanged, and a page rendered
// with the cookie is never handed to a script (SECURITY rows on stored
// script: no cookie-authenticated side door).
func TestHTMLPagesOnlyForNavigations(t *testing.T) {
	s, base := serveAccounts(t, "alice", "bob")
	alice := sessionCookie(t, s, "alice@example.org")
	bob := sessionCookie(t, s, "bob@example.org")
	navigate := map[string]string{"Accept": browserAccept, "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document",
		"Sec-Fetch-Site": "none", "Sec-Fetch-User": "?1"}
	oldBrowser := map[string]string{"Accept": browserAccept}
	isPage := func(a pageAnswer) bool {
		return strings.HasPrefix(a.ctype, "text/html") && strings.Contains(a.body, "<!doctype html>")
	}

	t.Run("solid client gets RDF", func(t *testing.T) {
		for _, accept := range []string{"text/turtle", "application/ld+json", "text/turtle;q=1, text/html;q=1", "*/*", ""} {
			a := getPage(t, base, "/alice/profile/card", map[string]string{"Accept": accept}, alice)
			if a.status != 200 || isPage(a) {
				t.Errorf("Accept %q: %d %s, want the RDF document", accept, a.status, a.ctype)
			}
		}
	})
	t.Run("fetch with cors mode gets no cookie-rendered page", func(t *testing.T) {
		for _, mode := range []string{"cors", "same-origin", "no-cors"} {
			hd := map[string]string{"Accept": "text/html", "Sec-Fetch-Mode": mode, "Sec-Fetch-Dest": "empty", "Sec-Fetch-Site": "same-origin"}
			a := getPage(t, base, "/alice/settings/prefs.ttl", hd, alice)
			if a.status != http.StatusUnauthorized || isPage(a) {
				t.Errorf("mode %s: %d %s %q, want the LDP handler's 401 (the cookie authenticates nothing)", mode, a.status, a.ctype, a.body)
			}
		}
		// An <iframe> is a navigation, but not a top-level one.
		hd := map[string]string{"Accept": browserAccept, "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}
		if a := getPage(t, base, "/alice/settings/prefs.ttl", hd, alice); isPage(a) {
			t.Errorf("iframe navigation got a page: %d", a.status)
		}
		// A request with its own credentials is an app's, page or not.
		hd = map[string]string{"Accept": browserAccept, "Authorization": "DPoP x"}
		if a := getPage(t, base, "/alice/settings/prefs.ttl", hd, alice); isPage(a) {
			t.Errorf("request with Authorization got a page: %d", a.status)
		}
	})
	t.Run("navigation gets the page as the session's WebID", func(t *testing.T) {
		for name, hd := range map[string]map[string]string{"fetch metadata": navigate, "no fetch metadata": oldBrowser} {
			a := getPage(t, base, "/alice/settings/", hd, alice)
			if a.status != 200 || !isPage(a) || !strings.Contains(a.body, "prefs.ttl") {
				t.Errorf("%s: owner's private folder: %d %s\n%s", name, a.status, a.ctype, a.body)
			}
			if csp := a.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s: CSP %q", name, csp)
			}
			if a := getPage(t, base, "/alice/settings/prefs.ttl", hd, alice); a.status != 200 || !isPage(a) {
				t.Errorf("%s: owner's private document: %d %s", name, a.status, a.ctype)
			}
		}
	})
	t.Run("anonymous navigation gets a 401 page offering to log in", func(t *testing.T) {
		a := getPage(t, base, "/alice/settings/", navigate, nil)
		if a.status != http.StatusUnauthorized || !isPage(a) || strings.Contains(a.body, "prefs.ttl") {
			t.Fatalf("anonymous: %d %s\n%s", a.status, a.ctype, a.body)
		}
		if !strings.Contains(a.body, `/.idp/login?next=%2falice%2fsettings%2f`) && !strings.Contains(a.body, `/.idp/login?next=%2Falice%2Fsettings%2F`) {
			t.Errorf("401 page has no log-in link back here:\n%s", a.body)
		}
	})
	t.Run("another person gets a 403 page", func(t *testing.T) {
		a := getPage(t, base, "/alice/settings/", navigate, bob)
		if a.status != http.StatusForbidden || !isPage(a) || strings.Contains(a.body, "prefs.ttl") {
			t.Fatalf("bob: %d %s\n%s", a.status, a.ctype, a.body)
		}
	})
}

// The pages' own client (web/ui client.go, naamio.js): a browser with a
// session gets an authorization code for it with no consent screen (it is
// known to the provider built in), exchanges it with PKCE and a DPoP
// proof, writes to its pod with the token and renews the token with the
// DPoP-bound refresh token: exactly what naamio.js does.
func TestFirstPartyClientNeedsNoConsent(t *testing.T) {
	s, base := serveAccounts(t, "alice")
	alice := sessionCookie(t, s, "alice@example.org")
	key, err := testissuer.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	clientID, callback := base+".web/client.jsonld", base+".web/callback"
	verifier := "a-verifier-of-at-least-forty-three-characters-0123456789"
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback},
		"scope": {"openid webid offline_access"}, "state": {"st"}, "code_challenge_method": {"S256"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}}
	next := base + ".oidc/auth?" + q.Encode()
	nav := map[string]string{"Accept": browserAccept, "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "same-origin"}
	var cookies []*http.Cookie
	var code string
	for i := 0; i < 6 && code == ""; i++ {
		req, _ := http.NewRequest("GET", next, nil)
		for k, v := range nav {
			req.Header.Set(k, v)
		}
		req.AddCookie(alice)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cookies = append(cookies, resp.Cookies()...)
		loc := resp.Header.Get("Location")
		if resp.StatusCode/100 != 3 || loc == "" {
			t.Fatalf("step %d: %s answered %d, want a redirect (no consent page for the pages' own client)", i, next, resp.StatusCode)
		}
		u, _ := url.Parse(next)
		lu, _ := u.Parse(loc)
		if strings.Contains(lu.Path, "/consent") {
			t.Fatalf("the pages' own client was sent to the consent page")
		}
		if strings.HasPrefix(lu.String(), callback+"?") {
			if lu.Query().Get("state") != "st" {
				t.Fatalf("callback %s", lu)
			}
			code = lu.Query().Get("code")
			break
		}
		next = lu.String()
	}
	if code == "" {
		t.Fatal("no code")
	}
	tokenURL := base + ".oidc/token"
	exchange := func(form url.Values) (int, map[string]any) {
		proof, _ := key.Proof("POST", tokenURL, "", time.Now())
		req, _ := http.NewRequest("POST", tokenURL, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("DPoP", proof)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	st, tok := exchange(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback},
		"client_id": {clientID}, "code_verifier": {verifier}})
	access, _ := tok["access_token"].(string)
	refresh, _ := tok["refresh_token"].(string)
	if st != 200 || access == "" || refresh == "" {
		t.Fatalf("token: %d %v", st, tok)
	}
	if r := sendWith(t, "PUT", base, "/alice/from-pages.txt", "text/plain", "hi", access, key); r.StatusCode != 201 {
		t.Fatalf("PUT with the pages' token: %d", r.StatusCode)
	}
	st, tok = exchange(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {clientID}})
	if access2, _ := tok["access_token"].(string); st != 200 || access2 == "" {
		t.Fatalf("refresh: %d %v", st, tok)
	}
	refresh, _ = tok["refresh_token"].(string)
	access, _ = tok["access_token"].(string)
	// Another DPoP key cannot use the refresh token (RFC 9449 §5).
	own := key
	key, _ = testissuer.NewKey()
	if st, _ = exchange(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {clientID}}); st == 200 {
		t.Fatal("refresh token used with another key")
	}
	key = own
	// Log-out ends the pages' tokens: a page left open writes nothing more.
	req, _ := http.NewRequest("POST", base+".idp/logout", strings.NewReader(url.Values{"csrf": {s.id.accounts.CSRFToken(alice.Value)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range map[string]string{"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?1"} {
		req.Header.Set(k, v)
	}
	req.AddCookie(alice)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("log-out: %d", resp.StatusCode)
	}
	if r := sendWith(t, "PUT", base, "/alice/after-logout.txt", "text/plain", "hi", access, key); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("PUT with the pages' token after log-out: %d", r.StatusCode)
	}
	if st, _ = exchange(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {clientID}}); st == 200 {
		t.Error("the pages' refresh token still works after log-out")
	}
}

// Subdomain pods (issue 15, a decision): the session cookie belongs to
// the base host, so a pod's own host shows only what is public; even a
// session cookie that reaches it (planted for the parent domain, say) is
// not used, and a private page's 401 page sends to the base host's log-in.
func TestSubdomainPodPagesArePublicViews(t *testing.T) {
	s, base, hostPort, client := subdomainServer(t)
	alice := sessionCookie(t, s, "alice@example.org")
	get := func(u string, cookie *http.Cookie) pageAnswer {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Accept", browserAccept)
		req.Header.Set("Sec-Fetch-Mode", "navigate")
		req.Header.Set("Sec-Fetch-Dest", "document")
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return pageAnswer{resp.StatusCode, resp.Header.Get("Content-Type"), string(b), resp.Header}
	}
	pod := "http://alice." + hostPort + "/"
	if a := get(pod+"profile/card", nil); a.status != 200 || !strings.HasPrefix(a.ctype, "text/html") {
		t.Errorf("public profile on the pod's host: %d %s", a.status, a.ctype)
	}
	a := get(pod+"settings/", alice)
	if a.status != http.StatusUnauthorized || !strings.HasPrefix(a.ctype, "text/html") || strings.Contains(a.body, "prefs.ttl") {
		t.Fatalf("private folder on the pod's host with a cookie: %d %s", a.status, a.ctype)
	}
	if !strings.Contains(a.body, `href="`+base+`.idp/login"`) {
		t.Errorf("the 401 page does not send to the base host's log-in:\n%s", a.body)
	}
	// The pod's host serves nothing but the pod: the page's style, scripts
	// and header links come from the base host, which its CSP allows.
	if !strings.Contains(a.body, `<link rel="stylesheet" href="`+base+`.web/static/style.css?v=`) ||
		!strings.Contains(a.body, `<a href="`+base+`.idp/signup">Sign up</a>`) {
		t.Errorf("the pod host's page links relative assets or pages:\n%s", a.body)
	}
	origin := strings.TrimSuffix(base, "/")
	if csp := a.header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'self' "+origin+";") ||
		!strings.Contains(csp, "script-src 'self' "+origin+";") {
		t.Errorf("CSP on the pod's host: %q", csp)
	}
	if a := get(base+".web/static/style.css", nil); a.status != 200 {
		t.Errorf("style on the base host: %d", a.status)
	}
	// The base host's own pages still know the session.
	if a := get(base+".idp/account", alice); a.status != 200 {
		t.Errorf("account page: %d", a.status)
	}
}

// Issue 15 item 0: "/" is a landing page for a visitor and for a logged-in
// person who does not own the root (with the way to their pod), never the
// plain text "authentication required".
func TestRootIsALandingPage(t *testing.T) {
	s, base := serveAccounts(t, "alice", "bob") // alice, the first, owns the root
	nav := map[string]string{"Accept": browserAccept, "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
	a := getPage(t, base, "/", nav, nil)
	if a.status != 200 || !strings.Contains(a.body, "/.idp/signup") || !strings.Contains(a.body, "/.idp/login") {
		t.Fatalf("anonymous /: %d %s\n%s", a.status, a.ctype, a.body)
	}
	a = getPage(t, base, "/", nav, sessionCookie(t, s, "bob@example.org"))
	if a.status != 200 || !strings.Contains(a.body, `<a class="button" href="`+base+`bob/">Go to your pod</a>`) {
		t.Fatalf("bob's /: %d\n%s", a.status, a.body)
	}
	// No dead ends: an unknown page is a 404 page that links on.
	bob := sessionCookie(t, s, "bob@example.org")
	for _, p := range []string{"/.web/nope", "/bob/no/such/thing", "/.idp/nope", "/.idp/static/style.css"} {
		a = getPage(t, base, p, nav, bob)
		if a.status != http.StatusNotFound || !strings.HasPrefix(a.ctype, "text/html") || !strings.Contains(a.body, "<a ") {
			t.Errorf("%s: %d %s\n%s", p, a.status, a.ctype, a.body)
		}
	}
}

// BenchmarkContainerPage: the page of a folder of 1,000 files, rendered
// for its owner (an in-process HEAD and GET to the LDP handler, the
// Turtle parsed, sorted and rendered), over real HTTP on loopback.
func BenchmarkContainerPage(b *testing.B) {
	s, base := serveAccounts(b, "alice")
	id, secret, key := scriptCredentials(b, s, "alice@example.org")
	st, access := tokenRequest(b, base, id, secret, key)
	if st != 200 {
		b.Fatalf("token: %d", st)
	}
	for i := range 1000 {
		u := fmt.Sprintf("%salice/big/file-%04d.txt", base, i)
		proof, _ := key.Proof("PUT", u, access, time.Now())
		req, _ := http.NewRequest("PUT", u, strings.NewReader("x"))
		req.Header.Set("Content-Type", "text/plain")
		req.Header.Set("Authorization", "DPoP "+access)
		req.Header.Set("DPoP", proof)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 201 {
			b.Fatalf("PUT %d: %v", i, err)
		}
		resp.Body.Close()
	}
	ctx := context.Background()
	acct, _ := s.id.accounts.ByEmail(ctx, "alice@example.org")
	tok, _ := s.id.accounts.NewSession(ctx, acct.ID)
	cookie := s.id.accounts.Cookie(tok)
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest("GET", base+"alice/big/?sort=size&order=desc", nil)
		req.Header.Set("Accept", browserAccept)
		req.Header.Set("Sec-Fetch-Mode", "navigate")
		req.AddCookie(cookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n < 100_000 { // 500 of the 1,000 rows
			b.Fatalf("page: %d, %d bytes", resp.StatusCode, n)
		}
		b.SetBytes(n)
	}
}
