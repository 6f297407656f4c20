package rdf

import (
	"io"
	"strings"
)

// ParseSPARQLUpdate reads a SPARQL 1.1 Update request (media type
// application/sparql-update) limited to what a Solid server needs: a
// PREFIX/BASE prologue and operations separated by ';' among INSERT DATA,
// DELETE DATA (§3.1.1, §3.1.2), DELETE/INSERT … WHERE and DELETE WHERE
// (§3.1.3), with a WHERE that is one basic graph pattern. Triples use the
// Turtle syntax (shared with the Turtle parser) plus ?var/$var variables.
//
// Anything else SPARQL Update allows is ErrNotImplemented: graph management
// (LOAD, CLEAR, CREATE, DROP, COPY, MOVE, ADD), named graphs (GRAPH, WITH,
// USING), SERVICE, OPTIONAL, FILTER, UNION, MINUS, BIND, VALUES, subqueries,
// nested groups and property paths. Nothing is ever fetched. Other input
// is ErrSyntax.
func ParseSPARQLUpdate(r io.Reader, base string, lim Limits) (*Patch, error) {
	src, err := readPatchSource(r)
	if err != nil {
		return nil, err
	}
	p := &sparqlParser{turtleParser: newTurtleParser(src, base, lim.withDefaults())}
	p.term = p.sparqlTerm
	if err := p.update(); err != nil {
		return nil, err
	}
	return p.patch(), nil
}

// sparqlParser drives the Turtle parser through a SPARQL Update request.
type sparqlParser struct {
	*turtleParser
	ops  []operation
	vars bool // variables are allowed in the current block
}

// notImplemented is an ErrNotImplemented at the current position.
func (p *sparqlParser) notImplemented(what string) error {
	return posError(ErrNotImplemented, p.src, p.pos, what+" is not supported")
}

// unsupported lists SPARQL Update keywords that start an operation or a
// graph pattern Naamio does not run.
var unsupported = []string{
	"LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH", "USING",
	"GRAPH", "SERVICE", "OPTIONAL", "FILTER", "UNION", "MINUS", "BIND", "VALUES", "SELECT",
}

// atKeyword reports whether the case-insensitive keyword w is at the
// position (after whitespace), not followed by a name character or ':'.
func (p *sparqlParser) atKeyword(w string) bool {
	p.skipWS()
	end := p.pos + len(w)
	if end > len(p.src) || !strings.EqualFold(string(p.src[p.pos:end]), w) {
		return false
	}
	save := p.pos
	p.pos = end
	r, _ := p.peekRune()
	p.pos = save
	return !isPNChars(r) && r != ':'
}

// keyword consumes the keyword w when it is at the position.
func (p *sparqlParser) keyword(w string) bool {
	if !p.atKeyword(w) {
		return false
	}
	p.pos += len(w)
	return true
}

// checkUnsupported fails with ErrNotImplemented at a keyword we do not run
// or a nested group.
func (p *sparqlParser) checkUnsupported() error {
	p.skipWS()
	if p.peek() == '{' {
		return p.notImplemented("a nested group graph pattern")
	}
	for _, w := range unsupported {
		if p.atKeyword(w) {
			return p.notImplemented(w)
		}
	}
	return nil
}

// update reads Update ::= Prologue ( Update1 ( ';' Update )? )?
func (p *sparqlParser) update() error {
	for {
		if err := p.prologue(); err != nil {
			return err
		}
		if p.skipWS(); p.eof() {
			return nil
		}
		if err := p.operation(); err != nil {
			return err
		}
		if p.skipWS(); p.eof() {
			return nil
		}
		if p.peek() != ';' {
			return p.syntaxErr("expected ';' between operations")
		}
		p.pos++
	}
}

