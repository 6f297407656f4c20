package ldp_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
)

const smallTurtle = `@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<#me> a foaf:Person ; foaf:name "Alice" ; foaf:nick "al" ; foaf:mbox <mailto:alice@example.org> .`

// benchHandler is the LDP handler over a durable Badger store (the
// configuration the server runs with), called without the network so the
// figures are the handler and store path alone.
func benchHandler(b *testing.B) http.Handler {
	return benchHandlerCache(b, 0)
}

func benchHandlerCache(b *testing.B, cacheBytes int64) http.Handler {
	b.Helper()
	st, res := ldptest.OpenStore(b, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	return ldptest.PublicHandler(b, st, res, ldp.Config{BaseURL: base, RenderCacheBytes: cacheBytes})
}

func serve(b *testing.B, h http.Handler, method, path, ct, body string, want int) {
	r := httptest.NewRequest(method, base[:len(base)-1]+path, strings.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != want {
		b.Fatalf("%s %s = %d %s", method, path, w.Code, w.Body.String())
	}
}

func BenchmarkGetSmallTurtle(b *testing.B) {
	h := benchHandler(b)
	serve(b, h, "PUT", "/doc.ttl", "text/turtle", smallTurtle, 201)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			serve(b, h, "GET", "/doc.ttl", "", "", 200)
		}
	})
}

func BenchmarkGetSmallJSONLD(b *testing.B) {
	h := benchHandler(b)
	serve(b, h, "PUT", "/doc.ttl", "text/turtle", smallTurtle, 201)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", base+"doc.ttl", nil)
			r.Header.Set("Accept", "application/ld+json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatal(w.Code)
			}
		}
	})
}

// 64 concurrent writers, as in the HTTP load test: Badger groups their
// fsyncs, which is where the throughput comes from.
func BenchmarkPutNewSmallTurtle(b *testing.B) {
	h := benchHandler(b)
	var n atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			serve(b, h, "PUT", fmt.Sprintf("/c/r%d.ttl", n.Add(1)), "text/turtle", smallTurtle, 201)
		}
	})
}

// Listing a 1,000-child container: from the render cache (the steady state
// of a container read more often than written) and rendered every time.
func BenchmarkListContainer1000(b *testing.B) { benchList(b, 0) }

func BenchmarkListContainer1000Uncached(b *testing.B) { benchList(b, -1) }

func benchList(b *testing.B, cacheBytes int64) {
	h := benchHandlerCache(b, cacheBytes)
	for i := range 1000 {
		serve(b, h, "PUT", fmt.Sprintf("/big/r%04d.ttl", i), "text/turtle", smallTurtle, 201)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			serve(b, h, "GET", "/big/", "", "", 200)
		}
	})
}

// hundredTriples is a 100-triple Turtle document.
func hundredTriples() string {
	var b strings.Builder
	for i := range 100 {
		fmt.Fprintf(&b, "<#s%d> <http://example.org/p> \"value %d\" .\n", i, i)
	}
	return b.String()
}

// N3 PATCH (a where on two variables, one insert, one delete: the size
// stays put) of ~100-triple resources, each writer on its own resource, 64
// writers.
func BenchmarkPatchN3Resource100(b *testing.B) {
	h := benchHandler(b)
	doc := hundredTriples() + "<#s7> <http://example.org/n> 0 .\n"
	const writers = 64
	for i := range writers {
		serve(b, h, "PUT", fmt.Sprintf("/p/r%d.ttl", i), "text/turtle", doc, 201)
	}
	var next atomic.Int64
	b.SetParallelism(writers / 2)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := next.Add(1) - 1
		path := fmt.Sprintf("/p/r%d.ttl", w)
		for i := 0; pb.Next(); i++ {
			patch := fmt.Sprintf(`@prefix solid: <http://www.w3.org/ns/solid/terms#>.
_:p a solid:InsertDeletePatch;
  solid:where { ?s <http://example.org/p> "value 7"; <http://example.org/n> ?old };
  solid:inserts { ?s <http://example.org/n> %d };
  solid:deletes { ?s <http://example.org/n> ?old }.`, i+1)
			serve(b, h, "PATCH", path, "text/n3", patch, 204)
		}
	})
}

// BenchmarkGetPrivateDPoP is a GET of a private resource by its owner: DPoP
// proof verification, the token cache, the replay check, the cached ACL
// decision and the read. Each request has a fresh proof, made before the
// timer starts.
func BenchmarkGetPrivateDPoP(b *testing.B) {
	p := newAccessPod(b)
	target := p.srv.URL + "/private/doc"
	put := httptest.NewRequest("PUT", target, strings.NewReader("<#s> <#p> <#o> ."))
	put.Header.Set("Content-Type", "text/turtle")
	if err := p.owner.Sign(put); err != nil {
		b.Fatal(err)
	}
	w := httptest.NewRecorder()
	p.h.ServeHTTP(w, put)
	if w.Code != 201 {
		b.Fatalf("PUT = %d %s", w.Code, w.Body)
	}
	get := func() *http.Request {
		r := httptest.NewRequest("GET", target, nil)
		if err := p.owner.Sign(r); err != nil {
			b.Fatal(err)
		}
		return r
	}
	w = httptest.NewRecorder()
	p.h.ServeHTTP(w, get()) // fetches the profile and JWKS, fills the caches
	if w.Code != 200 {
		b.Fatalf("GET = %d %s", w.Code, w.Body)
	}
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		reqs[i] = get()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for _, r := range reqs {
		w := httptest.NewRecorder()
		p.h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("GET = %d", w.Code)
		}
	}
}
