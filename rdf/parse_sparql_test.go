package rdf

import (
	"errors"
	"strings"
	"testing"
)

const sparqlPrefixes = "PREFIX ex: <http://example.org/>\n"

func parseSPARQL(doc string) (*Patch, error) {
	return ParseSPARQLUpdate(strings.NewReader(sparqlPrefixes+doc), "https://pod.example/doc", Limits{})
}

// TestParseSPARQLUpdate covers the supported subset (SPARQL 1.1 Update
// §3.1.1–3.1.3) and what is refused: ErrNotImplemented for features we do
// not run (SECURITY row 19: LOAD and SERVICE never fetch), ErrSyntax for
// what the grammar forbids.
func TestParseSPARQLUpdate(t *testing.T) {
	tests := []struct {
		name, doc string
		want      error
	}{
		{"INSERT DATA", `INSERT DATA { ex:a ex:b "c"@en, 1.5; a ex:T . ex:d ex:e [ ex:f true ] }`, nil},
		{"blank node property list alone", `INSERT DATA { [ ex:b 1 ] }`, nil},
		{"lower-case keywords", `insert data { ex:a ex:b ex:c }`, nil},
		{"DELETE DATA", `DELETE DATA { ex:a ex:b ex:c . }`, nil},
		{"DELETE INSERT WHERE", `DELETE { ?s ex:age ?a } INSERT { ?s ex:years ?a } WHERE { ?s ex:age ?a }`, nil},
		{"INSERT WHERE", `INSERT { ?s ex:seen true } WHERE { ?s a ex:T ; ex:n $n . }`, nil},
		{"DELETE WHERE", `DELETE WHERE { ?s ex:age ?a }`, nil},
		{"several operations", `INSERT DATA { ex:a ex:b ex:c } ; BASE <http://other/> PREFIX o: <x#> DELETE DATA { <a> o:b ex:c } ;`, nil},
		{"empty request", ``, nil},
		{"empty WHERE", `INSERT { ex:a ex:b ex:c } WHERE {}`, nil},
		{"variable right after a predicate", `DELETE WHERE { ?s ex:p?o }`, nil},
		{"signed number after a predicate", `INSERT DATA { ex:s ex:p+1 }`, nil},
		{"blank node in WHERE", `INSERT { ?s ex:q 1 } WHERE { ?s ex:p _:x . _:x ex:r [] }`, nil},

		{"LOAD", `LOAD <http://example.org/data.ttl>`, ErrNotImplemented},
		{"LOAD SILENT INTO", `LOAD SILENT <http://example.org/x> INTO GRAPH <http://example.org/g>`, ErrNotImplemented},
		{"CLEAR", `CLEAR ALL`, ErrNotImplemented},
		{"CREATE", `CREATE GRAPH <http://example.org/g>`, ErrNotImplemented},
		{"DROP", `DROP DEFAULT`, ErrNotImplemented},
		{"COPY", `COPY DEFAULT TO <http://example.org/g>`, ErrNotImplemented},
		{"MOVE", `MOVE DEFAULT TO <http://example.org/g>`, ErrNotImplemented},
		{"ADD", `ADD DEFAULT TO <http://example.org/g>`, ErrNotImplemented},
		{"WITH", `WITH <http://example.org/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }`, ErrNotImplemented},
		{"USING", `DELETE { ?s ?p ?o } USING <http://example.org/g> WHERE { ?s ?p ?o }`, ErrNotImplemented},
		{"SERVICE", `INSERT { ?s ?p ?o } WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }`, ErrNotImplemented},
		{"GRAPH in WHERE", `INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }`, ErrNotImplemented},
		{"GRAPH in INSERT DATA", `INSERT DATA { GRAPH <http://example.org/g> { ex:a ex:b ex:c } }`, ErrNotImplemented},
		{"OPTIONAL", `INSERT { ?s ex:q ?o } WHERE { ?s ex:p ?x OPTIONAL { ?s ex:o ?o } }`, ErrNotImplemented},
		{"FILTER", `DELETE WHERE { ?s ex:p ?o . FILTER(?o > 3) }`, ErrNotImplemented},
		{"FILTER after triples", `INSERT { ?s ex:q 1 } WHERE { ?s ex:p ?o FILTER(?o > 3) }`, ErrNotImplemented},
		{"UNION", `INSERT { ?s ex:q 1 } WHERE { { ?s ex:p 1 } UNION { ?s ex:p 2 } }`, ErrNotImplemented},
		{"MINUS", `INSERT { ?s ex:q 1 } WHERE { ?s ex:p 1 MINUS { ?s ex:p 2 } }`, ErrNotImplemented},
		{"BIND", `INSERT { ?s ex:q ?x } WHERE { ?s ex:p 1 . BIND(1 AS ?x) }`, ErrNotImplemented},
		{"VALUES", `INSERT { ?s ex:q 1 } WHERE { VALUES ?s { ex:a } }`, ErrNotImplemented},
		{"subquery", `INSERT { ?s ex:q 1 } WHERE { { SELECT ?s WHERE { ?s ?p ?o } } }`, ErrNotImplemented},
		{"path /", `INSERT { ?s ex:q 1 } WHERE { ?s ex:p/ex:q ?o }`, ErrNotImplemented},
		{"path | with space", `INSERT { ?s ex:q 1 } WHERE { ?s ex:p | ex:q ?o }`, ErrNotImplemented},
		{"path *", `INSERT { ?s ex:q 1 } WHERE { ?s ex:p* ?o }`, ErrNotImplemented},
		{"path +", `INSERT { ?s ex:q 1 } WHERE { ?s ex:p+ ?o }`, ErrNotImplemented},
		{"path ?", `INSERT { ?s ex:q 1 } WHERE { ?s ex:p? ?o }`, ErrNotImplemented},
		{"path ^", `INSERT { ?s ex:q 1 } WHERE { ?s ^ex:p ?o }`, ErrNotImplemented},
		{"path !", `INSERT { ?s ex:q 1 } WHERE { ?s !ex:p ?o }`, ErrNotImplemented},
		{"path ()", `INSERT { ?s ex:q 1 } WHERE { ?s (ex:p) ?o }`, ErrNotImplemented},

		{"variable in INSERT DATA", `INSERT DATA { ?s ex:b ex:c }`, ErrSyntax},
		{"variable in DELETE DATA", `DELETE DATA { ex:a ex:b ?o }`, ErrSyntax},
		{"blank node in DELETE DATA", `DELETE DATA { _:a ex:b ex:c }`, ErrSyntax},
		{"blank node in DELETE template", `DELETE { ?s ex:b [] } WHERE { ?s ex:b ?o }`, ErrSyntax},
		{"blank node in DELETE WHERE", `DELETE WHERE { ?s ex:b _:o }`, ErrSyntax},
		{"missing WHERE", `DELETE { ?s ex:b ?o }`, ErrSyntax},
		{"missing ';'", `INSERT DATA { ex:a ex:b ex:c } INSERT DATA { ex:a ex:b ex:d }`, ErrSyntax},
		{"Turtle @prefix", `@prefix ex: <http://example.org/> . INSERT DATA { ex:a ex:b ex:c }`, ErrSyntax},
		{"query, not update", `SELECT * WHERE { ?s ?p ?o }`, ErrNotImplemented},
		{"garbage", `HELLO`, ErrSyntax},
		{"unterminated", `INSERT DATA { ex:a ex:b ex:c`, ErrSyntax},
		{"invalid UTF-8", "INSERT DATA { ex:a ex:b \"\xff\" }", ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseSPARQL(tc.doc)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestApplySPARQLUpdate checks the semantics of each operation and of a
// request as a whole (all-or-nothing, in order).
func TestApplySPARQLUpdate(t *testing.T) {
	tests := []struct {
		name, doc, want string
		err             error
	}{
		{"INSERT DATA", `INSERT DATA { ex:dan ex:name "Dan" }`, people + `ex:dan ex:name "Dan".`, nil},
		{"INSERT DATA of a present triple", `INSERT DATA { ex:bob ex:age 40 }`, people, nil},
		{"INSERT DATA blank node is fresh", `INSERT DATA { ex:dan ex:pet [ ex:name "Rex" ] }`, people + `ex:dan ex:pet [ ex:name "Rex" ].`, nil},
		{"DELETE DATA", `DELETE DATA { ex:bob ex:age 40 }`, strings.Replace(people, `; ex:age 40`, "", 1), nil},
		{"DELETE DATA of an absent triple", `DELETE DATA { ex:bob ex:age 40, 41 }`, "", ErrPatchConflict},
		{"DELETE INSERT WHERE, every solution", `DELETE { ?s ex:age ?a } INSERT { ?s ex:years ?a } WHERE { ?s ex:age ?a }`,
			strings.ReplaceAll(people, "ex:age", "ex:years"), nil},
		{"no solution, no change", `DELETE { ?s ex:age ?a } WHERE { ?s ex:age ?a ; ex:name "Zoe" }`, people, nil},
		{"DELETE WHERE", `DELETE WHERE { ex:alice ex:knows ?f }`, strings.Replace(people, "; ex:knows ex:bob, ex:carol", "", 1), nil},
		{"unbound template variable skips the triple", `INSERT { ?s ex:tag ?nope . ?s ex:tagged true } WHERE { ?s ex:name "Bob" }`,
			people + `ex:bob ex:tagged true.`, nil},
		{"literal in subject position skips the triple", `INSERT { ?n ex:of ?s } WHERE { ?s ex:name ?n }`, people, nil},
		{"fresh blank node per solution", `INSERT { ?s ex:card [ ex:n ?n ] } WHERE { ?s ex:name ?n }`,
			people + `ex:alice ex:card [ ex:n "Alice" ]. ex:bob ex:card [ ex:n "Bob" ].`, nil},
		{"operations in order", `INSERT DATA { ex:x ex:y ex:z } ; DELETE WHERE { ex:x ?p ?o } ; INSERT DATA { ex:x ex:y 2 }`,
			people + `ex:x ex:y 2.`, nil},
		{"all or nothing", `INSERT DATA { ex:x ex:y ex:z } ; DELETE { ?s ex:age ?a } WHERE { ?s ex:age ?a } ; DELETE DATA { ex:nope ex:y ex:z }`, "", ErrPatchConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parseSPARQL(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			checkApply(t, p, "@prefix ex: <http://example.org/>.\n"+strings.TrimPrefix(tc.want, "@prefix ex: <http://example.org/>.\n"), tc.err)
		})
	}
}

func TestSPARQLAccessModes(t *testing.T) {
	tests := []struct {
		doc                        string
		reads, appends, hasDeletes bool
	}{
		{`INSERT DATA { ex:a ex:b ex:c }`, false, true, false},
		{`DELETE DATA { ex:a ex:b ex:c }`, true, false, true},
		{`INSERT { ?s ex:b ex:c } WHERE { ?s ex:b ex:d }`, true, true, false},
		{`DELETE WHERE { ?s ex:b ex:c }`, true, false, true},
		{`INSERT DATA { ex:a ex:b ex:c }; DELETE DATA { ex:a ex:b ex:d }`, true, true, true},
	}
	for _, tc := range tests {
		p, err := parseSPARQL(tc.doc)
		if err != nil {
			t.Fatal(err)
		}
		if p.Reads() != tc.reads || p.Appends() != tc.appends || p.HasDeletes() != tc.hasDeletes {
			t.Errorf("%s: Reads %v Appends %v HasDeletes %v", tc.doc, p.Reads(), p.Appends(), p.HasDeletes())
		}
	}
}
