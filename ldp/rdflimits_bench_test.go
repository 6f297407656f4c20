package ldp_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkPutTurtle900k sends the body of issue 10 item 7 (a 6 MB Turtle
// object list of 900k triples; it took 10 s and ~390 MiB) through the
// handler: the parser stops at the 200k-triple limit with 413. Reports the
// time and the bytes allocated per request. Run with
//
//	go test -run '^$' -bench PutTurtle900k -benchtime 3x ./ldp/
func BenchmarkPutTurtle900k(b *testing.B) {
	var body bytes.Buffer
	body.WriteString("@prefix : <http://e/>.\n:s :p 0")
	for i := 1; i < 900_000; i++ {
		body.WriteString("," + strconv.Itoa(i))
	}
	body.WriteString(".\n")
	h := benchHandler(b)
	var alloc float64
	for b.Loop() {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		r := httptest.NewRequest(http.MethodPut, base+"big.ttl", bytes.NewReader(body.Bytes()))
		r.Header.Set("Content-Type", "text/turtle")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusRequestEntityTooLarge {
			b.Fatalf("PUT of 900k triples: %d %s", w.Code, w.Body)
		}
		runtime.ReadMemStats(&m1)
		alloc = float64(m1.TotalAlloc - m0.TotalAlloc)
	}
	b.ReportMetric(alloc/(1<<20), "MiB-alloc/op")
	b.ReportMetric(float64(body.Len())/(1<<20), "MiB-body")
}
