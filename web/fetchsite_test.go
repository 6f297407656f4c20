package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// SECURITY row 58: the provider's pages answer only top-level navigations,
// and their forms only navigations from a page of ours — a person's click
// for the forms that approve a client or change an account — so a script
// on this origin (a stored page, were it not sandboxed) or a sandboxed
// page (opaque origin, cross-site requests) reads no CSRF token or account
// data and submits nothing.
func TestFetchMetadataGate(t *testing.T) {
	e := newEnv(t, nil)
	acct, webID := e.user(t, "alice@example.org", "correct horse", "alice")
	b := e.browser(t)
	b.login("alice@example.org", "correct horse")
	page := b.get("/.idp/account")
	if page.status != http.StatusOK {
		t.Fatalf("account page: %d", page.status)
	}
	if got := page.header.Get("Cross-Origin-Opener-Policy"); got != "same-origin" {
		t.Errorf("account page Cross-Origin-Opener-Policy = %q", got)
	}
	form := hiddenInputs(t, page.body, "/.idp/account/credentials")
	form.Set("name", "stolen")
	form.Set("webid", webID)

	nav := []string{"Sec-Fetch-Site", "same-origin", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document"}
	click := append(append([]string{}, nav...), "Sec-Fetch-User", "?1")
	own := []string{"Origin", strings.TrimSuffix(e.base, "/")}
	cat := func(ss ...[]string) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s...)
		}
		return out
	}
	send := func(method, target string, body url.Values, hdr []string) *response {
		t.Helper()
		var req *http.Request
		if method == http.MethodGet {
			req, _ = http.NewRequest(method, b.abs(target), nil)
		} else {
			req, _ = http.NewRequest(method, b.abs(target), strings.NewReader(body.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return b.do(req)
	}

	for _, c := range []struct {
		name   string
		method string
		target string
		hdr    []string
		ok     bool
	}{
		// Pages.
		{"page: top-level navigation", "GET", "/.idp/account", []string{"Sec-Fetch-Site", "none", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document"}, true},
		{"page: cross-site navigation (an app's sign-in)", "GET", "/.idp/login", []string{"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document"}, true},
		{"page: no Fetch Metadata", "GET", "/.idp/account", nil, true},
		{"page: same-origin fetch()", "GET", "/.idp/account", []string{"Sec-Fetch-Site", "same-origin", "Sec-Fetch-Mode", "cors", "Sec-Fetch-Dest", "empty"}, false},
		{"page: same-origin no-cors fetch", "GET", "/.idp/account", []string{"Sec-Fetch-Site", "same-origin", "Sec-Fetch-Mode", "no-cors", "Sec-Fetch-Dest", "empty"}, false},
		{"page: same-origin iframe", "GET", "/.idp/account", []string{"Sec-Fetch-Site", "same-origin", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "iframe"}, false},
		{"page: object", "GET", "/.idp/login", []string{"Sec-Fetch-Site", "same-origin", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "object"}, false},
		{"page: sandboxed fetch()", "GET", "/.idp/consent", []string{"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "cors", "Sec-Fetch-Dest", "empty", "Origin", "null"}, false},
		{"page: mode only", "GET", "/.idp/signup", []string{"Sec-Fetch-Mode", "cors"}, false},
		// Forms.
		{"form: a person's click on our page", "POST", "/.idp/account/credentials", cat(click, own), true},
		{"form: our page, Origin null (no-referrer)", "POST", "/.idp/account/credentials", cat(click, []string{"Origin", "null"}), true},
		{"form: no Fetch Metadata, own Origin", "POST", "/.idp/account/credentials", own, true},
		{"form: no Fetch Metadata, no Origin", "POST", "/.idp/account/credentials", nil, true},
		{"form: scripted submit (no user activation)", "POST", "/.idp/account/credentials", cat(nav, own), false},
		{"form: same-origin fetch()", "POST", "/.idp/account/credentials", cat([]string{"Sec-Fetch-Site", "same-origin", "Sec-Fetch-Mode", "cors", "Sec-Fetch-Dest", "empty", "Sec-Fetch-User", "?1"}, own), false},
		{"form: into an iframe", "POST", "/.idp/account/credentials", cat([]string{"Sec-Fetch-Site", "same-origin", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "iframe", "Sec-Fetch-User", "?1"}, own), false},
		{"form: sandboxed page", "POST", "/.idp/account/credentials", []string{"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document", "Sec-Fetch-User", "?1", "Origin", "null"}, false},
		{"form: same-site pod host", "POST", "/.idp/account/credentials", []string{"Sec-Fetch-Site", "same-site", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document", "Sec-Fetch-User", "?1", "Origin", "http://alice.localhost"}, false},
		{"form: other origin, no Fetch Metadata", "POST", "/.idp/account/credentials", []string{"Origin", "https://evil.example"}, false},
		{"form: consent, scripted", "POST", "/.idp/consent", cat(nav, own), false},
		{"form: logout from fetch()", "POST", "/.idp/logout", cat([]string{"Sec-Fetch-Site", "same-origin", "Sec-Fetch-Mode", "cors", "Sec-Fetch-Dest", "empty"}, own), false},
		{"form: login from a sandboxed page", "POST", "/.idp/login", []string{"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document", "Origin", "null"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, err := e.accounts.ListClientCredentials(t.Context(), acct.ID)
			if err != nil {
				t.Fatal(err)
			}
			r := send(c.method, c.target, form, c.hdr)
			after, err := e.accounts.ListClientCredentials(t.Context(), acct.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !c.ok {
				if r.status != http.StatusForbidden {
					t.Fatalf("status %d, want 403", r.status)
				}
				if strings.Contains(r.body, form.Get("csrf")) || strings.Contains(r.body, webID) {
					t.Fatal("a refused request was shown the CSRF token or account data")
				}
				if len(after) != len(before) {
					t.Fatal("a refused request created a credential")
				}
				return
			}
			if r.status == http.StatusForbidden {
				t.Fatalf("refused: %d %s", r.status, r.body)
			}
		})
	}
}
