package rdf

import "slices"

// writeTurtle writes RDF 1.1 Turtle: the used well-known prefixes, then one
// block per subject in sorted order, rdf:type first (as "a"), then the other
// predicates sorted, objects sorted, grouped with ';' and ','.
func writeTurtle(t *textWriter, g *Graph) {
	used := usedPrefixes(g)
	for i, p := range wellKnown {
		if used[i] {
			t.str("@prefix ")
			t.str(p.name)
			t.str(": <")
			t.str(p.ns)
			t.str("> .\n")
		}
	}
	sep := slices.Contains(used, true)
	g.eachGroup(t.sc, func(group []Triple) {
		if sep {
			t.byte('\n')
		}
		sep = true
		t.turtleSubject(group)
	})
}

// usedPrefixes marks the wellKnown entries the Turtle output will use.
func usedPrefixes(g *Graph) []bool {
	used := make([]bool, len(wellKnown))
	mark := func(iri string) {
		if i, _ := splitPrefixed(iri); i >= 0 {
			used[i] = true
		}
	}
	g.each(func(t Triple) {
		if t.S.Kind == IRI {
			mark(t.S.Value)
		}
		if t.P.Value != RDFType {
			mark(t.P.Value)
		}
		switch {
		case t.O.Kind == IRI:
			mark(t.O.Value)
		case t.O.Kind == Literal && t.O.Lang == "" && t.O.Datatype != XSDString && !shorthand(t.O):
			mark(t.O.Datatype)
		}
	})
	return used
}

// turtleSubject writes one subject block; group holds all its triples, sorted.
func (t *textWriter) turtleSubject(group []Triple) {
	t.ttlTerm(group[0].S)
	first := true
	writePred := func(from, to int) {
		if !first {
			t.str(" ;\n   ")
		}
		first = false
		t.byte(' ')
		if group[from].P.Value == RDFType {
			t.byte('a')
		} else {
			t.ttlTerm(group[from].P)
		}
		for k := from; k < to; k++ {
			if k > from {
				t.str(",\n       ")
			}
			t.byte(' ')
			t.ttlTerm(group[k].O)
		}
	}
	// rdf:type first (its run is contiguous because group is sorted by predicate).
	forRuns(group, func(from, to int) {
		if group[from].P.Value == RDFType {
			writePred(from, to)
		}
	})
	forRuns(group, func(from, to int) {
		if group[from].P.Value != RDFType {
			writePred(from, to)
		}
	})
	t.str(" .\n")
}

// forRuns calls fn with the [from, to) bounds of each run of equal predicates.
func forRuns(group []Triple, fn func(from, to int)) {
	for start := 0; start < len(group); {
		end := start + 1
		for end < len(group) && group[end].P == group[start].P {
			end++
		}
		fn(start, end)
		start = end
	}
}

// ttlTerm writes a term in Turtle: prefixed names where the table allows,
// shorthand for well-formed numbers and booleans, else N-Triples forms.
func (t *textWriter) ttlTerm(x Term) {
	switch x.Kind {
	case IRI:
		t.ttlIRI(x.Value)
	case Literal:
		if shorthand(x) {
			t.str(x.Value)
			return
		}
		t.literal(x, t.ttlIRI)
	default:
		t.ntTerm(x)
	}
}

func (t *textWriter) ttlIRI(iri string) {
	if i, local := splitPrefixed(iri); i >= 0 {
		t.str(wellKnown[i].name)
		t.byte(':')
		t.str(local)
		return
	}
	t.iriRef(iri)
}
