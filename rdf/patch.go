package rdf

import (
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Patch errors. Parse and Apply wrap them with a short reason.
var (
	// ErrInvalidPatch is a parseable patch document that breaks the N3 Patch
	// constraints (Solid Protocol server-patch-n3-invalid: 422).
	ErrInvalidPatch = errors.New("rdf: invalid patch")
	// ErrPatchConflict is a patch that does not apply to the graph: its
	// where clause matched 0 or 2+ times (N3), or a triple to delete is
	// absent (Solid Protocol server-patch-n3-semantics-*: 409).
	ErrPatchConflict = errors.New("rdf: patch does not apply to the graph")
	// ErrNotImplemented is a SPARQL Update feature Naamio does not run:
	// LOAD, CLEAR, CREATE, DROP, COPY, MOVE, ADD, named graphs (GRAPH, WITH,
	// USING), SERVICE, and any graph pattern beyond a basic graph pattern.
	ErrNotImplemented = errors.New("rdf: patch feature not implemented")
	// ErrTooComplex is an evaluation that would exceed its ApplyLimits
	// (SECURITY row 19: an exploding WHERE fails fast).
	ErrTooComplex = errors.New("rdf: patch evaluation exceeds its limits")
)

// PatternTerm is one position of a triple pattern: the variable Var (its
// name without '?') when Var is set, otherwise the concrete Term. In a
// where clause a blank node Term matches like a variable that is not
// reported (SPARQL 1.1 Query §4.1.4); in inserts it stands for a fresh
// blank node.
type PatternTerm struct {
	Term Term
	Var  string
}

// IsVar reports whether t is a variable.
func (t PatternTerm) IsVar() bool { return t.Var != "" }

// String renders the term as in N3 ("?name" or N-Triples syntax).
func (t PatternTerm) String() string {
	if t.IsVar() {
		return "?" + t.Var
	}
	return t.Term.String()
}

// Pattern is a triple pattern.
type Pattern struct{ S, P, O PatternTerm }

// Patch is a parsed N3 Patch or SPARQL Update request.
//
// For an N3 Patch the three lists are its solid:where, solid:deletes and
// solid:inserts formulae. A SPARQL Update may hold several operations; the
// lists are then the concatenation of all operations' WHERE patterns,
// DELETE templates (including DELETE DATA and DELETE WHERE) and INSERT
// templates, which is what access-mode mapping needs, while Apply runs the
// operations one by one. A Patch is not changed by Apply, so it may be
// applied again (to a re-read graph, for example).
type Patch struct {
	Where   []Pattern
	Deletes []Pattern
	Inserts []Pattern

	sparql bool        // false: N3 Patch semantics
	ops    []operation // SPARQL only, in request order
}

// opKind is the kind of one SPARQL Update operation.
type opKind uint8

const (
	opInsertData opKind = iota + 1 // INSERT DATA (SPARQL 1.1 Update §3.1.1)
	opDeleteData                   // DELETE DATA (§3.1.2)
	opModify                       // DELETE/INSERT … WHERE and DELETE WHERE (§3.1.3)
)

// operation is one SPARQL Update operation.
type operation struct {
	kind                    opKind
	where, deletes, inserts []Pattern
}

// Reads reports whether applying the patch reveals the target's content, so
// the request needs Read access: a non-empty where (Solid Protocol
// server-n3-patch-where) or non-empty deletions (server-n3-patch-delete:
// Read and Write). SPARQL Update is mapped by the same rules; DELETE DATA
// reads because its 409 tells whether a triple exists.
func (p *Patch) Reads() bool { return len(p.Where) > 0 || len(p.Deletes) > 0 }

// Appends reports whether the patch inserts triples (Solid Protocol
// server-n3-patch-insert: Append).
func (p *Patch) Appends() bool { return len(p.Inserts) > 0 }

// HasDeletes reports whether the patch deletes triples (Solid Protocol
// server-n3-patch-delete: Read and Write).
func (p *Patch) HasDeletes() bool { return len(p.Deletes) > 0 }

// Pattern-only term kinds. They exist only while a patch is parsed and
// never leave this package: variables become PatternTerm.Var, and
// formulae are checked and taken apart by the N3 Patch parser.
const (
	kindVar     TermKind = 100 // Value is the variable name
	kindFormula TermKind = 101 // Value indexes the parser's formulae
)

// toPattern turns a parsed triple into a Pattern.
func toPattern(t Triple) Pattern {
	return Pattern{patternTerm(t.S), patternTerm(t.P), patternTerm(t.O)}
}

func patternTerm(t Term) PatternTerm {
	if t.Kind == kindVar {
		return PatternTerm{Var: t.Value}
	}
	return PatternTerm{Term: t}
}

func toPatterns(ts []Triple) []Pattern {
	if len(ts) == 0 {
		return nil
	}
	ps := make([]Pattern, len(ts))
	for i, t := range ts {
		ps[i] = toPattern(t)
	}
	return ps
}

// readPatchSource reads a patch body and checks it is UTF-8 (both N3 and
// SPARQL are UTF-8 text).
func readPatchSource(r io.Reader) ([]byte, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("rdf: reading patch: %w", err)
	}
	if !utf8.Valid(src) {
		return nil, posError(ErrSyntax, src, firstInvalidUTF8(src), "invalid UTF-8")
	}
	return src, nil
}

// readVar reads a variable at '?' or '$': SPARQL 1.1 Query's VAR1/VAR2
// (§19.8), whose VARNAME may start with a digit, with N3's QUICK_VAR_NAME
// tail (PN_CHARS, which adds '-'). The name is returned without the sigil.
func (l *lexer) readVar() (string, error) {
	l.pos++
	start := l.pos
	r, n := l.peekRune()
	if !isPNCharsU(r) && !(r >= '0' && r <= '9') {
		return "", l.syntaxErr("invalid variable name")
	}
	l.pos += n
	for {
		r, n := l.peekRune()
		if !isPNChars(r) {
			break
		}
		l.pos += n
	}
	if err := l.checkSize(l.pos - start); err != nil {
		return "", err
	}
	return string(l.src[start:l.pos]), nil
}

// isVarStart reports whether c can follow '?' or '$' in a variable.
func isVarStart(r rune) bool { return isPNCharsU(r) || r >= '0' && r <= '9' }
