package rdf

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// BenchmarkPatchWhere3OnLargeGraph applies N3 patches with a 3-pattern
// where to a worst-case 200k-triple graph (issue 10 item 7: such a patch
// took 14 s and 780 MiB on a 900k-triple document): one whose join
// explodes (a SPARQL Update, stopped by ApplyLimits) and an N3 Patch whose
// where has many mappings (409 after the second).
// B/op is the evaluator's memory per Apply. Run with
//
//	go test -run '^$' -bench PatchWhere3 -benchmem ./rdf/
func BenchmarkPatchWhere3OnLargeGraph(b *testing.B) {
	const n = 200_000
	g, err := Parse(bytes.NewReader(worstTurtle(n)), MediaTurtle, "http://e/doc", Limits{})
	if err != nil {
		b.Fatal(err)
	}
	const head = "@prefix solid: <http://www.w3.org/ns/solid/terms#>. @prefix : <http://e/>.\n_:p a solid:InsertDeletePatch;\n"
	explode, err := ParseSPARQLUpdate(strings.NewReader(`PREFIX : <http://e/>
INSERT { :x :y ?a } WHERE { ?a :q ?o . ?b :q ?o . ?c :q ?o }`), "http://e/doc", Limits{})
	if err != nil {
		b.Fatal(err)
	}
	one, err := ParseN3Patch(strings.NewReader(head+
		`solid:where { :s199999 :q ?o . ?x :q ?o . :s :p 7 }; solid:deletes { :s :p 7 }; solid:inserts { :s :p 8 }.`), "http://e/doc", Limits{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := explode.Apply(g, ApplyLimits{}); !errors.Is(err, ErrTooComplex) {
			b.Fatalf("exploding where: %v", err)
		}
		err := one.Apply(g, ApplyLimits{})
		if !errors.Is(err, ErrPatchConflict) { // ?x has 200 mappings
			b.Fatalf("where: %v", err)
		}
	}
}
