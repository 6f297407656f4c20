package rdf

import (
	"bytes"
	"runtime"
	"strconv"
	"testing"
)

// worstTurtle is a Turtle document of about n triples at a few bytes each,
// the shape that makes the most triples out of a body (SECURITY row 15):
// half an object list of distinct integers on one subject, half distinct
// subjects with one short triple each.
func worstTurtle(n int) []byte {
	var b bytes.Buffer
	b.WriteString("@prefix : <http://e/>.\n:s :p 0")
	for i := 1; i < n/2; i++ {
		b.WriteByte(',')
		b.WriteString(strconv.Itoa(i))
	}
	b.WriteString(".\n")
	for i := n / 2; i < n; i++ {
		b.WriteString(":s")
		b.WriteString(strconv.Itoa(i))
		b.WriteString(" :q :o")
		b.WriteString(strconv.Itoa(i % 1000))
		b.WriteString(".\n")
	}
	return b.Bytes()
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkGraphBytesPerTriple parses a worst-case 200k-triple Turtle body
// and reports the live heap the resulting graph holds per triple (item 7 of
// issue 10: where the bytes per triple go). Run with
//
//	go test -run '^$' -bench GraphBytesPerTriple -benchtime 3x ./rdf/
func BenchmarkGraphBytesPerTriple(b *testing.B) {
	const n = 200_000
	src := worstTurtle(n)
	var perTriple float64
	for b.Loop() {
		before := liveHeap()
		g, err := Parse(bytes.NewReader(src), MediaTurtle, "http://e/doc", Limits{})
		if err != nil || g.Len() != n {
			b.Fatal(err, g.Len())
		}
		after := liveHeap()
		perTriple = float64(after-before) / n
		runtime.KeepAlive(g)
	}
	b.ReportMetric(perTriple, "B/triple")
	b.ReportMetric(float64(len(src))/n, "srcB/triple")
}
