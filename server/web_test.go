package server

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
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
	isPage := func(a pageAnswer) bool { return strings.HasPrefix(a.ctype, "text/html") && strings.Contains(a.body, "<!doctype html>") }

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
