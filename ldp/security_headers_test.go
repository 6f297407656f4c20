package ldp_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
)

// SECURITY row 58: user-written pages never run with the base origin (the
// identity provider's and the account API's). Every answer on the base
// host is sandboxed without allow-same-origin and carries nosniff; a pod
// on a host of its own (subdomain layout) may serve active content.
func TestRow58SandboxOnBaseHost(t *testing.T) {
	st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	loc, err := ldp.NewLocator(base, func(name string) bool { return name == "sub" })
	if err != nil {
		t.Fatal(err)
	}
	h := ldptest.PublicHandler(t, st, res, ldp.Config{BaseURL: base, Locator: loc})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	page := `<html><body><script>fetch("/.idp/account")</script></body></html>`
	svg := `<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("/.account/")</script></svg>`
	baseHost := strings.TrimPrefix(strings.TrimSuffix(base, "/"), "http://")
	send := func(method, host, path, ct, body string, hdr ...string) *http.Response {
		t.Helper()
		hr, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		hr.Host = host
		if ct != "" {
			hr.Header.Set("Content-Type", ct)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			hr.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := srv.Client().Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, c := range []struct{ host, path, ct, body string }{
		{baseHost, "/page.html", "text/html", page},
		{baseHost, "/pic.svg", "image/svg+xml", svg},
		{baseHost, "/doc.xml", "application/xml", `<?xml version="1.0"?><x/>`},
		{"sub." + baseHost, "/page.html", "text/html", page},
		{"sub." + baseHost, "/pic.svg", "image/svg+xml", svg},
	} {
		if r := send("PUT", c.host, c.path, c.ct, c.body); r.StatusCode != 201 {
			t.Fatalf("PUT %s%s = %d", c.host, c.path, r.StatusCode)
		}
	}

	for _, c := range []struct {
		name, host, path, method string
		sandbox                  bool
	}{
		{"html", baseHost, "/page.html", "GET", true},
		{"svg", baseHost, "/pic.svg", "GET", true},
		{"xml", baseHost, "/doc.xml", "GET", true},
		{"head", baseHost, "/page.html", "HEAD", true},
		{"range", baseHost, "/page.html", "GET", true},
		{"container", baseHost, "/", "GET", true},
		{"not found", baseHost, "/missing.html", "GET", true},
		{"other Host header", "evil.example", "/page.html", "GET", true},
		{"subdomain pod html", "sub." + baseHost, "/page.html", "GET", false},
		{"subdomain pod svg", "sub." + baseHost, "/pic.svg", "GET", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.name == "range" {
				hdr = []string{"Range", "bytes=0-5"}
			}
			resp := send(c.method, c.host, c.path, "", "", hdr...)
			if resp.StatusCode >= 400 && c.name != "not found" {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			csp := resp.Header.Values("Content-Security-Policy")
			if !c.sandbox {
				if len(csp) != 0 {
					t.Errorf("a subdomain pod's page is sandboxed: %q", csp)
				}
				return
			}
			if len(csp) != 1 || strings.TrimSpace(csp[0]) != "sandbox" {
				t.Errorf("Content-Security-Policy = %q, want exactly sandbox (no allow-same-origin, no allow-scripts)", csp)
			}
		})
	}
}
