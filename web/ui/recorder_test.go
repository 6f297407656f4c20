package ui

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A page's in-process read keeps at most Max bytes: the prefix that fits,
// Truncated, and ErrTooLarge to the handler; a handler that writes
// nothing is a 200.
func TestRecorderKeepsAtMostMax(t *testing.T) {
	for _, tc := range []struct {
		name      string
		max       int64
		writes    []string
		body      string
		truncated bool
	}{
		{"fits", 10, []string{"hello", "world"}, "helloworld", false},
		{"cut in a write", 7, []string{"hello", "world"}, "hellowo", true},
		{"nothing kept", 0, []string{"x"}, "", true},
		{"empty", 0, nil, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errs []error
			h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("ETag", `"1"`)
				for _, s := range tc.writes {
					if _, err := io.WriteString(w, s); err != nil {
						errs = append(errs, err)
						return
					}
				}
			})
			rec := Serve(h, httptest.NewRequest(http.MethodGet, "/", nil), tc.max)
			if rec.Status != http.StatusOK || rec.Hdr.Get("ETag") != `"1"` {
				t.Fatalf("status %d header %v", rec.Status, rec.Hdr)
			}
			if rec.Body.String() != tc.body || rec.Truncated != tc.truncated {
				t.Fatalf("body %q truncated %v, want %q %v", rec.Body.String(), rec.Truncated, tc.body, tc.truncated)
			}
			if tc.truncated != (len(errs) == 1 && errors.Is(errs[0], ErrTooLarge)) {
				t.Fatalf("handler saw %v", errs)
			}
		})
	}
	rec := Serve(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		w.WriteHeader(http.StatusOK) // the first status stands
		_, _ = io.WriteString(w, strings.Repeat("x", 3))
	}), httptest.NewRequest(http.MethodGet, "/", nil), 8)
	if rec.Status != http.StatusNotFound || rec.Body.String() != "xxx" {
		t.Fatalf("%d %q", rec.Status, rec.Body.String())
	}
}
