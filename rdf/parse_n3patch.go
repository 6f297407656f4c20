package rdf

import (
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Solid terms used by N3 Patch (Solid Protocol §5.3.1).
const (
	SolidNS                = "http://www.w3.org/ns/solid/terms#"
	solidInsertDeletePatch = SolidNS + "InsertDeletePatch"
	solidPatch             = SolidNS + "Patch"
	solidWhere             = SolidNS + "where"
	solidInserts           = SolidNS + "inserts"
	solidDeletes           = SolidNS + "deletes"
)

// ParseN3Patch reads an N3 Patch (Solid Protocol §5.3.1, media type
// text/n3). base resolves relative IRIs. The document is read with the
// Turtle parser extended by N3's quick variables (?name) and cited formulae
// ({ … }); other N3 syntax (=>, @forAll, paths, literal subjects) is
// ErrSyntax. A parseable document that breaks the N3 Patch constraints is
// ErrInvalidPatch, naming the requirement (server-patch-n3-invalid: 422).
func ParseN3Patch(r io.Reader, base string, lim Limits) (*Patch, error) {
	src, err := readPatchSource(r)
	if err != nil {
		return nil, err
	}
	p := newN3PatchParser(src, base, lim.withDefaults())
	if _, err := p.parse(); err != nil {
		return nil, err
	}
	return p.build()
}

// n3PatchParser collects the document's top-level triples and the content
// of every cited formula; build then checks them against the N3 Patch rules.
type n3PatchParser struct {
	*turtleParser
	outer    []Triple   // top-level triples
	formulas [][]Triple // formula i is Term{Kind: kindFormula, Value: "i"}
}

func newN3PatchParser(src []byte, base string, lim Limits) *n3PatchParser {
	p := &n3PatchParser{turtleParser: newTurtleParser(src, base, lim)}
	p.term = p.n3Term
	p.sink = func(t Triple) error { p.outer = append(p.outer, t); return nil }
	return p
}

// n3Term reads the N3 terms Turtle lacks: a quick variable or a formula.
func (p *n3PatchParser) n3Term(role termRole) (Term, bool, error) {
	switch p.peek() {
	case '?':
		name, err := p.readVar()
		return Term{Kind: kindVar, Value: name}, true, err
	case '{':
		if role == roleVerb {
			return Term{}, false, nil // not a predicate: Turtle reports the error
		}
		t, err := p.formula()
		return t, true, err
	}
	return Term{}, false, nil
}

// formula reads formula ::= '{' formulaContent? '}' (N3 grammar), sending
// the triples inside to a new formula. Formulae count against MaxDepth.
func (p *n3PatchParser) formula() (Term, error) {
	if err := p.enter(); err != nil {
		return Term{}, err
	}
	idx := len(p.formulas)
	p.formulas = append(p.formulas, nil)
	parent := p.sink
	p.sink = func(t Triple) error { p.formulas[idx] = append(p.formulas[idx], t); return nil }
	defer func() { p.sink, p.depth = parent, p.depth-1 }()
	p.pos++ // '{'
	if err := p.formulaContent(); err != nil {
		return Term{}, err
	}
	return Term{Kind: kindFormula, Value: strconv.Itoa(idx)}, nil
}

// formulaContent reads triples separated by '.', the last '.' optional,
// up to and including the closing '}'.
func (p *n3PatchParser) formulaContent() error {
	for {
		p.skipWS()
		switch {
		case p.peek() == '}':
			p.pos++
			return nil
		case p.eof():
			return p.syntaxErr("unterminated formula")
		}
		if err := p.triples(); err != nil {
			return err
		}
		p.skipWS()
		switch p.peek() {
		case '.':
			p.pos++
		case '}':
		default:
			return p.syntaxErr("expected '.' or '}' in formula")
		}
	}
}

// invalidPatch is an ErrInvalidPatch naming the Solid Protocol requirement.
func invalidPatch(req, reason string) error {
	return fmt.Errorf("%w: %s (Solid Protocol %s)", ErrInvalidPatch, reason, req)
}

// n3Parts is the patch resource's where, inserts and deletes formulae
// (indexes into formulas, -1 when absent).
type n3Parts struct{ where, inserts, deletes int }

// build checks the N3 Patch constraints (Solid Protocol §5.3.1, each
// violation a 422 by server-patch-n3-invalid) and returns the patch.
func (p *n3PatchParser) build() (*Patch, error) {
	subj, err := p.patchResource()
	if err != nil {
		return nil, err
	}
	parts, err := p.patchParts(subj)
	if err != nil {
		return nil, err
	}
	where, ins, del := p.formula3(parts.where), p.formula3(parts.inserts), p.formula3(parts.deletes)
	if err := checkFormulae(where, ins, del); err != nil {
		return nil, err
	}
	if err := p.checkBlanks(where, ins, del); err != nil {
		return nil, err
	}
	return &Patch{Where: toPatterns(where), Inserts: toPatterns(ins), Deletes: toPatterns(del)}, nil
}

// formula3 returns formula i, or the empty formula {} for -1
// (server-patch-n3-formulae: absent formulae are presumed empty).
func (p *n3PatchParser) formula3(i int) []Triple {
	if i < 0 {
		return nil
	}
	return p.formulas[i]
}

// isPatchTriple reports whether t is one of the triple patterns that
// identify a patch resource (server-patch-n3-single).
func isPatchTriple(t Triple) bool {
	switch {
	case t.P.Kind != IRI:
		return false
	case t.P.Value == solidWhere, t.P.Value == solidInserts, t.P.Value == solidDeletes:
		return true
	}
	return t.P.Value == RDFType && t.O.Kind == IRI &&
		(t.O.Value == solidInsertDeletePatch || t.O.Value == solidPatch)
}

// patchResource finds the one patch resource (server-patch-n3-patches,
// server-patch-n3-single), identified by an IRI or blank node
// (server-patch-n3-patch-identifier).
func (p *n3PatchParser) patchResource() (Term, error) {
	var found []Term
	for _, t := range p.outer {
		if isPatchTriple(t) && !slices.Contains(found, t.S) {
			found = append(found, t.S)
		}
	}
	switch {
	case len(found) == 0:
		return Term{}, invalidPatch("server-patch-n3-patches", "no patch resource")
	case len(found) > 1:
		return Term{}, invalidPatch("server-patch-n3-single", "more than one patch resource")
	case found[0].Kind != IRI && found[0].Kind != Blank:
		return Term{}, invalidPatch("server-patch-n3-patch-identifier", "the patch resource is not an IRI or blank node")
	}
	return found[0], nil
}

// patchParts reads the patch resource's triples: its type
// (server-patch-n3-simple-type), at most one where, inserts and deletes
// (server-patch-n3-deletes, server-patch-n3-inserts), each a formula
// (server-patch-n3-formulae), and nothing else about it
// (server-patch-n3-single). Other top-level triples must not hold
// variables or formulae.
func (p *n3PatchParser) patchParts(subj Term) (n3Parts, error) {
	parts, typed := n3Parts{-1, -1, -1}, false
	for _, t := range p.outer {
		if t.S != subj {
			if !isGround(t) {
				return parts, invalidPatch("server-patch-n3-formulae", "a variable or formula outside the patch's where, inserts and deletes")
			}
			continue
		}
		var slot *int
		req := "server-patch-n3-inserts"
		switch {
		case t.P == NewIRI(RDFType) && t.O == NewIRI(solidInsertDeletePatch):
			typed = true
			continue
		case t.P == NewIRI(RDFType) && t.O == NewIRI(solidPatch):
			continue // server-patch-n3-type: MAY
		case t.P == NewIRI(solidWhere):
			slot = &parts.where
		case t.P == NewIRI(solidInserts):
			slot = &parts.inserts
		case t.P == NewIRI(solidDeletes):
			slot, req = &parts.deletes, "server-patch-n3-deletes"
		default:
			return parts, invalidPatch("server-patch-n3-single", "a triple about the patch resource other than its type, where, inserts and deletes: "+t.P.String())
		}
		if *slot >= 0 {
			return parts, invalidPatch(req, "more than one "+t.P.String())
		}
		if t.O.Kind != kindFormula {
			return parts, invalidPatch("server-patch-n3-formulae", "the object of "+t.P.String()+" is not a formula")
		}
		*slot, _ = strconv.Atoi(t.O.Value)
	}
	if !typed {
		return parts, invalidPatch("server-patch-n3-simple-type", "the patch resource is not a solid:InsertDeletePatch")
	}
	return parts, nil
}

// isGround reports whether t holds neither variables nor formulae.
func isGround(t Triple) bool {
	for _, x := range [3]Term{t.S, t.P, t.O} {
		if x.Kind == kindVar || x.Kind == kindFormula {
			return false
		}
	}
	return true
}

// checkFormulae checks that the formulae are not nested
// (server-patch-n3-formulae), that deletions hold no blank nodes
// (server-patch-n3-blank-nodes) and that every variable of insertions and
// deletions occurs in conditions (server-patch-n3-variables).
func checkFormulae(where, ins, del []Triple) error {
	whereVars := map[string]bool{}
	for _, f := range [3][]Triple{where, ins, del} {
		for _, t := range f {
			for _, x := range [3]Term{t.S, t.P, t.O} {
				if x.Kind == kindFormula {
					return invalidPatch("server-patch-n3-formulae", "nested formula")
				}
			}
		}
	}
	eachTerm(where, func(x Term) {
		if x.Kind == kindVar {
			whereVars[x.Value] = true
		}
	})
	var err error
	check := func(x Term) {
		if err == nil && x.Kind == kindVar && !whereVars[x.Value] {
			err = invalidPatch("server-patch-n3-variables", "variable ?"+x.Value+" does not occur in the where formula")
		}
	}
	eachTerm(ins, check)
	eachTerm(del, check)
	eachTerm(del, func(x Term) {
		if err == nil && x.Kind == Blank {
			err = invalidPatch("server-patch-n3-blank-nodes", "blank node in the deletes formula")
		}
	})
	return err
}

// checkBlanks enforces server-patch-n3-blank-nodes-syntax: no blank node
// label both in insertions and conditions, nor in either of these and
// elsewhere in the document. Labels are document-scoped in the parser, so
// one label is one Term wherever it occurs.
func (p *n3PatchParser) checkBlanks(where, ins, _ []Triple) error {
	inWhere, inIns, outside := blankSet(where), blankSet(ins), blankSet(p.outer)
	for b := range inIns {
		if inWhere[b] {
			return invalidPatch("server-patch-n3-blank-nodes-syntax", "a blank node label is used in both the inserts and where formulae")
		}
	}
	for _, set := range [2]map[Term]bool{inWhere, inIns} {
		for b := range set {
			if outside[b] {
				return invalidPatch("server-patch-n3-blank-nodes-syntax", "a blank node label of a formula is also used outside it")
			}
		}
	}
	return nil
}

func blankSet(ts []Triple) map[Term]bool {
	set := map[Term]bool{}
	eachTerm(ts, func(x Term) {
		if x.Kind == Blank {
			set[x] = true
		}
	})
	return set
}

// eachTerm calls fn for every term of ts.
func eachTerm(ts []Triple, fn func(Term)) {
	for _, t := range ts {
		fn(t.S)
		fn(t.P)
		fn(t.O)
	}
}
