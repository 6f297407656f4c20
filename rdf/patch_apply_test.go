package rdf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// people is the graph most Apply tests start from.
const people = `@prefix ex: <http://example.org/>.
ex:alice ex:name "Alice"; ex:age 30; ex:knows ex:bob, ex:carol.
ex:bob ex:name "Bob"; ex:age 40.
`

func turtleGraph(t testing.TB, doc string) *Graph {
	t.Helper()
	g, err := Parse(strings.NewReader(doc), MediaTurtle, "https://pod.example/doc", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// ntriples is g in canonical N-Triples, for comparing graphs.
func ntriples(t testing.TB, g *Graph) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, g, MediaNTriples); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// checkApply applies patch to a copy of people and compares the error and,
// on success, the result with want (Turtle); on failure the graph must be
// unchanged.
func checkApply(t *testing.T, patch *Patch, want string, wantErr error) {
	t.Helper()
	g := turtleGraph(t, people)
	before := ntriples(t, g)
	err := patch.Apply(g, ApplyLimits{})
	switch {
	case wantErr != nil:
		if !errors.Is(err, wantErr) {
			t.Fatalf("Apply: %v, want %v", err, wantErr)
		}
		if after := ntriples(t, g); after != before {
			t.Fatalf("failed Apply changed the graph:\n%s", after)
		}
	case err != nil:
		t.Fatalf("Apply: %v", err)
	default:
		w := turtleGraph(t, want)
		if iso, err := Isomorphic(g, w); err != nil || !iso {
			t.Fatalf("got\n%s\nwant\n%s", ntriples(t, g), ntriples(t, w))
		}
	}
}

// TestApplyN3Patch checks server-patch-n3-semantics.
func TestApplyN3Patch(t *testing.T) {
	tests := []struct {
		req, name, patch, want string
		err                    error
	}{
		{"server-patch-n3-semantics", "one mapping", `solid:where { ?p ex:name "Bob" }; solid:deletes { ?p ex:age 40 }; solid:inserts { ?p ex:age 41 }`,
			strings.Replace(people, "ex:age 40", "ex:age 41", 1), nil},
		{"server-patch-n3-semantics", "empty where is one mapping", `solid:inserts { ex:dan ex:name "Dan" }`,
			people + `ex:dan ex:name "Dan".`, nil},
		{"server-patch-n3-semantics", "delete only", `solid:deletes { ex:alice ex:knows ex:carol }`,
			strings.Replace(people, ", ex:carol", "", 1), nil},
		{"server-patch-n3-semantics", "where with blank node: one mapping however many matches",
			`solid:where { ex:alice ex:knows _:k; ex:age ?a }; solid:inserts { ex:alice ex:was ?a }`,
			people + `ex:alice ex:was 30.`, nil},
		{"server-patch-n3-semantics", "join on two variables", `solid:where { ?x ex:knows ?y. ?y ex:age ?a }; solid:inserts { ?y ex:friendOf ?x }`,
			people + `ex:bob ex:friendOf ex:alice.`, nil},
		{"server-patch-n3-semantics", "repeated variable in a pattern", `solid:where { ?x ex:knows ?x }; solid:inserts { ?x ex:self true }`, "", ErrPatchConflict},
		{"server-patch-n3-semantics", "inserted blank nodes are fresh", `solid:inserts { ex:alice ex:pet _:x. _:x ex:name "Rex" }`,
			people + `ex:alice ex:pet [ ex:name "Rex" ].`, nil},
		{"server-patch-n3-semantics-no-mapping", "no mapping", `solid:where { ?p ex:name "Zoe" }; solid:inserts { ?p ex:age 1 }`, "", ErrPatchConflict},
		{"server-patch-n3-semantics-no-mapping", "two mappings of a variable named like a blank node", `solid:where { ?_x ex:age ?_y }; solid:inserts { ?_x ex:old true }`, "", ErrPatchConflict},
		{"server-patch-n3-semantics-no-mapping", "two mappings", `solid:where { ?p ex:age ?a }; solid:deletes { ?p ex:age ?a }`, "", ErrPatchConflict},
		{"server-patch-n3-semantics-deletions-non-empty-all-triples", "absent deletion", `solid:where { ?p ex:name "Bob" }; solid:deletes { ?p ex:age 40, 99 }; solid:inserts { ?p ex:age 41 }`, "", ErrPatchConflict},
		{"server-patch-n3-semantics-deletions-non-empty-all-triples", "absent ground deletion", `solid:deletes { ex:bob ex:age 39 }`, "", ErrPatchConflict},
		{"server-patch-n3-semantics", "literal bound to a subject", `solid:where { ex:bob ex:name ?n }; solid:inserts { ?n ex:p ex:o }`, "", ErrPatchConflict},
	}
	for _, tc := range tests {
		t.Run(tc.req+"/"+tc.name, func(t *testing.T) {
			p, err := parseN3(t, "_:patch a solid:InsertDeletePatch; "+tc.patch+".")
			if err != nil {
				t.Fatal(err)
			}
			checkApply(t, p, tc.want, tc.err)
		})
	}
}

// TestApplyFreshBlankLabels checks inserted blank nodes never take a
// label the graph already uses.
func TestApplyFreshBlankLabels(t *testing.T) {
	g := NewGraph()
	g.Add(Triple{NewBlank("n1"), NewIRI("http://example.org/p"), NewLiteral("old", "")})
	p, err := ParseSPARQLUpdate(strings.NewReader(`INSERT DATA { _:a <http://example.org/p> "new" }`), "", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(g, ApplyLimits{}); err != nil {
		t.Fatal(err)
	}
	if g.Len() != 2 {
		t.Fatalf("fresh blank node merged with an existing one: %v", g.Triples())
	}
}

// TestApplyReusesPatch checks Apply leaves the patch as it was: the PATCH
// handler applies one parsed patch again after a concurrent write.
func TestApplyReusesPatch(t *testing.T) {
	p, err := parseN3(t, `_:p a solid:InsertDeletePatch; solid:where { ?p ex:name "Bob" }; solid:deletes { ?p ex:age 40 }; solid:inserts { ?p ex:age 41; ex:tag [] }.`)
	if err != nil {
		t.Fatal(err)
	}
	a, b := turtleGraph(t, people), turtleGraph(t, people)
	if err := p.Apply(a, ApplyLimits{}); err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(b, ApplyLimits{}); err != nil {
		t.Fatal(err)
	}
	if ntriples(t, a) != ntriples(t, b) {
		t.Fatal("second Apply differs")
	}
}

// bigGraph has n triples over n/10 subjects.
func bigGraph(n int) *Graph {
	g := NewGraph()
	for i := range n {
		g.Add(Triple{
			NewIRI(fmt.Sprintf("http://example.org/s%d", i/10)),
			NewIRI(fmt.Sprintf("http://example.org/p%d", i%10)),
			NewLiteral(fmt.Sprint(i), XSDInteger),
		})
	}
	return g
}

// TestExplodingWhere: SECURITY row 19. A WHERE whose join is the cube of a
// 1,000-triple graph fails fast (ErrTooComplex for SPARQL, which wants every
// solution; ErrPatchConflict for N3, which stops at the second mapping) and
// leaves the graph as it was. A selective pattern is joined first, so the
// same cube with an unmatched constant finishes at once.
func TestExplodingWhere(t *testing.T) {
	cases := []struct {
		name, doc string
		want      error
	}{
		{"SPARQL", `DELETE { ?a ?b ?c } INSERT { ?a ?b ?i } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }`, ErrTooComplex},
		{"SPARQL with an unmatched constant", `INSERT { ?a ?b ?c } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?g ?h "none" }`, nil},
		{"N3", n3Prefixes + `_:p a solid:InsertDeletePatch; solid:where { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }; solid:inserts { ?a ?b ?i }.`, ErrPatchConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var p *Patch
			var err error
			if strings.HasPrefix(tc.doc, "@prefix") {
				p, err = ParseN3Patch(strings.NewReader(tc.doc), "", Limits{})
			} else {
				p, err = ParseSPARQLUpdate(strings.NewReader(tc.doc), "", Limits{})
			}
			if err != nil {
				t.Fatal(err)
			}
			g := bigGraph(1000)
			before := ntriples(t, g)
			start := time.Now()
			err = p.Apply(g, ApplyLimits{})
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Apply: %v, want %v", err, tc.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if ntriples(t, g) != before {
				t.Error("graph changed")
			}
		})
	}
}

