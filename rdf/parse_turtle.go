package rdf

import (
	"strconv"
	"strings"
)

// turtleParser is a recursive-descent parser for RDF 1.1 Turtle
// (https://www.w3.org/TR/turtle/). Recursion only happens for '[' and '(' and
// is cut off at Limits.MaxDepth, so hostile nesting cannot exhaust the stack.
type turtleParser struct {
	lexer
	base     string
	prefixes map[string]string
	labels   map[string]Term
	g        *Graph
	blanks   int
	depth    int
	emitted  int
	hooks
}

// termRole tells a term hook which Turtle rule it stands in for.
type termRole uint8

const (
	roleSubject termRole = iota + 1
	roleVerb
	roleObject
)

// hooks let a superset grammar (N3 Patch, SPARQL Update) reuse this parser:
// term is tried before the Turtle rule for a subject, verb or object and
// reports whether it read one; sink, when set, receives each triple instead
// of the graph. Plain Turtle parsing leaves both nil.
type hooks struct {
	term func(role termRole) (Term, bool, error)
	sink func(Triple) error
}

// hooked runs the term hook, if any.
func (p *turtleParser) hooked(role termRole) (Term, bool, error) {
	if p.term == nil {
		return Term{}, false, nil
	}
	return p.term(role)
}

func newTurtleParser(src []byte, base string, lim Limits) *turtleParser {
	return &turtleParser{
		lexer:    lexer{src: src, lim: lim},
		base:     base,
		prefixes: map[string]string{},
		labels:   map[string]Term{},
		g:        NewGraph(),
	}
}

// parse reads turtleDoc ::= statement* (RDF 1.1 Turtle §6.5).
func (p *turtleParser) parse() (*Graph, error) {
	for {
		p.skipWS()
		if p.eof() {
			return p.g, nil
		}
		if err := p.statement(); err != nil {
			return nil, err
		}
	}
}

