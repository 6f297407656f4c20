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

// TestSandboxPodHosts (SECURITY row 58, issue 15 item 4): with
// SandboxPodHosts (the server sets it for --data-browser solidos, whose
// shell holds the person's session on the pod's own origin) a subdomain
// pod's stored HTML and SVG are sandboxed like the base host's; without it
// they are not (TestRow58SandboxOnBaseHost).
func TestSandboxPodHosts(t *testing.T) {
	st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	loc, err := ldp.NewLocator(base, func(name string) bool { return name == "sub" })
	if err != nil {
		t.Fatal(err)
	}
	h := ldptest.PublicHandler(t, st, res, ldp.Config{BaseURL: base, Locator: loc, SandboxPodHosts: true})
	host := "sub." + strings.TrimPrefix(strings.TrimSuffix(base, "/"), "http://")
	for _, c := range []struct{ path, ct, body string }{
		{"/page.html", "text/html", `<script>top.PWNED=1</script>`},
		{"/pic.svg", "image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg"><script>top.PWNED=1</script></svg>`},
	} {
		r := httptest.NewRequest(http.MethodPut, "http://"+host+c.path, strings.NewReader(c.body))
		r.Header.Set("Content-Type", c.ct)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusCreated {
			t.Fatalf("PUT %s: %d %s", c.path, w.Code, w.Body)
		}
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			r = httptest.NewRequest(method, "http://"+host+c.path, nil)
			w = httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK || w.Header().Get("Content-Security-Policy") != "sandbox" {
				t.Errorf("%s %s on the pod's host: %d, CSP %q", method, c.path, w.Code, w.Header().Get("Content-Security-Policy"))
			}
		}
	}
}
