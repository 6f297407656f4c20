package solidos

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

const chromeAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// wantsHTML stands in for browse.Wants, which the server passes.
func wantsHTML(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.Header.Get("Accept") == chromeAccept &&
		r.Header.Get("Sec-Fetch-Mode") != "cors"
}

// TestNewRejects: the shell is never built for a URL that could break out
// of its attribute or CSP source (the server's config refuses them first).
func TestNewRejects(t *testing.T) {
	for _, u := range []string{"", "/mashlib/", "javascript:alert(1)//", "https://cdn.example/m", "https://cdn.example/m/?x",
		"https://cdn.example/m/#x", "https://u@cdn.example/m/", "https://cdn.example/m/';script-src */",
		"https://cdn.example/\"><script>/", "https://*.example/m/", "https://cdn.example/a b/"} {
		if _, err := New(u, "https://pod.test/"); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}

func serve(t *testing.T, s *Shell, r *http.Request) *http.Response {
	t.Helper()
	pod := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/turtle")
		_, _ = io.WriteString(w, "<#me> a <#Person>.")
	})
	w := httptest.NewRecorder()
	s.Wrap(pod, wantsHTML).ServeHTTP(w, r)
	return w.Result()
}

// TestShell: the page loads mashlib from its folder, runs no script of this
// origin (SECURITY row 58: script-src names only the mashlib folder and the
// boot script's hash), is never framed or cached, and is the same for
// every resource: it carries no pod data.
func TestShell(t *testing.T) {
	const mashlib = "http://127.0.0.1:9000/dist/"
	s, err := New(mashlib, "http://pod.test/")
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "http://pod.test/alice/private/secret.ttl", nil)
	r.Header.Set("Accept", chromeAccept)
	res := serve(t, s, r)
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	page := string(body)
	for _, want := range []string{`<script defer src="http://127.0.0.1:9000/dist/mashlib.min.js">`,
		`<link href="http://127.0.0.1:9000/dist/mash.css" rel="stylesheet">`, "panes.runDataBrowser()", `id="OutlineView"`} {
		if !strings.Contains(page, want) {
			t.Errorf("shell lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "secret") || strings.Contains(page, "alice") {
		t.Error("shell names the resource")
	}
	csp := res.Header.Get("Content-Security-Policy")
	scriptSrc := regexp.MustCompile(`script-src ([^;]*)`).FindStringSubmatch(csp)
	if scriptSrc == nil {
		t.Fatalf("no script-src in %q", csp)
	}
	sum := sha256.Sum256([]byte(boot))
	want := mashlib + " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	if scriptSrc[1] != want {
		t.Errorf("script-src %q, want %q", scriptSrc[1], want)
	}
	// The inline script the hash allows is exactly the one in the page.
	inline := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindStringSubmatch(page)
	if inline == nil || inline[1] != boot {
		t.Errorf("inline script is not the hashed boot script: %q", inline)
	}
	for _, want := range []string{"default-src 'none'", "connect-src 'self' http://pod.test ws://pod.test https:", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "frame-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows eval: %q", csp)
	}
	for k, v := range map[string]string{"X-Frame-Options": "DENY", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if got := res.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if !strings.Contains(res.Header.Get("Vary"), "Accept") {
		t.Errorf("Vary %q", res.Header.Get("Vary"))
	}

	// HEAD: headers, no body.
	r = httptest.NewRequest("HEAD", "http://pod.test/alice/", nil)
	r.Header.Set("Accept", chromeAccept)
	res = serve(t, s, r)
	if b, _ := io.ReadAll(res.Body); res.StatusCode != 200 || len(b) != 0 {
		t.Errorf("HEAD: %d with %d bytes", res.StatusCode, len(b))
	}
}

// TestShellPassesThrough: RDF clients, scripts and the server's own "/."
// paths get the pod handler's answer.
func TestShellPassesThrough(t *testing.T) {
	s, err := New("https://cdn.example/mashlib/", "https://pod.test/")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, accept, mode string
	}{
		{"turtle", "/alice/card", "text/turtle", ""},
		{"fetch", "/alice/card", chromeAccept, "cors"},
		{"reserved path", "/.well-known/solid", chromeAccept, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://pod.test"+tc.path, nil)
			r.Header.Set("Accept", tc.accept)
			if tc.mode != "" {
				r.Header.Set("Sec-Fetch-Mode", tc.mode)
				r.Header.Set("Sec-Fetch-Dest", "empty")
			}
			res := serve(t, s, r)
			if res.Header.Get("Content-Type") != "text/turtle" {
				t.Errorf("got %q, want the pod's answer", res.Header.Get("Content-Type"))
			}
		})
	}
}
