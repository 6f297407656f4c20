package server

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Issue 15 item 1: the sharing and profile pages are served at /.web/,
// rendered for the page session as that WebID; the handle resolver of
// their scripts takes no cookie (a DPoP-bound token only).
func TestSharePagesWired(t *testing.T) {
	s, base := serveAccounts(t, "alice", "bob")
	alice := sessionCookie(t, s, "alice@example.org")
	bob := sessionCookie(t, s, "bob@example.org")
	aliceWebID := base + "alice/profile/card#me"
	share := "/.web/share?resource=" + url.QueryEscape(base+"alice/")

	a := getPage(t, base, share, nil, alice)
	if a.status != http.StatusOK || !strings.Contains(a.body, aliceWebID) || !strings.Contains(a.body, `<span class="tag">owner</span>`) {
		t.Fatalf("owner's sharing page: %d\n%s", a.status, a.body)
	}
	if a := getPage(t, base, share, nil, bob); a.status != http.StatusForbidden || strings.Contains(a.body, aliceWebID+`"`) {
		t.Fatalf("bob: %d\n%s", a.status, a.body)
	}
	// The settings folder inherits from the pod root.
	a = getPage(t, base, "/.web/share?resource="+url.QueryEscape(base+"alice/settings/"), nil, alice)
	if a.status != http.StatusOK || !strings.Contains(a.body, `id="inherited-note"`) {
		t.Fatalf("inherited: %d\n%s", a.status, a.body)
	}

	p := getPage(t, base, "/.web/profile?pod=alice", nil, alice)
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="profile-name"`) || !strings.Contains(p.body, "What apps see") ||
		!strings.Contains(p.body, "Logs in with") {
		t.Fatalf("profile: %d\n%s", p.status, p.body)
	}
	if !strings.Contains(p.body, `id="actor-view"`) || !strings.Contains(p.body, "acct:alice@") {
		t.Errorf("profile page lacks what Fediverse peers see:\n%s", p.body)
	}
	if p := getPage(t, base, "/.web/profile?pod=alice", nil, bob); p.status != http.StatusOK || strings.Contains(p.body, `id="profile-name"`) {
		t.Fatalf("bob sees alice's profile editor: %d", p.status)
	}
	if p := getPage(t, base, "/.web/profile?pod=nobody", nil, alice); p.status != http.StatusNotFound {
		t.Fatalf("unknown pod: %d", p.status)
	}

	r := getPage(t, base, "/.web/api/resolve-handle?handle=%40alice%40"+url.QueryEscape(strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/")), nil, alice)
	if r.status != http.StatusUnauthorized || strings.Contains(r.body, aliceWebID) {
		t.Fatalf("resolver with the cookie only: %d %s", r.status, r.body)
	}
}

// With subdomain pods (--pod-layout subdomain), the pages stay on the base
// host and read the pod on its own origin as the person; the page's script
// may reach exactly that origin (connect-src) to write the ACL or profile.
func TestSharePagesSubdomainPods(t *testing.T) {
	s, base, hostPort, client := subdomainServer(t)
	alice := "http://alice." + hostPort + "/"
	cookie := sessionCookie(t, s, "alice@example.org")
	get := func(path string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+strings.TrimPrefix(path, "/"), nil)
		req.AddCookie(cookie)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := get("/.web/share?resource=" + url.QueryEscape(alice))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, alice+"profile/card#me") ||
		!strings.Contains(body, `<span class="tag">owner</span>`) || !strings.Contains(body, html.EscapeString(`"acl":"`+alice+`.acl"`)) {
		t.Fatalf("sharing page: %d\n%s", resp.StatusCode, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' http://alice."+hostPort+";") {
		t.Fatalf("CSP %q", csp)
	}
	resp, body = get("/.web/profile?pod=alice")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="profile-name"`) {
		t.Fatalf("profile page: %d\n%s", resp.StatusCode, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' http://alice."+hostPort+";") ||
		!strings.Contains(csp, "img-src 'self' data: blob: http://alice."+hostPort+";") {
		t.Fatalf("profile CSP %q", csp)
	}
}
