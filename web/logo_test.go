package web

import (
	"strings"
	"testing"
)

// safeLogo is the last guard before a client's logo_uri becomes an <img
// src> and an img-src origin: only plain https URLs pass (issue 15 item 0,
// SECURITY row 58).
func TestSafeLogoBadInput(t *testing.T) {
	for _, tc := range []struct{ in, logo, origin string }{
		{"https://logo.example/a.png", "https://logo.example/a.png", "https://logo.example"},
		{"https://logo.example:8443/a.svg?x=1", "https://logo.example:8443/a.svg?x=1", "https://logo.example:8443"},
		{"javascript:alert(1)", "", ""},
		{"JAVASCRIPT://logo.example/%0aalert(1)", "", ""},
		{"data:image/svg+xml,<svg onload=alert(1)>", "", ""},
		{"http://logo.example/a.png", "", ""},
		{"https://u:p@logo.example/a.png", "", ""},
		{"https://logo.example;script-src *;/a.png", "", ""},
		{"https://[::1]/a.png", "", ""},
		{"//logo.example/a.png", "", ""},
		{"https://" + strings.Repeat("a", 3000) + ".example/", "", ""},
		{"", "", ""},
	} {
		logo, origin := safeLogo(tc.in)
		if logo != tc.logo || origin != tc.origin {
			t.Errorf("safeLogo(%.50q) = %q, %q; want %q, %q", tc.in, logo, origin, tc.logo, tc.origin)
		}
	}
}
