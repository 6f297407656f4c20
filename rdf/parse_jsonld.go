package rdf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// errRemoteContext is returned by noFetchLoader; json-gold wraps it.
var errRemoteContext = errors.New("remote @context and @import are not fetched")

// noFetchLoader is a json-gold DocumentLoader that never touches the network:
// a server must not fetch URLs named by a client's request body (SSRF).
type noFetchLoader struct{ asked string }

// LoadDocument refuses every remote document.
func (l *noFetchLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	l.asked = u
	return nil, errRemoteContext
}

// parseJSONLD converts a JSON-LD 1.1 document to RDF (JSON-LD 1.1 API §8.6
// "Deserialize JSON-LD to RDF") with json-gold.
func parseJSONLD(src []byte, base string, lim Limits) (g *Graph, err error) {
	if err := scanJSON(src, lim); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: JSON: %v", ErrSyntax, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: JSON: data after the top-level value", ErrSyntax)
	}
	defer func() {
		if r := recover(); r != nil { // json-gold is outside code: never let it crash a request
			g, err = nil, fmt.Errorf("%w: JSON-LD: processor failed: %v", ErrSyntax, r)
		}
	}()
	return jsonLDToGraph(doc, base, lim)
}

func jsonLDToGraph(doc any, base string, lim Limits) (*Graph, error) {
	loader := &noFetchLoader{}
	opts := ld.NewJsonLdOptions(base)
	opts.DocumentLoader = loader
	out, err := ld.NewJsonLdProcessor().ToRDF(doc, opts)
	if err != nil {
		if loader.asked != "" {
			return nil, fmt.Errorf("%w: JSON-LD: remote context %q refused: %v", ErrSyntax, loader.asked, errRemoteContext)
		}
		return nil, fmt.Errorf("%w: JSON-LD: %v", ErrSyntax, err)
	}
	ds, ok := out.(*ld.RDFDataset)
	if !ok {
		return nil, fmt.Errorf("%w: JSON-LD: unexpected processor result", ErrSyntax)
	}
	return datasetToGraph(ds, lim)
}

// datasetToGraph merges the dataset's default graph and all its named
// graphs into one graph: a resource holds one graph (stored as Turtle), and
// the Solid Protocol requires JSON-LD to be accepted, named graphs or not
// (issue 10 item 13). The triples of every graph are kept; the graph names
// are not (triples in the default graph that mention them are). Blank node
// labels are scoped to the document, so one label stays one node across
// graphs. MaxTriples counts the triples of all graphs.
func datasetToGraph(ds *ld.RDFDataset, lim Limits) (*Graph, error) {
	n := 0
	for _, quads := range ds.Graphs {
		n += len(quads)
	}
	if n > lim.MaxTriples {
		return nil, fmt.Errorf("%w: more than %d triples", ErrTooLarge, lim.MaxTriples)
	}
	names := make([]string, 0, len(ds.Graphs))
	for name := range ds.Graphs {
		names = append(names, name)
	}
	sort.Strings(names) // the same error for the same bad document
	g := NewGraph()
	for _, name := range names {
		for _, q := range ds.Graphs[name] {
			t, err := quadToTriple(q, lim)
			if err != nil {
				return nil, err
			}
			g.Add(t)
		}
	}
	return g, nil
}

func quadToTriple(q *ld.Quad, lim Limits) (Triple, error) {
	var t Triple
	var err error
	if t.S, err = ldNodeToTerm(q.Subject, lim); err != nil {
		return t, err
	}
	if t.P, err = ldNodeToTerm(q.Predicate, lim); err != nil {
		return t, err
	}
	t.O, err = ldNodeToTerm(q.Object, lim)
	return t, err
}

func ldNodeToTerm(n ld.Node, lim Limits) (Term, error) {
	var t Term
	switch v := n.(type) {
	case ld.IRI:
		t = NewIRI(v.Value)
	case ld.BlankNode:
		t = NewBlank(strings.TrimPrefix(v.Attribute, blankPrefix))
	case ld.Literal:
		if v.Language != "" {
			t = NewLangLiteral(v.Value, v.Language)
		} else {
			t = NewLiteral(v.Value, v.Datatype)
		}
	default:
		return t, fmt.Errorf("%w: JSON-LD: unexpected node %T", ErrSyntax, n)
	}
	if t.Kind == IRI && !hasScheme(t.Value) {
		return t, fmt.Errorf("%w: JSON-LD: IRI %q is not absolute", ErrSyntax, t.Value)
	}
	if (t.Kind == IRI && !validIRIChars(t.Value)) || (t.Kind == Literal && !validIRIChars(t.Datatype)) {
		return t, fmt.Errorf("%w: JSON-LD: IRI %q has characters IRIs may not contain", ErrSyntax, t.Value)
	}
	if len(t.Value) > lim.MaxTermBytes || len(t.Datatype) > lim.MaxTermBytes {
		return t, fmt.Errorf("%w: term longer than MaxTermBytes", ErrTooLarge)
	}
	return t, nil
}

// validIRIChars reports whether s has none of the characters IRIREF excludes
// (RDF 1.1 N-Triples §7) and only well-formed pct-encodings, so every writer
// can emit it and read it back.
func validIRIChars(s string) bool {
	if !validPercents(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if iriNeedsEscape(s[i]) {
			return false
		}
	}
	return true
}
