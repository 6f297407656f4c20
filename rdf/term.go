package rdf

import "strings"

// TermKind tells which of the three RDF term kinds a Term is.
// The zero value is not a valid kind; Graph.Match treats a zero Term as a wildcard.
type TermKind uint8

// The RDF 1.1 term kinds (RDF 1.1 Concepts §3.1).
const (
	IRI     TermKind = 1
	Blank   TermKind = 2
	Literal TermKind = 3
)

// Well-known IRIs used throughout the package.
const (
	RDFNS        = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	XSDNS        = "http://www.w3.org/2001/XMLSchema#"
	RDFType      = RDFNS + "type"
	RDFFirst     = RDFNS + "first"
	RDFRest      = RDFNS + "rest"
	RDFNil       = RDFNS + "nil"
	RDFLangStr   = RDFNS + "langString"
	XSDString    = XSDNS + "string"
	XSDInteger   = XSDNS + "integer"
	XSDDecimal   = XSDNS + "decimal"
	XSDDouble    = XSDNS + "double"
	XSDBoolean   = XSDNS + "boolean"
	XSDDateTime  = XSDNS + "dateTime"
	blankPrefix  = "_:"
	noLangString = ""
)

// Term is one RDF term. It is a comparable value type, so it can be a map key.
// For literals Datatype is always set: a plain literal has xsd:string and a
// language-tagged literal has rdf:langString (RDF 1.1 Concepts §3.3).
type Term struct {
	Kind     TermKind
	Value    string // IRI, blank node label (without "_:"), or lexical form
	Datatype string // literals only
	Lang     string // language-tagged literals only, lower-cased
}

// NewIRI returns an IRI term. The string is used as given; resolving it is the parser's job.
func NewIRI(s string) Term { return Term{Kind: IRI, Value: s} }

// NewBlank returns a blank node with the given label (without the "_:" prefix).
func NewBlank(id string) Term { return Term{Kind: Blank, Value: id} }

// NewLiteral returns a typed literal. An empty datatype means xsd:string.
func NewLiteral(v, datatype string) Term {
	if datatype == "" {
		datatype = XSDString
	}
	return Term{Kind: Literal, Value: v, Datatype: datatype}
}

// NewLangLiteral returns a language-tagged string. Language tags compare
// case-insensitively (RDF 1.1 Concepts §3.3), so the tag is stored lower-cased.
// An empty tag gives a plain xsd:string literal.
func NewLangLiteral(v, lang string) Term {
	if lang == noLangString {
		return NewLiteral(v, "")
	}
	return Term{Kind: Literal, Value: v, Datatype: RDFLangStr, Lang: strings.ToLower(lang)}
}

// IsZero reports whether t is the zero Term (a wildcard in Match).
func (t Term) IsZero() bool { return t.Kind == 0 }

// String renders the term in N-Triples syntax, for messages and debugging.
func (t Term) String() string {
	var b strings.Builder
	w := newTextWriter(&b)
	w.ntTerm(t)
	w.flush()
	return b.String()
}

// compareTerms orders terms by kind (IRI, blank, literal), then value,
// datatype and language. It is the one order every writer uses.
func compareTerms(a, b Term) int { return compareTermPtrs(&a, &b) }

// compareTermPtrs is compareTerms without copying the terms.
func compareTermPtrs(a, b *Term) int {
	if a.Kind != b.Kind {
		if a.Kind < b.Kind {
			return -1
		}
		return 1
	}
	if c := strings.Compare(a.Value, b.Value); c != 0 {
		return c
	}
	if c := strings.Compare(a.Datatype, b.Datatype); c != 0 {
		return c
	}
	return strings.Compare(a.Lang, b.Lang)
}
