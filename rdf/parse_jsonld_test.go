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

// Issue 10 item 13: JSON-LD with named graphs is accepted (the Solid
// Protocol requires JSON-LD; the reference server stores such documents). A
// resource holds one graph, so the default graph and the named graphs'
// triples are merged into it; the graph names themselves are not kept
// (the triples that mention them in the default graph are).
func TestParseJSONLDNamedGraphsMerged(t *testing.T) {
	const doc = `{
	  "@context": {"ex": "http://example.org/ns/"},
	  "@id": "ex:test", "@type": "ex:Graph",
	  "ex:link": {"@id": "_:b"},
	  "@graph": [
	    {"@id": "ex:naughty", "@type": "ex:Trial", "ex:same": {"@id": "_:b"}},
	    {"@id": "_:g2", "@graph": {"@id": "ex:deep", "ex:p": "nested"}}
	  ]
	}`
	g, err := Parse(strings.NewReader(doc), MediaJSONLD, "http://x/doc", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ex := func(s string) Term { return NewIRI("http://example.org/ns/" + s) }
	for _, tr := range []Triple{
		{ex("test"), NewIRI(RDFType), ex("Graph")},      // default graph
		{ex("naughty"), NewIRI(RDFType), ex("Trial")},   // graph ex:test
		{ex("deep"), ex("p"), NewLiteral("nested", "")}, // graph _:g2 inside ex:test
	} {
		if !g.Has(tr) {
			t.Errorf("missing %v in %v", tr, g.Triples())
		}
	}
	// One blank node label names one node across the graphs.
	var link, same Term
	for _, tr := range g.Triples() {
		switch tr.P {
		case ex("link"):
			link = tr.O
		case ex("same"):
			same = tr.O
		}
	}
	if link.Kind != Blank || link != same {
		t.Errorf("blank node split across graphs: %v vs %v", link, same)
	}
	if g.Len() != 5 {
		t.Errorf("Len = %d, want 5: %v", g.Len(), g.Triples())
	}
}

// The triple limit counts the triples of every graph.
func TestParseJSONLDNamedGraphsLimit(t *testing.T) {
	const doc = `{"@id": "http://x/g", "http://x/p": "d",
	  "@graph": [{"@id": "http://x/a", "http://x/p": "1"}, {"@id": "http://x/b", "http://x/p": "2"}]}`
	if _, err := Parse(strings.NewReader(doc), MediaJSONLD, "http://x/doc", Limits{MaxTriples: 2}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if _, err := Parse(strings.NewReader(doc), MediaJSONLD, "http://x/doc", Limits{MaxTriples: 3}); err != nil {
		t.Fatalf("err = %v within the limit", err)
	}
}
