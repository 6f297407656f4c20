package browse

import (
	"net/http"
	"strings"
	"testing"
)

// Bad input and real-world Accept headers for Wants (issue 15 item 1:
// only a navigation that prefers HTML over every RDF type gets a page).
func TestWants(t *testing.T) {
	chrome := "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	firefox := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	nav := map[string]string{"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "none"}
	tests := []struct {
		name   string
		method string
		accept string
		hd     map[string]string
		want   bool
	}{
		{"chrome navigation", "GET", chrome, nav, true},
		{"firefox navigation", "GET", firefox, nav, true},
		{"HEAD navigation", "HEAD", chrome, nav, true},
		{"no fetch metadata", "GET", chrome, nil, true},
		{"POST", "POST", chrome, nav, false},
		{"PUT", "PUT", chrome, nav, false},
		{"fetch cors", "GET", "text/html", map[string]string{"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}, false},
		{"fetch same-origin", "GET", "text/html", map[string]string{"Sec-Fetch-Mode": "same-origin"}, false},
		{"no-cors", "GET", "text/html", map[string]string{"Sec-Fetch-Mode": "no-cors"}, false},
		{"iframe", "GET", chrome, map[string]string{"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}, false},
		{"object", "GET", chrome, map[string]string{"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "object"}, false},
		{"only Sec-Fetch-Site", "GET", chrome, map[string]string{"Sec-Fetch-Site": "same-origin"}, false},
		{"Authorization", "GET", chrome, map[string]string{"Authorization": "DPoP abc"}, false},
		{"DPoP header", "GET", chrome, map[string]string{"DPoP": "abc"}, false},
		{"turtle", "GET", "text/turtle", nav, false},
		{"turtle over html", "GET", "text/turtle, text/html;q=0.9", nav, false},
		{"tie", "GET", "text/html, text/turtle", nav, false},
		{"star only (curl)", "GET", "*/*", nil, false},
		{"no accept", "GET", "", nil, false},
		{"html over turtle", "GET", "text/html, text/turtle;q=0.5", nav, true},
		{"json-ld equal via text/*", "GET", "text/*, application/ld+json", nav, false},
		{"text/* ranks turtle with html", "GET", "text/*", nav, false},
		{"html q=0", "GET", "text/html;q=0, */*", nav, false},
		{"bad q", "GET", "text/html;q=2", nav, false},
		{"negative q", "GET", "text/html;q=-1", nav, false},
		{"q NaN", "GET", "text/html;q=NaN", nav, false},
		{"garbage", "GET", "<script>alert(1)</script>", nav, false},
		{"bad range", "GET", "*/html", nav, false},
		{"overlong", "GET", "text/html," + strings.Repeat("a/b;q=0.1,", 300), nav, false},
		{"many ranges", "GET", "text/html," + strings.Repeat("a/b,", 100), nav, false},
		{"upper case", "GET", "TEXT/HTML, */*;q=0.1", nav, true},
		{"spaces", "GET", " text/html ; q=1 , text/turtle ; q=0.2", nav, true},
		{"rdf/xml preferred", "GET", "application/rdf+xml, text/html;q=0.9", nav, false},
		{"n3 ties", "GET", "text/html, text/n3", nav, false},
		{"raw", "GET", chrome, nav, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := "http://x/alice/"
			if tt.name == "raw" {
				target += "?raw"
			}
			r, _ := http.NewRequest(tt.method, target, nil)
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			for k, v := range tt.hd {
				r.Header.Set(k, v)
			}
			if got := Wants(r); got != tt.want {
				t.Errorf("Wants = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzPrefersHTML(f *testing.F) {
	for _, s := range []string{"text/html", "*/*", "text/turtle;q=0.1,text/html", "a/b;q=x", ";;;,,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := PrefersHTML([]string{s})
		if got && weight(parseAccept([]string{s}), "text/html") <= 0 {
			t.Fatalf("prefers HTML with html weight 0: %q", s)
		}
	})
}
