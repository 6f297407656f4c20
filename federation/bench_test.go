package federation

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// BenchmarkServeActor is one actor fetch with a cached key: the pod
// registry, the settings record and the WebID profile read and parsed.
func BenchmarkServeActor(b *testing.B) {
	f := newFixture(b)
	f.addPod("alice", "Alice")
	h := f.svc.Handler()
	req := httptest.NewRequest(http.MethodGet, "/.ap/actors/alice", nil)
	req.Header.Set("Accept", MediaActivityJSON)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkWebFinger is one WebFinger lookup of a handle.
func BenchmarkWebFinger(b *testing.B) {
	f := newFixture(b)
	f.addPod("alice", "Alice")
	h := f.svc.Handler()
	host := strings.TrimPrefix(f.srv.URL, "http://")
	req := httptest.NewRequest(http.MethodGet, WebFingerPath+"?resource="+url.QueryEscape("acct:alice@"+host), nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
