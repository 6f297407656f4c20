package rdf

import (
	"runtime"
	"strings"
	"testing"
)

// BenchmarkJSONLDWorstAllowed parses the costliest JSON-LD document the
// default Limits let through: MaxJSONValues integer values of one property
// of one node, which json-gold's node map compares pairwise (SECURITY row
// 15). It reports the bytes allocated per body byte. Run with
//
//	go test -run '^$' -bench JSONLDWorstAllowed -benchtime 3x ./rdf/
func BenchmarkJSONLDWorstAllowed(b *testing.B) {
	src := jsonArray(DefaultLimits.MaxJSONValues - 2)
	var perByte float64
	for b.Loop() {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		g, err := Parse(strings.NewReader(src), MediaJSONLD, "http://x/doc", Limits{})
		if err != nil || g.Len() != DefaultLimits.MaxJSONValues-2 {
			b.Fatal(err)
		}
		runtime.ReadMemStats(&m1)
		perByte = float64(m1.TotalAlloc-m0.TotalAlloc) / float64(len(src))
	}
	b.ReportMetric(perByte, "alloc/byte")
	b.ReportMetric(float64(len(src)), "body-bytes")
}
