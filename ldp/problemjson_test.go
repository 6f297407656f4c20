package ldp_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestProblemJSONLine: a client that asks for application/problem+json
// (RFC 9457) gets a client error as a problem document, and an RDF syntax
// error names the line and column of the body it concerns (issue 15 item
// 1: the Turtle editor shows the server's error on its line). Clients that
// do not ask keep the one-line text.
func TestProblemJSONLine(t *testing.T) {
	srv := newPod(t)
	for _, tc := range []struct {
		name, ct, body string
		line, col      int
	}{
		{"turtle line 3", "text/turtle", "@prefix ex: <http://ex.org/> .\n<#a> ex:p \"ok\" .\n<#b> ex:p ex:q ex:r .\n", 3, 16},
		{"unterminated iri line 2", "text/turtle", "<#a> <#p> <#o> .\n<#b> <#p> <http://unterminated\n", 2, 0},
		{"n-triples line 1", "application/n-triples", "<http://a> <http://b> .\n", 1, 0},
		{"multibyte column", "text/turtle", "<#a> <#p> \"ä\" <#x> .\n", 1, 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, srv, req{method: http.MethodPut, path: "/doc-" + strings.ReplaceAll(tc.name, " ", "-"), body: tc.body,
				header: map[string]string{"Content-Type": tc.ct, "Accept": "application/problem+json"}})
			if r.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d", r.StatusCode)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q", ct)
			}
			var p struct {
				Type   string `json:"type"`
				Title  string `json:"title"`
				Status int    `json:"status"`
				Detail string `json:"detail"`
				Line   int    `json:"line"`
				Column int    `json:"column"`
			}
			body := readAll(t, r)
			if err := json.Unmarshal([]byte(body), &p); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			if p.Status != 400 || p.Title != "Bad Request" || p.Detail == "" || p.Line != tc.line {
				t.Errorf("problem %+v, want line %d", p, tc.line)
			}
			if tc.col != 0 && p.Column != tc.col {
				t.Errorf("column %d, want %d (%s)", p.Column, tc.col, p.Detail)
			}
		})
	}

	t.Run("text by default", func(t *testing.T) {
		r := put(t, srv, "/plain", "text/turtle", "<#a> <#p> .\n")
		body := readAll(t, r)
		if r.StatusCode != 400 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") || !strings.Contains(body, "line 1") {
			t.Errorf("%d %q %q", r.StatusCode, r.Header.Get("Content-Type"), body)
		}
	})
	t.Run("other client errors", func(t *testing.T) {
		r := do(t, srv, req{method: http.MethodGet, path: "/missing", header: map[string]string{"Accept": "application/problem+json"}})
		body := readAll(t, r)
		if r.StatusCode != 404 || r.Header.Get("Content-Type") != "application/problem+json" || strings.Contains(body, `"line"`) {
			t.Errorf("%d %q %s", r.StatusCode, r.Header.Get("Content-Type"), body)
		}
	})
	// A hostile body cannot put markup or a huge detail into the answer
	// unescaped: the detail is JSON-escaped and bounded.
	t.Run("hostile body", func(t *testing.T) {
		r := do(t, srv, req{method: http.MethodPut, path: "/hostile", body: "<#a> <#p> \"</script><script>alert(1)</script>" + strings.Repeat("x", 5000),
			header: map[string]string{"Content-Type": "text/turtle", "Accept": "application/problem+json"}})
		body := readAll(t, r)
		if r.StatusCode != 400 || strings.Contains(body, "<script>") || len(body) > 1024 {
			t.Errorf("%d (%d bytes) %.200s", r.StatusCode, len(body), body)
		}
	})
}
