package rdf

import (
	"errors"
	"strings"
	"testing"
)

// n3Prefixes starts every N3 Patch test document.
const n3Prefixes = "@prefix solid: <http://www.w3.org/ns/solid/terms#>.\n@prefix ex: <http://example.org/>.\n"

func parseN3(t *testing.T, doc string) (*Patch, error) {
	t.Helper()
	return ParseN3Patch(strings.NewReader(n3Prefixes+doc), "https://pod.example/doc", Limits{})
}

// TestParseN3PatchRules checks each N3 Patch constraint (Solid Protocol
// §5.3.1); a violation is ErrInvalidPatch (server-patch-n3-invalid: 422).
func TestParseN3PatchRules(t *testing.T) {
	tests := []struct {
		req, name, doc string
		want           error // nil: parses
	}{
		{"server-patch-n3-accept", "full patch", `_:p a solid:InsertDeletePatch;
			solid:where { ?s ex:name "A" }; solid:inserts { ?s ex:age 3 }; solid:deletes { ?s ex:age 2 }.`, nil},
		{"server-patch-n3-patches", "no patch resource", `ex:a ex:b ex:c.`, ErrInvalidPatch},
		{"server-patch-n3-patches", "empty document", ``, ErrInvalidPatch},
		{"server-patch-n3-patch-identifier", "IRI", `<#patch> a solid:InsertDeletePatch; solid:inserts { ex:a ex:b ex:c }.`, nil},
		{"server-patch-n3-patch-identifier", "variable", `?patch a solid:InsertDeletePatch; solid:inserts { ex:a ex:b ex:c }.`, ErrInvalidPatch},
		{"server-patch-n3-type", "also solid:Patch", `_:p a solid:Patch, solid:InsertDeletePatch; solid:inserts { ex:a ex:b ex:c }.`, nil},
		{"server-patch-n3-simple-type", "untyped", `_:p solid:inserts { ex:a ex:b ex:c }.`, ErrInvalidPatch},
		{"server-patch-n3-simple-type", "only solid:Patch", `_:p a solid:Patch; solid:inserts { ex:a ex:b ex:c }.`, ErrInvalidPatch},
		{"server-patch-n3-single", "two patch resources", `_:p a solid:InsertDeletePatch. _:q a solid:InsertDeletePatch.`, ErrInvalidPatch},
		{"server-patch-n3-single", "second resource by its inserts", `_:p a solid:InsertDeletePatch. <#q> solid:inserts { ex:a ex:b ex:c }.`, ErrInvalidPatch},
		{"server-patch-n3-single", "other triple about the patch", `_:p a solid:InsertDeletePatch; ex:comment "hi".`, ErrInvalidPatch},
		{"server-patch-n3-single", "unrelated ground triple", `ex:a ex:b ex:c. _:p a solid:InsertDeletePatch.`, nil},
		{"server-patch-n3-deletes", "two deletes", `_:p a solid:InsertDeletePatch; solid:deletes { ex:a ex:b ex:c }; solid:deletes { ex:a ex:b ex:d }.`, ErrInvalidPatch},
		{"server-patch-n3-deletes", "two deletes by ','", `_:p a solid:InsertDeletePatch; solid:deletes { ex:a ex:b ex:c }, {}.`, ErrInvalidPatch},
		{"server-patch-n3-inserts", "two inserts", `_:p a solid:InsertDeletePatch; solid:inserts {}; solid:inserts {}.`, ErrInvalidPatch},
		{"server-patch-n3-inserts", "two wheres", `_:p a solid:InsertDeletePatch; solid:where {}; solid:where {}.`, ErrInvalidPatch},
		{"server-patch-n3-formulae", "absent formulae are empty", `_:p a solid:InsertDeletePatch.`, nil},
		{"server-patch-n3-formulae", "nested formula", `_:p a solid:InsertDeletePatch; solid:inserts { ex:a ex:b { ex:c ex:d ex:e } }.`, ErrInvalidPatch},
		{"server-patch-n3-formulae", "nested formula as subject", `_:p a solid:InsertDeletePatch; solid:where { {} ex:b ex:c }.`, ErrInvalidPatch},
		{"server-patch-n3-formulae", "not a formula", `_:p a solid:InsertDeletePatch; solid:inserts ex:x.`, ErrInvalidPatch},
		{"server-patch-n3-formulae", "formula elsewhere", `_:p a solid:InsertDeletePatch. ex:a ex:b { ex:c ex:d ex:e }.`, ErrInvalidPatch},
		{"server-patch-n3-formulae", "variable elsewhere", `_:p a solid:InsertDeletePatch. ex:a ex:b ?x.`, ErrInvalidPatch},
		{"server-patch-n3-formulae", "triple patterns, lists, ';' and ','", `_:p a solid:InsertDeletePatch;
			solid:where { ?s a ex:T; ex:n ?n, 2 . ?s ex:l ( 1 ?n ) };
			solid:inserts { ?s ex:m [ ex:v ?n ]; };.`, nil},
		{"server-patch-n3-formulae", "blank node property list alone", `_:p a solid:InsertDeletePatch; solid:inserts { [ ex:a ex:b ] }.`, nil},
		{"server-patch-n3-variables", "insert variable not in where", `_:p a solid:InsertDeletePatch; solid:inserts { ?x ex:b ex:c }.`, ErrInvalidPatch},
		{"server-patch-n3-variables", "delete variable not in where", `_:p a solid:InsertDeletePatch; solid:where { ?x ex:b ex:c }; solid:deletes { ?x ex:b ?y }.`, ErrInvalidPatch},
		{"server-patch-n3-variables", "predicate variable in where", `_:p a solid:InsertDeletePatch; solid:where { ex:a ?p ex:c }; solid:deletes { ex:a ?p ex:c }.`, nil},
		{"server-patch-n3-blank-nodes", "labelled blank node in deletes", `_:p a solid:InsertDeletePatch; solid:deletes { _:b ex:p ex:o }.`, ErrInvalidPatch},
		{"server-patch-n3-blank-nodes", "anonymous blank node in deletes", `_:p a solid:InsertDeletePatch; solid:deletes { ex:s ex:p [] }.`, ErrInvalidPatch},
		{"server-patch-n3-blank-nodes", "blank nodes in inserts and where", `_:p a solid:InsertDeletePatch; solid:where { ?s ex:p _:w }; solid:inserts { ?s ex:q _:i }.`, nil},
		{"server-patch-n3-blank-nodes-syntax", "label in inserts and where", `_:p a solid:InsertDeletePatch; solid:where { ?s ex:p _:b }; solid:inserts { _:b ex:q ex:r }.`, ErrInvalidPatch},
		{"server-patch-n3-blank-nodes-syntax", "patch label in inserts", `_:p a solid:InsertDeletePatch; solid:inserts { _:p ex:q ex:r }.`, ErrInvalidPatch},
		{"server-patch-n3-blank-nodes-syntax", "where label elsewhere", `ex:a ex:b _:x. _:p a solid:InsertDeletePatch; solid:where { ex:s ex:p _:x }.`, ErrInvalidPatch},
		{"syntax", "unterminated formula", `_:p a solid:InsertDeletePatch; solid:inserts { ex:a ex:b ex:c .`, ErrSyntax},
		{"syntax", "N3 rule", `_:p a solid:InsertDeletePatch. { ?a ex:b ?c } => { ?a ex:d ?c }.`, ErrSyntax},
		{"syntax", "missing final dot", `_:p a solid:InsertDeletePatch`, ErrSyntax},
		{"syntax", "bad variable", `_:p a solid:InsertDeletePatch; solid:where { ? ex:b ex:c }.`, ErrSyntax},
		{"syntax", "undeclared prefix", `_:p a solid:InsertDeletePatch; solid:inserts { nope:a ex:b ex:c }.`, ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.req+"/"+tc.name, func(t *testing.T) {
			_, err := parseN3(t, tc.doc)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if errors.Is(err, ErrInvalidPatch) && errors.Is(err, ErrSyntax) {
				t.Fatalf("%v is both 400 and 422", err)
			}
		})
	}
}

