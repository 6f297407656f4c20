package rdf

import (
	"strings"
	"testing"
)

// fuzzApplyLimits keep each fuzzed Apply cheap.
var fuzzApplyLimits = ApplyLimits{MaxSolutions: 200, MaxSteps: 20_000}

// fuzzGraph is the small graph fuzzed patches are applied to.
const fuzzGraph = `@prefix ex: <http://example.org/>.
ex:a ex:p ex:b, "x", 1; ex:q _:n.
ex:b ex:p ex:a; ex:r ( 1 2 ).
_:n ex:p "y"@en.
`

// checkPatchApply applies a parsed patch to fuzzGraph: it must not panic,
// must leave the graph unchanged on error, and must leave only valid RDF
// triples on success.
func checkPatchApply(t *testing.T, p *Patch) {
	g := turtleGraph(t, fuzzGraph)
	before := ntriples(t, g)
	if err := p.Apply(g, fuzzApplyLimits); err != nil {
		if after := ntriples(t, g); after != before {
			t.Fatalf("failed Apply (%v) changed the graph:\n%s", err, after)
		}
		return
	}
	g.each(func(tr Triple) {
		if !validTriple(tr.S, tr.P) || tr.O.Kind < IRI || tr.O.Kind > Literal {
			t.Fatalf("Apply produced an invalid triple %v", tr)
		}
	})
}

func FuzzParseN3Patch(f *testing.F) {
	f.Add(n3Prefixes + `_:p a solid:InsertDeletePatch; solid:where { ?s ex:p "x" }; solid:deletes { ?s ex:p 1 }; solid:inserts { ?s ex:p 2; ex:t [ ex:u ?s ] }.`)
	f.Add(n3Prefixes + `<#p> a solid:InsertDeletePatch; solid:where { ?s ex:q _:b. _:b ex:p ?o }; solid:inserts { ?o ex:v ( ?s ) }.`)
	f.Add(n3Prefixes + `_:p a solid:InsertDeletePatch; solid:where { ?a ?b ?c . ?d ?e ?f }; solid:inserts { ?a ?b ?f }.`)
	f.Add(n3Prefixes + `_:p a solid:InsertDeletePatch; solid:inserts { ex:a ex:b { ex:c ex:d ex:e } }.`)
	f.Add(n3Prefixes + `_:p a solid:InsertDeletePatch; solid:deletes { ex:a ex:p ex:b }; solid:inserts { _:p ex:q "z" }.`)
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := ParseN3Patch(strings.NewReader(doc), "http://fuzz.example/doc", fuzzLimits)
		if err != nil {
			return
		}
		checkPatchApply(t, p)
	})
}

func FuzzParseSPARQLUpdate(f *testing.F) {
	f.Add(sparqlPrefixes + `DELETE { ?s ex:p ?o } INSERT { ?o ex:p ?s ; ex:t [ ex:u ?s ] } WHERE { ?s ex:p ?o . ?o ex:p ?s }`)
	f.Add(sparqlPrefixes + `INSERT DATA { ex:a ex:p "x"@en-GB, 1.5e3, true } ; DELETE DATA { ex:a ex:p ex:b }`)
	f.Add(sparqlPrefixes + `DELETE WHERE { ?s ?p ?o }`)
	f.Add(sparqlPrefixes + `INSERT { ?a ?b ?c } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }`)
	f.Add(`BASE <http://x/> PREFIX : <#> LOAD <http://x/y> ; INSERT { ?s :p/:q ?o } WHERE { ?s :p* ?o OPTIONAL { } }`)
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := ParseSPARQLUpdate(strings.NewReader(doc), "http://fuzz.example/doc", fuzzLimits)
		if err != nil {
			return
		}
		checkPatchApply(t, p)
	})
}