// skipWS skips WS and comments.
func (p *turtleParser) skipWS() {
	for !p.eof() {
		switch p.src[p.pos] {
		case ' ', '\t', '\r', '\n':
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

func (p *turtleParser) expect(c byte, what string) error {
	p.skipWS()
	if p.peek() != c {
		return p.syntaxErr("expected " + what)
	}
	p.pos++
	return nil
}

// statement ::= directive | triples '.'
func (p *turtleParser) statement() error {
	switch {
	case p.hasPrefix("@prefix"):
		p.pos += len("@prefix")
		return p.prefixDecl(true)
	case p.hasPrefix("@base"):
		p.pos += len("@base")
		return p.baseDecl(true)
	case p.keyword("PREFIX"):
		return p.prefixDecl(false)
	case p.keyword("BASE"):
		return p.baseDecl(false)
	}
	if err := p.triples(); err != nil {
		return err
	}
	return p.expect('.', "'.' at end of triples")
}

// keyword matches a case-insensitive SPARQL-style directive word followed by
// whitespace or '<', advancing past it.
func (p *turtleParser) keyword(w string) bool {
	if len(p.src)-p.pos < len(w)+1 || !strings.EqualFold(string(p.src[p.pos:p.pos+len(w)]), w) {
		return false
	}
	switch p.src[p.pos+len(w)] {
	case ' ', '\t', '\r', '\n', '<', '#':
		p.pos += len(w)
		return true
	}
	return false
}

// prefixDecl reads the rest of prefixID or sparqlPrefix.
func (p *turtleParser) prefixDecl(dot bool) error {
	p.skipWS()
	start := p.pos
	if r, _ := p.peekRune(); r != ':' {
		if !isPNCharsBase(r) {
			return p.syntaxErr("invalid prefix name")
		}
		p.scanNameTail(false)
	}
	if p.peek() != ':' {
		return p.syntaxErr("expected ':' after prefix name")
	}
	name := string(p.src[start:p.pos])
	p.pos++
	p.skipWS()
	if p.peek() != '<' {
		return p.syntaxErr("expected IRI in prefix declaration")
	}
	iri, err := p.readIRIRef()
	if err != nil {
		return err
	}
	p.prefixes[name] = resolveIRI(p.base, iri)
	if dot {
		return p.expect('.', "'.' after @prefix")
	}
	return nil
}

// baseDecl reads the rest of base or sparqlBase.
func (p *turtleParser) baseDecl(dot bool) error {
	p.skipWS()
	if p.peek() != '<' {
		return p.syntaxErr("expected IRI in base declaration")
	}
	iri, err := p.readIRIRef()
	if err != nil {
		return err
	}
	p.base = resolveIRI(p.base, iri)
	if dot {
		return p.expect('.', "'.' after @base")
	}
	return nil
}

// triples ::= subject predicateObjectList | blankNodePropertyList predicateObjectList?
func (p *turtleParser) triples() error {
	if p.peek() == '[' {
		subj, empty, err := p.blankNodePropertyList()
		if err != nil {
			return err
		}
		p.skipWS()
		if (p.peek() == '.' || p.peek() == '}') && !empty { // '}' ends an N3 formula or SPARQL block
			return nil
		}
		return p.predicateObjectList(subj)
	}
	subj, err := p.subject()
	if err != nil {
		return err
	}
	return p.predicateObjectList(subj)
}

// subject ::= iri | BlankNode | collection
func (p *turtleParser) subject() (Term, error) {
	if t, ok, err := p.hooked(roleSubject); ok || err != nil {
		return t, err
	}
	switch c := p.peek(); {
	case c == '(':
		return p.collection()
	case c == '_' && p.peekAt(1) == ':':
		return p.blankLabel()
	}
	return p.iri()
}

// predicateObjectList ::= verb objectList (';' (verb objectList)?)*
func (p *turtleParser) predicateObjectList(subj Term) error {
	if err := p.verbObjects(subj); err != nil {
		return err
	}
	for {
		p.skipWS()
		if p.peek() != ';' {
			return nil
		}
		for p.peek() == ';' {
			p.pos++
			p.skipWS()
		}
		switch p.peek() {
		case '.', ']', '}', 0: // '}' ends an N3 formula (parse_n3patch.go)
			return nil
		}
		if err := p.verbObjects(subj); err != nil {
			return err
		}
	}
}

// verbObjects reads verb objectList.
func (p *turtleParser) verbObjects(subj Term) error {
	p.skipWS()
	pred, err := p.verb()
	if err != nil {
		return err
	}
	for {
		p.skipWS()
		obj, err := p.object()
		if err != nil {
			return err
		}
		if err := p.emit(subj, pred, obj); err != nil {
			return err
		}
		p.skipWS()
		if p.peek() != ',' {
			return nil
		}
		p.pos++
	}
}

// verb ::= predicate | 'a'
func (p *turtleParser) verb() (Term, error) {
	if t, ok, err := p.hooked(roleVerb); ok || err != nil {
		return t, err
	}
	return p.turtleVerb()
}

// turtleVerb is the Turtle verb rule without hooks.
func (p *turtleParser) turtleVerb() (Term, error) {
	if p.peek() == 'a' {
		switch p.peekAt(1) {
		case ' ', '\t', '\r', '\n', '<', '[', '(', '"', '\'', '_', '#':
			p.pos++
			return NewIRI(RDFType), nil
		}
	}
	return p.iri()
}

// object ::= iri | BlankNode | collection | blankNodePropertyList | literal
func (p *turtleParser) object() (Term, error) {
	if t, ok, err := p.hooked(roleObject); ok || err != nil {
		return t, err
	}
	switch c := p.peek(); {
	case c == '<':
		return p.iri()
	case c == '_' && p.peekAt(1) == ':':
		return p.blankLabel()
	case c == '(':
		return p.collection()
	case c == '[':
		t, _, err := p.blankNodePropertyList()
		return t, err
	case c == '"' || c == '\'':
		return p.rdfLiteral()
	case isDigit(c) || c == '+' || c == '-' || c == '.':
		return p.numericLiteral()
	case p.word("true"):
		return NewLiteral("true", XSDBoolean), nil
	case p.word("false"):
		return NewLiteral("false", XSDBoolean), nil
	}
	return p.iri()
}

// word matches a bare keyword not followed by a name character.
func (p *turtleParser) word(w string) bool {
	if !p.hasPrefix(w) {
		return false
	}
	save := p.pos
	p.pos += len(w)
	if r, _ := p.peekRune(); isPNChars(r) || r == ':' || r == '.' && isDigit(p.peekAt(1)) {
		p.pos = save
		return false
	}
	return true
}

// iri ::= IRIREF | PrefixedName
func (p *turtleParser) iri() (Term, error) {
	if p.peek() == '<' {
		s, err := p.readIRIRef()
		if err != nil {
			return Term{}, err
		}
		return NewIRI(resolveIRI(p.base, s)), nil
	}
	return p.prefixedName()
}

// prefixedName reads PNAME_LN | PNAME_NS and expands it.
func (p *turtleParser) prefixedName() (Term, error) {
	start := p.pos
	if r, _ := p.peekRune(); r != ':' {
		if !isPNCharsBase(r) {
			return Term{}, p.syntaxErr("expected IRI, prefixed name, blank node or literal")
		}
		p.scanNameTail(false)
	}
	if p.peek() != ':' {
		p.pos = start
		return Term{}, p.syntaxErr("expected prefixed name")
	}
	ns, ok := p.prefixes[string(p.src[start:p.pos])]
	if !ok {
		p.pos = start
		return Term{}, p.syntaxErr("undeclared prefix")
	}
	p.pos++
	local, err := p.pnLocal()
	if err != nil {
		return Term{}, err
	}
	if err := p.checkSize(len(ns) + len(local)); err != nil {
		return Term{}, err
	}
	return NewIRI(ns + local), nil
}

// pnLocal reads PN_LOCAL (possibly empty), decoding PN_LOCAL_ESC; PERCENT stays as written.
func (p *turtleParser) pnLocal() (string, error) {
	var b strings.Builder
	first := true
	for {
		if err := p.checkSize(b.Len()); err != nil {
			return "", err
		}
		r, n := p.peekRune()
		switch {
		case r == '\\':
			c := p.peekAt(1)
			if strings.IndexByte("_~.-!$&'()*+,;=/?#@%", c) < 0 || c == 0 {
				return "", p.syntaxErr("invalid escape in local name")
			}
			b.WriteByte(c)
			p.pos += 2
		case r == '%':
			if hexVal(p.peekAt(1)) < 0 || hexVal(p.peekAt(2)) < 0 {
				return "", p.syntaxErr("invalid percent escape in local name")
			}
			b.Write(p.src[p.pos : p.pos+3])
			p.pos += 3
		case r == ':' || isPNCharsU(r) || r >= '0' && r <= '9' || !first && (isPNChars(r) || r == '.' && p.dotContinues()):
			b.WriteString(string(p.src[p.pos : p.pos+n]))
			p.pos += n
		default:
			return b.String(), nil
		}
		first = false
	}
}

// dotContinues reports whether the '.' at the position is inside a local name,
// i.e. followed by another local-name character.
func (p *turtleParser) dotContinues() bool {
	i := p.pos
	for i < len(p.src) && p.src[i] == '.' {
		i++
	}
	if i >= len(p.src) {
		return false
	}
	save := p.pos
	p.pos = i
	r, _ := p.peekRune()
	p.pos = save
	return isPNChars(r) || r == ':' || r == '%' || r == '\\'
}

// blankLabel maps a document label to a fresh blank node (labels are scoped to the document).
func (p *turtleParser) blankLabel() (Term, error) {
	label, err := p.readBlankLabel()
	if err != nil {
		return Term{}, err
	}
	if t, ok := p.labels[label]; ok {
		return t, nil
	}
	t := p.newBlank()
	p.labels[label] = t
	return t, nil
}

func (p *turtleParser) newBlank() Term {
	p.blanks++
	return NewBlank("b" + strconv.Itoa(p.blanks))
}

// enter counts one level of '[' or '(' nesting against MaxDepth.
func (p *turtleParser) enter() error {
	p.depth++
	if p.depth > p.lim.MaxDepth {
		return p.tooDeep()
	}
	return nil
}

// blankNodePropertyList ::= '[' predicateObjectList ']' ; also ANON ::= '[' WS* ']'.
// empty reports the ANON form.
func (p *turtleParser) blankNodePropertyList() (Term, bool, error) {
	if err := p.enter(); err != nil {
		return Term{}, false, err
	}
	defer func() { p.depth-- }()
	p.pos++
	node := p.newBlank()
	p.skipWS()
	if p.peek() == ']' {
		p.pos++
		return node, true, nil
	}
	if err := p.predicateObjectList(node); err != nil {
		return Term{}, false, err
	}
	return node, false, p.expect(']', "']'")
}

// collection ::= '(' object* ')' — an RDF list (RDF 1.1 Turtle §7.3).
func (p *turtleParser) collection() (Term, error) {
	if err := p.enter(); err != nil {
		return Term{}, err
	}
	defer func() { p.depth-- }()
	p.pos++
	head, prev := NewIRI(RDFNil), Term{}
	for {
		p.skipWS()
		if p.peek() == ')' {
			p.pos++
			if !prev.IsZero() {
				return head, p.emit(prev, NewIRI(RDFRest), NewIRI(RDFNil))
			}
			return head, nil
		}
		obj, err := p.object()
		if err != nil {
			return Term{}, err
		}
		cell := p.newBlank()
		if prev.IsZero() {
			head = cell
		} else if err := p.emit(prev, NewIRI(RDFRest), cell); err != nil {
			return Term{}, err
		}
		if err := p.emit(cell, NewIRI(RDFFirst), obj); err != nil {
			return Term{}, err
		}
		prev = cell
	}
}

// rdfLiteral ::= String (LANGTAG | '^^' iri)?
func (p *turtleParser) rdfLiteral() (Term, error) {
	q := p.peek()
	long := p.peekAt(1) == q && p.peekAt(2) == q
	s, err := p.readString(q, long)
	if err != nil {
		return Term{}, err
	}
	return p.literalTail(s, "^^", p.iri)
}

// numericLiteral reads INTEGER | DECIMAL | DOUBLE, keeping the lexical form.
func (p *turtleParser) numericLiteral() (Term, error) {
	start := p.pos
	if c := p.peek(); c == '+' || c == '-' {
		p.pos++
	}
	intDigits := p.digits()
	dt := XSDInteger
	if p.peek() == '.' && (isDigit(p.peekAt(1)) || intDigits > 0 && p.exponentAt(1)) {
		p.pos++
		p.digits()
		dt = XSDDecimal
	}
	if p.exponentAt(0) {
		p.pos++
		if c := p.peek(); c == '+' || c == '-' {
			p.pos++
		}
		p.digits()
		dt = XSDDouble
	}
	lex := string(p.src[start:p.pos])
	if lex == "" || strings.Trim(lex, "+-.") == "" {
		return Term{}, p.syntaxErr("invalid number")
	}
	if dt == XSDInteger && intDigits == 0 {
		return Term{}, p.syntaxErr("invalid number")
	}
	if err := p.checkSize(len(lex)); err != nil {
		return Term{}, err
	}
	return NewLiteral(lex, dt), nil
}

func (p *turtleParser) digits() int {
	n := 0
	for isDigit(p.peek()) {
		p.pos++
		n++
	}
	return n
}

// exponentAt reports whether EXPONENT starts n bytes ahead.
func (p *turtleParser) exponentAt(n int) bool {
	if c := p.peekAt(n); c != 'e' && c != 'E' {
		return false
	}
	c := p.peekAt(n + 1)
	if c == '+' || c == '-' {
		c = p.peekAt(n + 2)
	}
	return isDigit(c)
}

// emit adds one triple, enforcing MaxTriples.
func (p *turtleParser) emit(s, pr, o Term) error {
	p.emitted++
	if p.emitted > p.lim.MaxTriples {
		return p.tooLarge("more than " + strconv.Itoa(p.lim.MaxTriples) + " triples")
	}
	if p.sink != nil {
		return p.sink(Triple{s, pr, o})
	}
	p.g.Add(Triple{s, pr, o})
	return nil
}
