package ldp

import (
	"strings"
	"testing"
)

// FuzzWantsProblemJSON: the Accept header is outside input; reading it
// never panics, and only a header naming application/problem+json asks
// for a problem document.
func FuzzWantsProblemJSON(f *testing.F) {
	for _, s := range []string{"", "application/problem+json", "text/turtle, application/problem+json;q=0.5",
		"application/problem+json;q=0", "application/problem+json;q=nan", strings.Repeat("application/problem+json,", 40),
		"application/problem+json;;;", "*/*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		if wantsProblemJSON(accept) && !strings.Contains(accept, mediaProblemJSON) {
			t.Fatalf("%q asks for a problem document without naming it", accept)
		}
	})
}

// TestWantsProblemJSON: the Accept values that ask for a problem document.
func TestWantsProblemJSON(t *testing.T) {
	for accept, want := range map[string]bool{
		"application/problem+json":                    true,
		"text/turtle, application/problem+json;q=0.1": true,
		"application/problem+json;q=0":                false,
		"application/problem+json;q=nan":              false,
		"application/problem+json;q=abc":              false,
		"application/problem+jsonx":                   false,
		"*/*":                                         false,
		"":                                            false,
		strings.Repeat("text/plain,", 40) + "application/problem+json": false, // over the parts bound
		"<script>application/problem+json":                             false,
	} {
		if got := wantsProblemJSON(accept); got != want {
			t.Errorf("wantsProblemJSON(%.60q) = %v, want %v", accept, got, want)
		}
	}
}
