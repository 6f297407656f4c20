package server

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/naamio/naamio/internal/metrics"
)

// BenchmarkMeasure is the metrics middleware's cost per request (issue 16
// item 4): the same trivial handler served bare and through measure (route
// classification, one counter and one histogram observation), given the
// status recorder accessLog wraps every request in as the server does.
// The difference is the middleware's cost; README has the figures.
func BenchmarkMeasure(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	class := routeClasser(nil, nil)
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", ok},
		{"measured", measure(metrics.New(), class)(ok)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/alice/notes/a.ttl", nil)
			w := middleware.NewWrapResponseWriter(httptest.NewRecorder(), 1)
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(w, req)
			}
		})
		b.Run(bc.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := httptest.NewRequest("GET", "/.idp/login", nil)
				w := middleware.NewWrapResponseWriter(httptest.NewRecorder(), 1)
				for pb.Next() {
					bc.h.ServeHTTP(w, req)
				}
			})
		})
	}
}