// prologue reads ( BaseDecl | PrefixDecl )*.
func (p *sparqlParser) prologue() error {
	for {
		var err error
		switch {
		case p.keyword("PREFIX"):
			err = p.prefixDecl(false)
		case p.keyword("BASE"):
			err = p.baseDecl(false)
		default:
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// operation reads one Update1 of the supported subset.
func (p *sparqlParser) operation() error {
	switch {
	case p.keyword("INSERT"):
		if p.keyword("DATA") {
			return p.data(opInsertData)
		}
		return p.modify(false)
	case p.keyword("DELETE"):
		if p.keyword("DATA") {
			return p.data(opDeleteData)
		}
		if p.keyword("WHERE") {
			return p.deleteWhere()
		}
		return p.modify(true)
	}
	if err := p.checkUnsupported(); err != nil {
		return err
	}
	return p.syntaxErr("expected INSERT or DELETE")
}

// data reads QuadData after INSERT DATA or DELETE DATA: ground triples;
// blank nodes are allowed in INSERT DATA only (SPARQL 1.1 Update §3.1.2).
func (p *sparqlParser) data(kind opKind) error {
	ts, err := p.block(false)
	if err != nil {
		return err
	}
	op := operation{kind: kind}
	if kind == opInsertData {
		op.inserts = toPatterns(ts)
	} else {
		if err := p.noBlanks(ts, "DELETE DATA"); err != nil {
			return err
		}
		op.deletes = toPatterns(ts)
	}
	p.ops = append(p.ops, op)
	return nil
}

// deleteWhere reads DELETE WHERE QuadPattern: the pattern is both the
// WHERE and the DELETE template (§3.1.3.3), so it holds no blank nodes.
func (p *sparqlParser) deleteWhere() error {
	ts, err := p.block(true)
	if err != nil {
		return err
	}
	if err := p.noBlanks(ts, "DELETE WHERE"); err != nil {
		return err
	}
	ps := toPatterns(ts)
	p.ops = append(p.ops, operation{kind: opModify, where: ps, deletes: ps})
	return nil
}

// modify reads Modify after DELETE or INSERT:
// ( DeleteClause InsertClause? | InsertClause ) 'WHERE' GroupGraphPattern.
func (p *sparqlParser) modify(del bool) error {
	op := operation{kind: opModify}
	if del {
		ts, err := p.block(true)
		if err != nil {
			return err
		}
		if err := p.noBlanks(ts, "a DELETE template"); err != nil {
			return err
		}
		op.deletes = toPatterns(ts)
	}
	if !del || p.keyword("INSERT") {
		ts, err := p.block(true)
		if err != nil {
			return err
		}
		op.inserts = toPatterns(ts)
	}
	if p.atKeyword("USING") {
		return p.notImplemented("USING")
	}
	if !p.keyword("WHERE") {
		return p.syntaxErr("expected WHERE")
	}
	ts, err := p.block(true)
	if err != nil {
		return err
	}
	op.where = toPatterns(ts)
	p.ops = append(p.ops, op)
	return nil
}

// noBlanks enforces SPARQL 1.1 Update grammar note 9: no blank nodes in
// DELETE DATA, DELETE WHERE or a DELETE template.
func (p *sparqlParser) noBlanks(ts []Triple, where string) error {
	for _, t := range ts {
		if t.S.Kind == Blank || t.O.Kind == Blank {
			return p.syntaxErr("blank nodes are not allowed in " + where)
		}
	}
	return nil
}

// block reads '{' TriplesTemplate? '}', or a GroupGraphPattern that is one
// basic graph pattern, returning its triples. vars allows variables.
func (p *sparqlParser) block(vars bool) ([]Triple, error) {
	p.skipWS()
	if p.peek() != '{' {
		return nil, p.syntaxErr("expected '{'")
	}
	p.pos++
	var ts []Triple
	p.vars = vars
	p.sink = func(t Triple) error { ts = append(ts, t); return nil }
	defer func() { p.sink = nil }()
	for {
		if p.skipWS(); p.peek() == '}' {
			p.pos++
			return ts, nil
		}
		if err := p.checkUnsupported(); err != nil {
			return nil, err
		}
		if err := p.triples(); err != nil {
			return nil, err
		}
		p.skipWS()
		switch p.peek() {
		case '.':
			p.pos++
		case '}':
		default:
			if err := p.checkUnsupported(); err != nil {
				return nil, err
			}
			return nil, p.syntaxErr("expected '.' or '}'")
		}
	}
}

// sparqlTerm reads a variable where one is allowed, and a predicate with a
// check for property paths (SPARQL 1.1 Query §9), which we do not run.
func (p *sparqlParser) sparqlTerm(role termRole) (Term, bool, error) {
	if c := p.peek(); c == '?' || c == '$' {
		if !p.vars {
			return Term{}, true, p.syntaxErr("variables are not allowed in INSERT DATA or DELETE DATA")
		}
		name, err := p.readVar()
		return Term{Kind: kindVar, Value: name}, true, err
	}
	if role != roleVerb {
		return Term{}, false, nil
	}
	t, err := p.predicate()
	return t, true, err
}

// predicate reads a verb that is an IRI or 'a', refusing property paths.
func (p *sparqlParser) predicate() (Term, error) {
	switch p.peek() {
	case '^', '!', '(':
		return Term{}, p.notImplemented("a property path")
	}
	t, err := p.turtleVerb()
	if err != nil {
		return Term{}, err
	}
	if p.pathFollows() {
		return Term{}, p.notImplemented("a property path")
	}
	return t, nil
}

// pathFollows reports whether a property-path operator follows a predicate:
// '/' or '|' (after optional whitespace), or '*', '+' or '?' right after it
// ('?' and '+' only when they do not start a variable or a number).
func (p *sparqlParser) pathFollows() bool {
	switch p.peek() {
	case '*':
		return true
	case '+':
		return !isDigit(p.peekAt(1)) && p.peekAt(1) != '.'
	case '?':
		save := p.pos
		p.pos++
		r, _ := p.peekRune()
		p.pos = save
		return !isVarStart(r)
	}
	save := p.pos
	p.skipWS()
	c := p.peek()
	p.pos = save
	return c == '/' || c == '|'
}

// patch assembles the Patch: the operations, and their patterns
// concatenated for access-mode mapping.
func (p *sparqlParser) patch() *Patch {
	pt := &Patch{sparql: true, ops: p.ops}
	for _, op := range p.ops {
		pt.Where = append(pt.Where, op.where...)
		pt.Deletes = append(pt.Deletes, op.deletes...)
		pt.Inserts = append(pt.Inserts, op.inserts...)
	}
	return pt
}
