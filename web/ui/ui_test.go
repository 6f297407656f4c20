package ui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/naamio/naamio/auth"
)

func TestStaticCaching(t *testing.T) {
	get := func(target string, hd map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", target, nil)
		for k, v := range hd {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		Static(w, r)
		return w
	}
	for _, name := range []string{"style.css", "naamio.js", "callback.js"} {
		w := get(StaticPath+name, nil)
		if w.Code != 200 || w.Header().Get("ETag") == "" || w.Header().Get("Cache-Control") != "no-cache" ||
			w.Header().Get("X-Content-Type-Options") != "nosniff" || w.Header().Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: %d %v", name, w.Code, w.Header())
		}
		if name != "style.css" && !strings.HasPrefix(w.Header().Get("Content-Type"), "text/javascript") {
			t.Errorf("%s: Content-Type %q (module scripts need a JavaScript type)", name, w.Header().Get("Content-Type"))
		}
		if w2 := get(StaticPath+name, map[string]string{"If-None-Match": w.Header().Get("ETag")}); w2.Code != http.StatusNotModified {
			t.Errorf("%s: revalidation %d", name, w2.Code)
		}
		s := &Set{}
		if w3 := get(s.Asset(name), nil); w3.Code != 200 || !strings.Contains(w3.Header().Get("Cache-Control"), "immutable") {
			t.Errorf("%s: hashed URL %s: %d %q", name, s.Asset(name), w3.Code, w3.Header().Get("Cache-Control"))
		}
		if w4 := get(StaticPath+name+"?v=stale", nil); strings.Contains(w4.Header().Get("Cache-Control"), "immutable") {
			t.Errorf("%s: a stale hash is cached for a year", name)
		}
	}
	// Bad input: traversal, unknown names, other methods.
	for _, p := range []string{StaticPath + "../ui.go", StaticPath + "%2e%2e/ui.go", StaticPath + "", StaticPath + "nope.js",
		StaticPath + "static/style.css", "/other/style.css"} {
		if w := get(p, nil); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
	r := httptest.NewRequest("POST", StaticPath+"style.css", nil)
	w := httptest.NewRecorder()
	Static(w, r)
	if w.Code != http.StatusNotFound {
		t.Errorf("POST: %d", w.Code)
	}
}

// User data reaches pages only through html/template: markup in a
// resource name or a WebID is text (issue 15 item 5).
func TestRenderEscapesAndHeaders(t *testing.T) {
	set, err := Parse("http://pods.example/", nil, os.DirFS("."), "testdata", "probe")
	if err != nil {
		t.Fatal(err)
	}
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	w := httptest.NewRecorder()
	set.Render(w, httptest.NewRequest("GET", "/alice/?x=%3Cscript%3E", nil), 200, "probe",
		&Page{Title: evil, WebID: "http://pods.example/alice/profile/card#me", Data: evil})
	body := w.Body.String()
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
		t.Fatalf("markup rendered live:\n%s", body)
	}
	csp := w.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	for _, want := range []string{`href="http://pods.example/alice/"`, `href="/.web/profile?pod=alice"`, `href="/.idp/account"`} {
		if !strings.Contains(body, want) {
			t.Errorf("nav lacks %s:\n%s", want, body)
		}
	}
}

func TestPodOf(t *testing.T) {
	for webID, want := range map[string][2]string{
		"http://h/alice/profile/card#me":     {"http://h/alice/", "alice"},
		"https://alice.h/profile/card#me":    {"https://alice.h/", "alice"},
		"https://h/base/bob/profile/card#me": {"https://h/base/bob/", "bob"},
		"https://elsewhere.example/me#i":     {"", ""},
		"profile/card#me":                    {"", ""},
		"javascript:x//profile/card#me":      {"", ""},
	} {
		u, n := PodOf(webID)
		if u != want[0] || n != want[1] {
			t.Errorf("PodOf(%q) = %q %q, want %q", webID, u, n, want)
		}
	}
}

func TestAsUser(t *testing.T) {
	a, err := auth.AgentFrom(AsUser(context.Background(), "http://h/alice/profile/card#me"))
	if err != nil || a.WebID != "http://h/alice/profile/card#me" || a.ClientID != ClientPath {
		t.Errorf("AsUser: %+v %v", a, err)
	}
	if a, _ := auth.AgentFrom(AsUser(context.Background(), "")); !a.Anonymous() {
		t.Errorf("AsUser(\"\") = %+v", a)
	}
}
