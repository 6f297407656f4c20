package modpage

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/ldp/ldptest"
	"github.com/naamio/naamio/modules"
)

// getPage fetches the modules page as a browser would: with the session
// cookie (value "" for none) and no token.
func (p *pod) getPage(t *testing.T, cookie, query string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", p.base+strings.TrimPrefix(PagePath, "/")+query, nil)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "session", Value: cookie})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// The page shows the owner each module in the pod with its state,
// counters, rights and log (newest first), from the pod (read as the
// owner) and the module host's live status; everyone else gets no data.
// Hostile text in manifests, log lines and file names is rendered as
// text, never as markup (issue 15 items 2 and 5).
func TestModulesPage(t *testing.T) {
	p := newPod(t, nil)
	p.session["s-owner"] = p.owner.WebID
	p.session["s-other"] = p.other.WebID
	xss := `<img src=x onerror=alert(1)>`
	p.must(t, "PUT", "alice/settings/modules/indexer.json", "application/json",
		strings.Replace(indexerManifest("<script>alert(1)</script>", `,"config":{"index":"`+xss+`"},"allowedHosts":["api.example.org"]`), "indexer.wasm", "indexer.wasm", 1), 201)
	p.must(t, "PUT", "alice/settings/modules/indexer.wasm", "application/wasm", "\x00asm", 201)
	p.must(t, "PUT", "alice/settings/modules/broken.json", "application/json", `{"name":"`+xss+`"}`, 201)
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	p.status[p.root+"settings/modules/indexer.json"] = modules.Status{State: modules.StateRunning, Calls: 7, Failures: 2, DeadLetters: 1,
		Log: []modules.LogLine{{Time: t0, Level: "info", Message: "installed indexer"}, {Time: t0.Add(time.Second), Level: "error", Message: "on_change: " + xss}}}

	st, hd, body := p.getPage(t, "s-owner", "?pod=alice")
	if st != 200 {
		t.Fatalf("owner: %d %s", st, body)
	}
	for _, want := range []string{
		"Modules of alice", `data-counter="calls">7<`, `data-counter="failures">2<`, `data-counter="deadLetters">1<`,
		"running", "<strong>Read</strong> on <code>" + p.root + "notes/</code>",
		"<strong>Read, Write</strong> on <code>" + p.root + "index/</code>", "https://api.example.org",
		"&lt;script&gt;alert(1)&lt;/script&gt;", "on_change: &lt;img src=x onerror=alert(1)&gt;",
		"This manifest cannot be read", "modules.js", `data-plan="/.web/api/modules/plan"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("owner's page lacks %q", want)
		}
	}
	if strings.Contains(body, xss) || strings.Contains(body, "<script>alert") {
		t.Errorf("page carries markup from pod data:\n%s", body)
	}
	if strings.Index(body, "on_change: &lt;img") > strings.Index(body, "installed indexer") {
		t.Errorf("log not newest first")
	}
	if strings.Contains(body, ">indexer.wasm<") {
		t.Errorf("the binary is listed as a module")
	}
	csp := hd.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if hd.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", hd.Get("Cache-Control"))
	}

	for _, tc := range []struct {
		name, cookie, query string
		want                int
	}{
		{"anonymous", "", "?pod=alice", 401},
		{"unknown session", "forged", "?pod=alice", 401},
		{"another person", "s-other", "?pod=alice", 404},
		{"no such pod", "s-owner", "?pod=bob", 404},
		{"no pod", "s-owner", "", 404},
		{"pod traversal", "s-owner", "?pod=../alice", 404},
		{"pod markup", "s-owner", "?pod=%3Cscript%3Ealert(1)%3C/script%3E", 404},
		{"huge pod name", "s-owner", "?pod=" + strings.Repeat("a", 5000), 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _, body := p.getPage(t, tc.cookie, tc.query)
			if st != tc.want {
				t.Fatalf("%d, want %d", st, tc.want)
			}
			for _, leak := range []string{"indexer", "data-counter", "<script>alert"} {
				if strings.Contains(body, leak) {
					t.Fatalf("page for %s shows %q", tc.name, leak)
				}
			}
		})
	}
	// The owner's notice after a write is one of the page's own texts.
	if _, _, body := p.getPage(t, "s-owner", "?pod=alice&done=%3Cb%3Ex"); strings.Contains(body, "<b>x") || strings.Contains(body, `class="notice"`) {
		t.Errorf("notice from the query shown")
	}
	if _, _, body := p.getPage(t, "s-owner", "?pod=alice&done=installed"); !strings.Contains(body, "The module is installed") {
		t.Errorf("installed notice missing")
	}
	// A token does not show the page to a script (the page is the
	// session's; nothing about the owner's modules without it).
	resp, b := ldptest.Send(t, p.owner, "GET", p.base+strings.TrimPrefix(PagePath, "/")+"?pod=alice", "", "")
	if resp.StatusCode != 401 || strings.Contains(b, "indexer") {
		t.Errorf("token without session: %d", resp.StatusCode)
	}
}
