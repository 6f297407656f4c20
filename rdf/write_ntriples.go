package rdf

// writeNTriples writes canonical N-Triples (RDF 1.2 N-Triples §4): one triple
// per line in sorted order, single spaces, no comments, xsd:string implicit.
func writeNTriples(t *textWriter, g *Graph) {
	g.eachGroup(t.sc, func(group []Triple) {
		for _, tr := range group {
			t.ntTerm(tr.S)
			t.byte(' ')
			t.ntTerm(tr.P)
			t.byte(' ')
			t.ntTerm(tr.O)
			t.str(" .\n")
		}
	})
}

// ntTerm writes one term in N-Triples syntax.
func (t *textWriter) ntTerm(x Term) {
	switch x.Kind {
	case IRI:
		t.iriRef(x.Value)
	case Blank:
		t.blank(x.Value)
	case Literal:
		t.literal(x, t.iriRef)
	default:
		// zero Term (a wildcard): nothing to write
	}
}
