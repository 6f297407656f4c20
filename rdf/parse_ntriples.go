package rdf

import "strconv"

// ntParser reads RDF 1.1 N-Triples (https://www.w3.org/TR/n-triples/):
// one triple per line, absolute IRIs only, no prefixes or abbreviations.
type ntParser struct {
	lexer
	labels  map[string]Term
	g       *Graph
	emitted int
}

func newNTParser(src []byte, lim Limits) *ntParser {
	return &ntParser{lexer: lexer{src: src, lim: lim}, labels: map[string]Term{}, g: NewGraph()}
}

// parse reads ntriplesDoc ::= triple? (EOL triple)* EOL?
func (p *ntParser) parse() (*Graph, error) {
	for {
		p.skipSpace()
		switch {
		case p.eof():
			return p.g, nil
		case p.peek() == '\n' || p.peek() == '\r':
			p.pos++
			continue
		}
		if err := p.triple(); err != nil {
			return nil, err
		}
		p.skipSpace()
		if !p.eof() && p.peek() != '\n' && p.peek() != '\r' {
			return nil, p.syntaxErr("expected end of line after triple")
		}
	}
}

// skipSpace skips spaces, tabs and a comment up to the end of the line.
func (p *ntParser) skipSpace() {
	for !p.eof() {
		switch p.src[p.pos] {
		case ' ', '\t':
			p.pos++
		case '#':
			for !p.eof() && p.src[p.pos] != '\n' && p.src[p.pos] != '\r' {
				p.pos++
			}
		default:
			return
		}
	}
}

// triple ::= subject predicate object '.'
func (p *ntParser) triple() error {
	s, err := p.term(false)
	if err != nil {
		return err
	}
	if s.Kind == Literal {
		return p.syntaxErr("literal as subject")
	}
	p.skipSpace()
	if p.peek() != '<' {
		return p.syntaxErr("predicate must be an IRI")
	}
	pr, err := p.iri()
	if err != nil {
		return err
	}
	p.skipSpace()
	o, err := p.term(true)
	if err != nil {
		return err
	}
	p.skipSpace()
	if p.peek() != '.' {
		return p.syntaxErr("expected '.' at end of triple")
	}
	p.pos++
	p.emitted++
	if p.emitted > p.lim.MaxTriples {
		return p.tooLarge("more than " + strconv.Itoa(p.lim.MaxTriples) + " triples")
	}
	p.g.Add(Triple{s, pr, o})
	return nil
}

func (p *ntParser) term(literal bool) (Term, error) {
	switch c := p.peek(); {
	case c == '<':
		return p.iri()
	case c == '_' && p.peekAt(1) == ':':
		label, err := p.readBlankLabel()
		if err != nil {
			return Term{}, err
		}
		return p.blank(label), nil
	case c == '"' && literal:
		return p.literal()
	}
	return Term{}, p.syntaxErr("expected IRI, blank node or literal")
}

// iri reads an IRIREF that must be absolute (N-Triples §2.3).
func (p *ntParser) iri() (Term, error) {
	s, err := p.readIRIRef()
	if err != nil {
		return Term{}, err
	}
	if !hasScheme(s) {
		return Term{}, p.syntaxErr("relative IRI in N-Triples")
	}
	return NewIRI(s), nil
}

func (p *ntParser) blank(label string) Term {
	if t, ok := p.labels[label]; ok {
		return t
	}
	t := NewBlank("b" + strconv.Itoa(len(p.labels)+1))
	p.labels[label] = t
	return t
}

// literal ::= STRING_LITERAL_QUOTE ('^^' IRIREF | LANGTAG)?
func (p *ntParser) literal() (Term, error) {
	s, err := p.readString('"', false)
	if err != nil {
		return Term{}, err
	}
	// N-Triples allows only an IRIREF after "^^".
	return p.literalTail(s, "^^<", p.iri)
}
