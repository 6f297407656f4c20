package rdf

import (
	"errors"
	"fmt"
)

// Limits bounds the work Parse does for one document. A zero field means the
// matching DefaultLimits value.
type Limits struct {
	MaxDepth     int // nesting of [ ] and ( ) in Turtle, of objects/arrays in JSON-LD
	MaxTriples   int // triples emitted by the parser (before de-duplication)
	MaxTermBytes int // bytes of one IRI, label or lexical form
	// MaxJSONValues bounds the values (array elements, object members) of
	// a JSON-LD document, counted by a lexical pre-scan before json-gold
	// runs: json-gold's node map compares every new value of a property
	// of a node with all earlier ones, so its time grows with the square
	// of the values (12,000 integers in one array took 8 s, 2,000 take
	// 0.2 s; BenchmarkJSONLDWorstAllowed; SECURITY row 15). Larger
	// documents are ErrTooLarge: Turtle and N-Triples have no such cost.
	MaxJSONValues int
}

// DefaultLimits are used for every zero field of a Limits.
var DefaultLimits = Limits{MaxDepth: 64, MaxTriples: 1_000_000, MaxTermBytes: 64 << 10, MaxJSONValues: 2_000}

// Sentinel errors. Parse wraps them with a short reason (and line/column when known).
var (
	ErrSyntax      = errors.New("rdf: syntax error")
	ErrTooLarge    = errors.New("rdf: document exceeds limits")
	ErrUnsupported = errors.New("rdf: unsupported media type")
	// ErrTooDeep is nesting beyond MaxDepth. It wraps ErrSyntax: depth is a
	// property of the document's shape, not of its size, so callers answer
	// it like malformed input (SECURITY row 13: 400).
	ErrTooDeep = fmt.Errorf("%w: nesting deeper than the limit", ErrSyntax)
)

// withDefaults fills zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxTriples <= 0 {
		l.MaxTriples = DefaultLimits.MaxTriples
	}
	if l.MaxTermBytes <= 0 {
		l.MaxTermBytes = DefaultLimits.MaxTermBytes
	}
	if l.MaxJSONValues <= 0 {
		l.MaxJSONValues = DefaultLimits.MaxJSONValues
	}
	return l
}

// PosError is a parse error at a place in the document: a 1-based line,
// and a 1-based column counted in characters (runes). It wraps one of the
// sentinel errors; errors.As finds it through the wrapping of callers, so
// an editor can show the error on the line it concerns (issue 15 item 1).
type PosError struct {
	Err          error // the sentinel: ErrSyntax, ErrTooLarge, ErrTooDeep
	Line, Column int
	Reason       string
}

func (e *PosError) Error() string {
	return fmt.Sprintf("%v: line %d col %d: %s", e.Err, e.Line, e.Column, e.Reason)
}

func (e *PosError) Unwrap() error { return e.Err }

// posError wraps sentinel with a 1-based line and column computed from a byte offset.
func posError(sentinel error, src []byte, off int, reason string) error {
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		off = 0
	}
	line, col := 1, 1
	for _, c := range src[:off] {
		if c == '\n' {
			line++
			col = 1
		} else if c&0xC0 != 0x80 { // count runes, not continuation bytes
			col++
		}
	}
	return &PosError{Err: sentinel, Line: line, Column: col, Reason: reason}
}
