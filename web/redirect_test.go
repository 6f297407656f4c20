package web

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSafeNext(t *testing.T) {
	h := &Handler{prefix: "/.idp"}
	for next, want := range map[string]string{
		"/.idp/account":        "/.idp/account",
		"/.idp/account?done=x": "/.idp/account?done=x",
		"":                     "",
		"//evil.example":       "",
		"https://evil.example": "",
		`/\evil`:               "",
		`/.idp/\evil`:          "",
		"/.idp/../evil":        "",
		"/.idp/./account":      "",
		"/.idp/%2e%2e/evil":    "",
		"/.idp/%2Fevil":        "",
		"/.idp/account#frag":   "",
		"/.idp/\x00":           "",
		"/.idp/ account":       "",
		"/.idpx/account":       "",
		// Pages of pod data (issue 15: log-in returns to the page).
		"/alice/":                 "/alice/",
		"/alice/docs/a%20b.txt":   "/alice/docs/a%20b.txt",
		"/alice/?sort=size":       "/alice/?sort=size",
		"/":                       "/",
		"/.web/share?resource=x":  "/.web/share?resource=x",
		"/alice/%2e%2e/bob/":      "",
		"/alice/%2E%2E":           "",
		"/alice/..":               "",
		"/alice/a%2fb":            "",
		"/alice/a%5Cb":            "",
		"/.oidc/auth?client_id=x": "",
		"/.account/":              "",
		"/.well-known/x":          "",
		"/alice/ ":                "/alice/ ",
		"javascript:alert(1)":     "",
		"/.idp/" + strings.Repeat("a", maxNextLen): "",
	} {
		if got := h.safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
	sub := &Handler{prefix: "/base/.idp"}
	if sub.safeNext("/.idp/account") != "" || sub.safeNext("/base/.idp/account") == "" {
		t.Error("safeNext ignores the base path")
	}
}

// FuzzSafeNext: whatever is accepted is a same-origin path under the
// pages' prefix, as a browser would resolve it.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/.idp/account", "//x", `/\x`, "/.idp/..", "/.idp/a?b=c", "/.idp/%2f"} {
		f.Add(s)
	}
	h := &Handler{prefix: "/.idp"}
	base, _ := url.Parse("https://pod.example/.idp/login")
	f.Fuzz(func(t *testing.T, next string) {
		got := h.safeNext(next)
		if got == "" {
			return
		}
		u, err := base.Parse(got)
		if err != nil || u.Host != "pod.example" || u.Scheme != "https" || !strings.HasPrefix(u.Path, "/") ||
			strings.Contains(u.Path, "/../") || strings.HasSuffix(u.Path, "/..") || strings.Contains(u.Path, "\\") ||
			(strings.HasPrefix(u.Path, "/.") && !strings.HasPrefix(u.Path, "/.idp") && !strings.HasPrefix(u.Path, "/.web")) {
			t.Fatalf("safeNext accepted %q → %v", next, u)
		}
	})
}

func TestCSPSource(t *testing.T) {
	for in, want := range map[string]string{
		"https://app.example/cb":          "https://app.example",
		"http://127.0.0.1:3000/cb?x=1":    "http://127.0.0.1:3000",
		"HTTPS://App.Example/cb":          "https://app.example",
		"com.example.app:/callback":       "com.example.app:",
		"javascript:alert(1)":             "",
		"data:text/html,x":                "",
		"https:///nohost":                 "",
		"not a url":                       "",
		"https://a.example;script-src */": "",
	} {
		if got := cspSource(in); got != want {
			t.Errorf("cspSource(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClaimTable(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newClaimTable(2, func() time.Time { return now })
	if !c.bind("i1", "A", time.Minute) || !c.bind("i1", "A", time.Minute) {
		t.Fatal("the claiming browser is refused")
	}
	if c.bind("i1", "B", time.Minute) || c.holds("i1", "B") || !c.holds("i1", "A") {
		t.Fatal("another browser took over a claim")
	}
	if c.holds("i2", "A") || c.holds("i1", "") {
		t.Fatal("holds without a claim")
	}
	now = now.Add(2 * time.Minute)
	if c.holds("i1", "A") || !c.bind("i1", "B", time.Minute) {
		t.Fatal("an expired claim still binds")
	}
	c.bind("i2", "A", time.Minute)
	c.bind("i3", "A", time.Minute) // table full: room is made
	if len(c.m) > 2 {
		t.Fatalf("table grew to %d", len(c.m))
	}
	c.drop("i3")
	if c.holds("i3", "A") {
		t.Fatal("dropped claim still held")
	}
}