func TestParseN3PatchInvalidUTF8AndLimits(t *testing.T) {
	if _, err := ParseN3Patch(strings.NewReader("<\xff> a <x>."), "", Limits{}); !errors.Is(err, ErrSyntax) {
		t.Errorf("invalid UTF-8: %v", err)
	}
	deep := n3Prefixes + "_:p a solid:InsertDeletePatch; solid:inserts " + strings.Repeat("{ ex:a ex:b ", 100) + strings.Repeat("}", 100) + "."
	if _, err := ParseN3Patch(strings.NewReader(deep), "", Limits{MaxDepth: 10}); !errors.Is(err, ErrTooDeep) {
		t.Errorf("deep formulae: %v", err)
	}
	long := n3Prefixes + "_:p a solid:InsertDeletePatch; solid:where { ?" + strings.Repeat("v", 100) + " ex:b ex:c }."
	if _, err := ParseN3Patch(strings.NewReader(long), "", Limits{MaxTermBytes: 50}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("long variable: %v", err)
	}
}

func TestParseN3PatchPatterns(t *testing.T) {
	p, err := parseN3(t, `<#p> a solid:InsertDeletePatch;
		solid:where { ?person ex:familyName "Garcia" };
		solid:inserts { ?person ex:givenName "Alex" };
		solid:deletes { ?person ex:givenName <rel> }.`)
	if err != nil {
		t.Fatal(err)
	}
	v := PatternTerm{Var: "person"}
	want := Pattern{v, PatternTerm{Term: NewIRI("http://example.org/givenName")}, PatternTerm{Term: NewIRI("https://pod.example/rel")}}
	if len(p.Deletes) != 1 || p.Deletes[0] != want {
		t.Errorf("deletes = %v, want %v", p.Deletes, want)
	}
	if len(p.Where) != 1 || p.Where[0].S != v || len(p.Inserts) != 1 {
		t.Errorf("where = %v, inserts = %v", p.Where, p.Inserts)
	}
	if v.String() != "?person" {
		t.Errorf("String = %q", v.String())
	}
}

// TestPatchAccessModes checks the access-mode mapping (Solid Protocol
// server-n3-patch-where, server-n3-patch-insert, server-n3-patch-delete).
func TestPatchAccessModes(t *testing.T) {
	tests := []struct {
		req, doc                   string
		reads, appends, hasDeletes bool
	}{
		{"server-n3-patch-insert", `_:p a solid:InsertDeletePatch; solid:inserts { ex:a ex:b ex:c }.`, false, true, false},
		{"server-n3-patch-where", `_:p a solid:InsertDeletePatch; solid:where { ?a ex:b ex:c }; solid:inserts { ?a ex:b ex:d }.`, true, true, false},
		{"server-n3-patch-delete", `_:p a solid:InsertDeletePatch; solid:deletes { ex:a ex:b ex:c }.`, true, false, true},
		{"empty", `_:p a solid:InsertDeletePatch.`, false, false, false},
	}
	for _, tc := range tests {
		p, err := parseN3(t, tc.doc)
		if err != nil {
			t.Fatal(tc.req, err)
		}
		if p.Reads() != tc.reads || p.Appends() != tc.appends || p.HasDeletes() != tc.hasDeletes {
			t.Errorf("%s: Reads %v Appends %v HasDeletes %v", tc.req, p.Reads(), p.Appends(), p.HasDeletes())
		}
	}
}
