package rdf

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func ex(s string) Term { return NewIRI("http://example.org/" + s) }

func TestGraphAddDedup(t *testing.T) {
	g := NewGraph()
	tr := Triple{ex("s"), ex("p"), NewLiteral("o", "")}
	if !g.Add(tr) {
		t.Fatal("first Add reported not new")
	}
	if g.Add(Triple{ex("s"), ex("p"), NewLiteral("o", XSDString)}) {
		t.Fatal("plain and xsd:string literals must be the same term")
	}
	if g.Len() != 1 || !g.Has(tr) {
		t.Fatalf("Len = %d, Has = %v", g.Len(), g.Has(tr))
	}
	if !g.Remove(tr) || g.Remove(tr) || g.Len() != 0 {
		t.Fatal("Remove did not behave as a set")
	}
	var zero Graph
	if !zero.Add(tr) || zero.Len() != 1 {
		t.Fatal("zero Graph must be usable")
	}
}

func TestGraphMatch(t *testing.T) {
	g := NewGraph()
	all := []Triple{
		{ex("a"), ex("p"), ex("x")},
		{ex("a"), ex("q"), ex("y")},
		{ex("b"), ex("p"), ex("x")},
		{NewBlank("n"), ex("p"), NewLangLiteral("hi", "EN")},
	}
	for _, tr := range all {
		g.Add(tr)
	}
	tests := []struct {
		name    string
		s, p, o Term
		want    int
	}{
		{"all wildcards", Term{}, Term{}, Term{}, 4},
		{"by subject", ex("a"), Term{}, Term{}, 2},
		{"by predicate", Term{}, ex("p"), Term{}, 3},
		{"by object", Term{}, Term{}, ex("x"), 2},
		{"exact hit", ex("a"), ex("q"), ex("y"), 1},
		{"exact miss", ex("a"), ex("q"), ex("x"), 0},
		{"lang case-insensitive", Term{}, Term{}, NewLangLiteral("hi", "en"), 1},
		{"blank subject", NewBlank("n"), Term{}, Term{}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := g.Match(tc.s, tc.p, tc.o)
			if len(got) != tc.want {
				t.Fatalf("Match = %v, want %d triples", got, tc.want)
			}
			if !slices.IsSortedFunc(got, func(a, b Triple) int { return compareTriples(&a, &b) }) {
				t.Fatal("Match result not sorted")
			}
		})
	}
}

func TestTriplesSortedAndStable(t *testing.T) {
	ts := []Triple{
		{ex("b"), ex("p"), NewLiteral("2", XSDInteger)},
		{NewBlank("z"), ex("p"), ex("o")},
		{ex("a"), ex("p"), ex("o")},
		{ex("a"), ex("p"), NewBlank("q")},
	}
	g1, g2 := NewGraph(), NewGraph()
	for i := range ts {
		g1.Add(ts[i])
		g2.Add(ts[len(ts)-1-i])
	}
	a, b := g1.Triples(), g2.Triples()
	if !slices.Equal(a, b) {
		t.Fatalf("orders differ:\n%v\n%v", a, b)
	}
	if a[0].S != ex("a") || a[len(a)-1].S.Kind != Blank {
		t.Fatalf("IRIs must sort before blank nodes: %v", a)
	}
}

// Removed triples stay listed as tombstones until compaction; neither may
// show through Len, Has, Match, Triples or the writers, and a re-added
// triple is listed once.
func TestGraphRemoveCompactReAdd(t *testing.T) {
	g := NewGraph()
	s := NewIRI("http://e/s")
	tr := func(i int) Triple {
		return Triple{s, NewIRI("http://e/p"), NewLiteral(strconv.Itoa(i), XSDInteger)}
	}
	for i := range 3000 {
		g.Add(tr(i))
	}
	for i := range 2500 {
		if !g.Remove(tr(i)) {
			t.Fatalf("remove %d", i)
		}
	}
	if g.Remove(tr(1)) || g.Has(tr(1)) {
		t.Fatal("removed triple still present")
	}
	for i := range 10 {
		if !g.Add(tr(i)) || g.Add(tr(i)) {
			t.Fatalf("re-add %d", i)
		}
	}
	if g.Len() != 510 || len(g.Triples()) != 510 || len(g.Match(s, Term{}, Term{})) != 510 {
		t.Fatalf("Len %d, Triples %d, Match %d; want 510", g.Len(), len(g.Triples()), len(g.Match(s, Term{}, Term{})))
	}
	var nt strings.Builder
	if err := Write(&nt, g, MediaNTriples); err != nil || strings.Count(nt.String(), "\n") != 510 {
		t.Fatalf("N-Triples: %d lines, %v", strings.Count(nt.String(), "\n"), err)
	}
	for i := range 510 {
		g.Remove(tr(i))
		g.Remove(tr(i + 2500))
	}
	if g.Len() != 0 || len(g.Triples()) != 0 || g.Has(tr(2999)) {
		t.Fatalf("emptied graph: Len %d", g.Len())
	}
}