// TestApplyLimitsSteps checks the join stops once MaxSteps candidate
// triples were examined, for either kind of patch.
func TestApplyLimitsSteps(t *testing.T) {
	sp, err := ParseSPARQLUpdate(strings.NewReader(`INSERT { ?a ?b ?c } WHERE { ?a ?b ?c . ?a ?e ?f }`), "", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	n3, err := parseN3(t, `_:p a solid:InsertDeletePatch; solid:where { ?a ?b "5"^^<http://www.w3.org/2001/XMLSchema#integer> . _:x ex:p1 _:y . _:z ex:p2 _:w }.`)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*Patch{sp, n3} {
		if err := p.Apply(bigGraph(100), ApplyLimits{MaxSteps: 50}); !errors.Is(err, ErrTooComplex) {
			t.Errorf("MaxSteps 50: %v", err)
		}
	}
	for _, p := range []*Patch{sp, n3} {
		if err := p.Apply(bigGraph(100), ApplyLimits{}); err != nil {
			t.Errorf("default limits: %v", err)
		}
	}
}

func TestApplyLimitsSolutions(t *testing.T) {
	p, err := ParseSPARQLUpdate(strings.NewReader(`DELETE WHERE { ?s ?p ?o }`), "", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(bigGraph(100), ApplyLimits{MaxSolutions: 99}); !errors.Is(err, ErrTooComplex) {
		t.Errorf("100 solutions with MaxSolutions 99: %v", err)
	}
	g := bigGraph(100)
	if err := p.Apply(g, ApplyLimits{MaxSolutions: 100}); err != nil || g.Len() != 0 {
		t.Errorf("100 solutions with MaxSolutions 100: %v, %d left", err, g.Len())
	}
}

// BenchmarkN3PatchApply100 parses a small insert+delete patch with a where
// on one variable and applies it to a 100-triple graph.
func BenchmarkN3PatchApply100(b *testing.B) {
	const doc = n3Prefixes + `_:p a solid:InsertDeletePatch;
		solid:where { ?s ex:p3 "53"^^<http://www.w3.org/2001/XMLSchema#integer> };
		solid:deletes { ?s ex:p4 "54"^^<http://www.w3.org/2001/XMLSchema#integer> };
		solid:inserts { ?s ex:p4 "0"^^<http://www.w3.org/2001/XMLSchema#integer>; ex:seen true }.`
	base := bigGraph(100)
	graphs := make([]*Graph, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if len(graphs) == 0 {
			for range cap(graphs) {
				g := NewGraph()
				base.each(func(t Triple) { g.Add(t) })
				graphs = append(graphs, g)
			}
		}
		g := graphs[len(graphs)-1]
		graphs = graphs[:len(graphs)-1]
		b.StartTimer()
		p, err := ParseN3Patch(strings.NewReader(doc), "https://pod.example/doc", Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Apply(g, ApplyLimits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestApplyChanged: an N3 Patch that leaves the graph as it was says so,
// so ldp can skip writing it (a reactor that swaps a title for the same
// title writes nothing).
func TestApplyChanged(t *testing.T) {
	tests := []struct {
		name, patch string
		changed     bool
	}{
		{"swap for the same value", `solid:where { ?p ex:name "Bob" }; solid:deletes { ?p ex:age 40 }; solid:inserts { ?p ex:age 40 }`, false},
		{"insert what is there", `solid:inserts { ex:alice ex:name "Alice" }`, false},
		{"where only", `solid:where { ?p ex:name "Bob" }`, false},
		{"swap for another value", `solid:where { ?p ex:name "Bob" }; solid:deletes { ?p ex:age 40 }; solid:inserts { ?p ex:age 41 }`, true},
		{"insert something new", `solid:inserts { ex:alice ex:name "Al" }`, true},
		{"delete only", `solid:deletes { ex:alice ex:knows ex:carol }`, true},
		{"delete and re-insert part", `solid:deletes { ex:alice ex:age 30. ex:bob ex:age 40 }; solid:inserts { ex:alice ex:age 30 }`, true},
		{"fresh blank node", `solid:inserts { _:x ex:name "Alice" }`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := "@prefix solid: <http://www.w3.org/ns/solid/terms#>.\n@prefix ex: <http://example.org/>.\n_:p a solid:InsertDeletePatch; " + tc.patch + ".\n"
			p, err := ParseN3Patch(strings.NewReader(doc), "https://pod.example/doc", Limits{})
			if err != nil {
				t.Fatal(err)
			}
			g := turtleGraph(t, people)
			before := ntriples(t, g)
			changed, err := p.ApplyChanged(g, ApplyLimits{})
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.changed {
				t.Fatalf("changed = %v, want %v", changed, tc.changed)
			}
			if same := ntriples(t, g) == before; same == changed {
				t.Fatalf("changed = %v but the graph is the same: %v", changed, same)
			}
		})
	}
}
