package rdf

import "github.com/piprate/json-gold/ld"

// Isomorphic reports whether a and b are the same graph up to blank node
// renaming (RDF 1.1 Concepts §3.6). Both are brought to canonical N-Quads
// with json-gold's URDNA2015 (RDF Dataset Canonicalization) and compared.
// Canonicalization can be expensive on adversarial blank node structures:
// use it in tests and tools, not on request paths.
func Isomorphic(a, b *Graph) (bool, error) {
	if a.Len() != b.Len() {
		return false, nil
	}
	ca, err := Canonical(a)
	if err != nil {
		return false, err
	}
	cb, err := Canonical(b)
	if err != nil {
		return false, err
	}
	return ca == cb, nil
}

// Canonical returns g as URDNA2015-canonical N-Quads.
func Canonical(g *Graph) (string, error) {
	ds := ld.NewRDFDataset()
	quads := make([]*ld.Quad, 0, g.Len())
	g.each(func(t Triple) {
		quads = append(quads, ld.NewQuad(toLDNode(t.S), toLDNode(t.P), toLDNode(t.O), "@default"))
	})
	ds.Graphs["@default"] = quads
	opts := ld.NewJsonLdOptions("")
	opts.Algorithm = ld.AlgorithmURDNA2015
	opts.Format = "application/n-quads"
	out, err := ld.NewJsonLdApi().Normalize(ds, opts)
	if err != nil {
		return "", err
	}
	s, _ := out.(string)
	return s, nil
}

func toLDNode(t Term) ld.Node {
	switch t.Kind {
	case Blank:
		return ld.NewBlankNode(blankPrefix + t.Value)
	case Literal:
		if t.Lang != "" {
			return ld.NewLiteral(t.Value, RDFLangStr, t.Lang)
		}
		return ld.NewLiteral(t.Value, t.Datatype, "")
	}
	return ld.NewIRI(t.Value)
}
