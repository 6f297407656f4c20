package conformance

import (
	"net/http"
	"strings"
	"testing"
)

// Solid Protocol §"Cross-Origin Resource Sharing" with the Fetch standard's
// CORS protocol.

const testOrigin = "https://app.example"

// corsSafelisted are the CORS-safelisted response headers (Fetch §
// "CORS-safelisted response-header name") and headers that describe the
// message rather than the resource; neither needs exposing.
var corsSafelisted = map[string]bool{
	"cache-control": true, "content-language": true, "content-length": true,
	"content-type": true, "expires": true, "last-modified": true, "pragma": true,
	// transport / connection management, never read by apps
	"date": true, "connection": true, "keep-alive": true, "transfer-encoding": true,
	"vary": true,
	// browser-enforced security policy headers, meaningless to app code
	"x-content-type-options": true, "content-security-policy": true,
	"x-frame-options": true, "referrer-policy": true,
}

// interopExposed is the Access-Control-Expose-Headers list INTEROP.md names.
var interopExposed = []string{"accept-patch", "accept-post", "accept-put", "allow",
	"content-range", "etag", "last-modified", "link", "location", "updates-via",
	"wac-allow", "www-authenticate"}

func TestCORS(t *testing.T) {
	dir := fresh(t.Name())
	srv.put(t, dir+"r.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))

	// sample is a set of responses to requests carrying an Origin.
	sample := func(t *testing.T) map[string]*reply {
		return map[string]*reply{
			"GET resource":  srv.do(t, http.MethodGet, dir+"r.ttl", nil, "Origin", testOrigin),
			"HEAD resource": srv.do(t, http.MethodHead, dir+"r.ttl", nil, "Origin", testOrigin),
			"GET container": srv.do(t, http.MethodGet, dir, nil, "Origin", testOrigin),
			"POST":          srv.do(t, http.MethodPost, dir, []byte("x"), "Origin", testOrigin, "Content-Type", "text/plain"),
			"PUT":           srv.do(t, http.MethodPut, dir+"r.ttl", []byte(`<#a> <#b> <#d> .`), "Origin", testOrigin, "Content-Type", ctTurtle),
			"GET 404":       srv.do(t, http.MethodGet, dir+"missing", nil, "Origin", testOrigin),
			"DELETE 405":    srv.do(t, http.MethodDelete, "/", nil, "Origin", testOrigin),
			"PUT 409":       srv.do(t, http.MethodPut, dir+"r.ttl/", []byte(``), "Origin", testOrigin, "Content-Type", ctTurtle),
			"GET 304":       srv.do(t, http.MethodGet, dir, nil, "Origin", testOrigin, "If-None-Match", "*"),
		}
	}

	requirement(t, "server-cors", func(t *testing.T) {
		// Blocking is done with status codes, never by withholding CORS headers.
		for name, r := range sample(t) {
			if r.Header.Get("Access-Control-Allow-Origin") == "" {
				t.Errorf("%s (%d): no Access-Control-Allow-Origin", name, r.StatusCode)
			}
		}
		// Any request header combination an app may send passes preflight.
		r := srv.do(t, http.MethodOptions, dir+"r.ttl", nil,
			"Origin", testOrigin,
			"Access-Control-Request-Method", "PATCH",
			"Access-Control-Request-Headers", "authorization, dpop, content-type, if-match, slug, link, x-custom-thing")
		mustStatus(t, r, optionsO...)
		allowed := tokens(r.Header, "Access-Control-Allow-Headers")
		if !allowed["*"] || r.Header.Get("Access-Control-Allow-Credentials") == "true" {
			for _, h := range []string{"authorization", "dpop", "content-type", "if-match", "slug", "link", "x-custom-thing"} {
				if !allowed[h] {
					t.Errorf("preflight does not allow request header %s: %v", h, r.Header.Values("Access-Control-Allow-Headers"))
				}
			}
		}
		if m := tokens(r.Header, "Access-Control-Allow-Methods"); !m["patch"] && !m["*"] {
			t.Errorf("preflight does not allow PATCH: %v", r.Header.Values("Access-Control-Allow-Methods"))
		}
	})

	requirement(t, "server-cors-access-control-headers", func(t *testing.T) {
		for name, r := range sample(t) {
			if r.Header.Get("Access-Control-Allow-Origin") == "" {
				t.Errorf("%s: no Access-Control-Allow-Origin", name)
			}
			if r.Header.Get("Access-Control-Expose-Headers") == "" {
				t.Errorf("%s: no Access-Control-Expose-Headers", name)
			}
		}
		// No Origin, no CORS obligations; the response must still be fine.
		expect(t, srv.do(t, http.MethodGet, dir+"r.ttl", nil), http.StatusOK)
	})

	requirement(t, "server-cors-acao-vary", func(t *testing.T) {
		for name, r := range sample(t) {
			if got := r.Header.Get("Access-Control-Allow-Origin"); got != testOrigin {
				t.Errorf("%s: Access-Control-Allow-Origin %q, want the request Origin %q", name, got, testOrigin)
			}
			if !tokens(r.Header, "Vary")["origin"] {
				t.Errorf("%s: Vary %v lacks Origin", name, r.Header.Values("Vary"))
			}
		}
		other := srv.do(t, http.MethodGet, dir+"r.ttl", nil, "Origin", "http://localhost:3000")
		if got := other.Header.Get("Access-Control-Allow-Origin"); got != "http://localhost:3000" {
			t.Errorf("second origin: Access-Control-Allow-Origin %q", got)
		}
	})

	requirement(t, "server-cors-aceh", func(t *testing.T) {
		for name, r := range sample(t) {
			exposed := tokens(r.Header, "Access-Control-Expose-Headers")
			for h := range r.Header {
				lh := strings.ToLower(h)
				if corsSafelisted[lh] || strings.HasPrefix(lh, "access-control-") {
					continue
				}
				if !exposed[lh] {
					t.Errorf("%s: response header %s is not exposed (Expose-Headers %v)", name, h, r.Header.Values("Access-Control-Expose-Headers"))
				}
			}
			for _, h := range interopExposed {
				if !exposed[h] {
					t.Errorf("%s: Expose-Headers lacks %s", name, h)
				}
			}
		}
	})

	requirement(t, "server-cors-options", func(t *testing.T) {
		for _, p := range []string{"/", dir, dir + "r.ttl", dir + "missing/child.ttl"} {
			for _, method := range []string{"GET", "PUT", "POST", "DELETE", "PATCH"} {
				r := srv.do(t, http.MethodOptions, p, nil,
					"Origin", testOrigin,
					"Access-Control-Request-Method", method,
					"Access-Control-Request-Headers", "content-type")
				if !expect(t, r, http.StatusNoContent, http.StatusOK) {
					continue
				}
				if got := r.Header.Get("Access-Control-Allow-Origin"); got != testOrigin {
					t.Errorf("OPTIONS %s (%s): Access-Control-Allow-Origin %q", p, method, got)
				}
				m := tokens(r.Header, "Access-Control-Allow-Methods")
				if !m[strings.ToLower(method)] && !m["*"] {
					t.Errorf("OPTIONS %s: Allow-Methods %v lacks %s", p, r.Header.Values("Access-Control-Allow-Methods"), method)
				}
				if !tokens(r.Header, "Vary")["origin"] {
					t.Errorf("OPTIONS %s: Vary lacks Origin", p)
				}
			}
		}
	})

	requirement(t, "server-cors-enumerate", func(t *testing.T) {
		for name, r := range sample(t) {
			e := tokens(r.Header, "Access-Control-Expose-Headers")
			if e["*"] && len(e) == 1 {
				t.Errorf("%s: Expose-Headers is only *", name)
			}
		}
	})

	requirement(t, "server-cors-accept-acah", func(t *testing.T) {
		r := srv.do(t, http.MethodOptions, dir+"r.ttl", nil,
			"Origin", testOrigin,
			"Access-Control-Request-Method", "GET",
			"Access-Control-Request-Headers", "accept")
		mustStatus(t, r, optionsO...)
		if !tokens(r.Header, "Access-Control-Allow-Headers")["accept"] {
			t.Errorf("Access-Control-Allow-Headers %v lacks Accept", r.Header.Values("Access-Control-Allow-Headers"))
		}
	})
}
