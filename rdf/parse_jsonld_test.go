package rdf

import (
	"errors"
	"strings"
	"testing"
)

func TestParseJSONLDRefusesRemote(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"remote @context", `{"@context": "https://example.org/ctx.jsonld", "@id": "http://x/s", "name": "n"}`},
		{"remote @context in array", `{"@context": ["http://127.0.0.1:1/ctx"], "@id": "http://x/s"}`},
		{"relative @context", `{"@context": "ctx.jsonld", "@id": "http://x/s"}`},
		{"@import", `{"@context": {"@version": 1.1, "@import": "https://example.org/ctx"}, "@id": "http://x/s"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.doc), MediaJSONLD, "http://x/doc", Limits{})
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("err = %v, want ErrSyntax", err)
			}
		})
	}
}

func TestParseJSONLD(t *testing.T) {
	const doc = `{
	  "@context": {"ldp": "http://www.w3.org/ns/ldp#", "name": "http://xmlns.com/foaf/0.1/name"},
	  "@id": "a%20b",
	  "@type": "ldp:Resource",
	  "name": [{"@value": "Ann", "@language": "EN"}, "plain"],
	  "http://x/n": [{"@value": "007", "@type": "http://www.w3.org/2001/XMLSchema#integer"}],
	  "http://x/ref": {"@id": "_:k"}
	}`
	g, err := Parse(strings.NewReader(doc), MediaJSONLD, "http://pod.example/c/", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	s := NewIRI("http://pod.example/c/a%20b")
	for _, tr := range []Triple{
		{s, NewIRI(RDFType), NewIRI("http://www.w3.org/ns/ldp#Resource")},
		{s, NewIRI("http://xmlns.com/foaf/0.1/name"), NewLangLiteral("Ann", "en")},
		{s, NewIRI("http://xmlns.com/foaf/0.1/name"), NewLiteral("plain", "")},
		{s, NewIRI("http://x/n"), NewLiteral("007", XSDInteger)},
	} {
		if !g.Has(tr) {
			t.Errorf("missing %v in %v", tr, g.Triples())
		}
	}
	if g.Len() != 5 {
		t.Errorf("Len = %d, want 5", g.Len())
	}
}

func TestParseJSONLDRejects(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"not JSON", `{"@id": `},
		{"trailing data", `{} {}`},
		{"named graph", `{"@id": "http://x/g", "@graph": [{"@id": "http://x/s", "http://x/p": "o"}]}`},
		{"invalid keyword use", `{"@id": 5}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse(strings.NewReader(tc.doc), MediaJSONLD, "http://x/doc", Limits{}); !errors.Is(err, ErrSyntax) {
				t.Fatalf("err = %v, want ErrSyntax", err)
			}
		})
	}
}

// JSON-LD 1.1 drops IRIs that are not well-formed; whatever json-gold does,
// none may reach the graph, because no writer could emit them.
func TestParseJSONLDBadIRINeverInGraph(t *testing.T) {
	const doc = `{"@id": "http://x/a b", "http://x/p": {"@id": "http://x/<o>"}}`
	g, err := Parse(strings.NewReader(doc), MediaJSONLD, "http://x/doc", Limits{})
	if err == nil && g.Len() != 0 {
		t.Fatalf("bad IRIs reached the graph: %v", g.Triples())
	}
}
