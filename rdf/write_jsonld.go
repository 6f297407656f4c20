package rdf

import "strings"

// writeJSONLD writes a JSON-LD 1.1 document in a fixed shape:
//
//	{"@context": {used prefixes}, "@graph": [node objects sorted by @id]}
//
// Each node has "@id", then "@type" (IRI types), then its properties in
// predicate order, every value in an array, literals always as strings with
// "@type"/"@language" so lexical forms survive (JSON-LD 1.1 §4.2.1).
// rdf:type values that are not IRIs are written under the "rdf:type" key.
func writeJSONLD(t *textWriter, g *Graph) {
	j := jsonWriter{t: t, prefixes: jsonPrefixes(g)}
	t.str("{\n  \"@context\": {")
	n := 0
	for i, p := range wellKnown {
		if !j.prefixes[i] {
			continue
		}
		if n > 0 {
			t.byte(',')
		}
		n++
		t.str("\n    \"")
		t.str(p.name)
		t.str("\": \"")
		t.str(p.ns)
		t.byte('"')
	}
	if n > 0 {
		t.str("\n  ")
	}
	t.str("},\n  \"@graph\": [")
	first := true
	g.eachGroup(t.sc, func(group []Triple) {
		if !first {
			t.byte(',')
		}
		first = false
		j.node(group)
	})
	if g.Len() > 0 {
		t.str("\n  ")
	}
	t.str("]\n}\n")
}

// jsonWriter carries the prefixes the JSON-LD context declares.
type jsonWriter struct {
	t        *textWriter
	prefixes []bool
}

// jsonPrefixes picks the wellKnown prefixes used by the graph. A prefix whose
// name is also the scheme of some IRI in the graph is left out: JSON-LD would
// read that IRI as a compact IRI and change it (JSON-LD 1.1 API §5.2.2).
func jsonPrefixes(g *Graph) []bool {
	used := make([]bool, len(wellKnown))
	clash := map[string]bool{}
	visit := func(iri string) {
		if i, _ := splitPrefixed(iri); i >= 0 {
			used[i] = true
		}
		if k := strings.IndexByte(iri, ':'); k > 0 {
			if _, ok := prefixByName[iri[:k]]; ok {
				clash[iri[:k]] = true
			}
		}
	}
	g.each(func(tr Triple) {
		for _, x := range [...]Term{tr.S, tr.P, tr.O} {
			switch {
			case x.Kind == IRI:
				visit(x.Value)
			case x.Kind == Literal && x.Lang == "" && x.Datatype != XSDString:
				visit(x.Datatype)
			}
		}
	})
	for i, p := range wellKnown {
		if clash[p.name] {
			used[i] = false
		}
	}
	return used
}

// node writes one node object for the triples of one subject.
func (j *jsonWriter) node(group []Triple) {
	t := j.t
	t.str("\n    {\n      \"@id\": ")
	j.id(group[0].S)
	forRuns(group, func(from, to int) {
		if isTypeRun(group[from:to]) {
			j.types(group[from:to])
		}
	})
	forRuns(group, func(from, to int) {
		if !isTypeRun(group[from:to]) {
			j.property(group[from:to])
		}
	})
	t.str("\n    }")
}

// isTypeRun reports whether the run is rdf:type with IRI objects only.
func isTypeRun(run []Triple) bool {
	if run[0].P.Value != RDFType {
		return false
	}
	for _, tr := range run {
		if tr.O.Kind != IRI {
			return false
		}
	}
	return true
}

func (j *jsonWriter) types(run []Triple) {
	j.t.str(",\n      \"@type\": [")
	for k, tr := range run {
		if k > 0 {
			j.t.str(", ")
		}
		j.iri(tr.O.Value)
	}
	j.t.byte(']')
}

func (j *jsonWriter) property(run []Triple) {
	t := j.t
	t.str(",\n      ")
	j.iri(run[0].P.Value)
	t.str(": [")
	for k, tr := range run {
		if k > 0 {
			t.byte(',')
		}
		t.str("\n        ")
		j.value(tr.O)
	}
	t.str("\n      ]")
}

// value writes a node reference or a value object.
func (j *jsonWriter) value(x Term) {
	t := j.t
	if x.Kind != Literal {
		t.str(`{"@id": `)
		j.id(x)
		t.byte('}')
		return
	}
	t.str(`{"@value": `)
	j.string(x.Value)
	switch {
	case x.Lang != "":
		t.str(`, "@language": `)
		j.string(x.Lang)
	case x.Datatype != XSDString && x.Datatype != "":
		t.str(`, "@type": `)
		j.iri(x.Datatype)
	}
	t.byte('}')
}

// id writes an IRI or a relabelled blank node identifier as a JSON string.
func (j *jsonWriter) id(x Term) {
	if x.Kind == Blank {
		j.t.byte('"')
		j.t.blank(x.Value)
		j.t.byte('"')
		return
	}
	j.iri(x.Value)
}

// iri writes a compact IRI when a declared prefix and a plain local part allow, else the full IRI.
func (j *jsonWriter) iri(s string) {
	if i, local := splitPrefixed(s); i >= 0 && j.prefixes[i] {
		j.t.byte('"')
		j.t.str(wellKnown[i].name)
		j.t.byte(':')
		j.t.str(local)
		j.t.byte('"')
		return
	}
	j.string(s)
}

// string writes a JSON string (RFC 8259 §7).
func (j *jsonWriter) string(s string) {
	j.t.byte('"')
	j.t.escaped(s, jsonTable, escapeJSON)
	j.t.byte('"')
}

func escapeJSON(t *textWriter, c byte) {
	switch c {
	case '"':
		t.str(`\"`)
	case '\\':
		t.str(`\\`)
	case '\n':
		t.str(`\n`)
	case '\r':
		t.str(`\r`)
	case '\t':
		t.str(`\t`)
	default:
		escapeUChar(t, c)
	}
}
