package rdf

import "unicode/utf8"

const hexDigits = "0123456789ABCDEF"

// iriRef writes <iri>, escaping with UCHAR every character IRIREF does not
// allow (RDF 1.1 N-Triples §7: [^#x00-#x20<>"{}|^`\]).
func (t *textWriter) iriRef(s string) {
	t.byte('<')
	t.escaped(s, iriTable, escapeUChar)
	t.byte('>')
}

// quoted writes "s" as STRING_LITERAL_QUOTE in canonical N-Triples form
// (RDF 1.2 N-Triples §4): ECHAR for \b \t \n \f \r " \, UCHAR for other
// controls, every other character as itself.
func (t *textWriter) quoted(s string) {
	t.byte('"')
	t.escaped(s, stringTable, escapeString)
	t.byte('"')
}

// escapeTable marks the bytes a writer must not copy as they are: bytes
// needing an escape, and every non-ASCII byte (checked as UTF-8 separately).
type escapeTable [256]bool

func newEscapeTable(needs func(byte) bool) *escapeTable {
	var t escapeTable
	for c := 0; c < 256; c++ {
		t[c] = c >= utf8.RuneSelf || needs(byte(c))
	}
	return &t
}

var (
	iriTable    = newEscapeTable(iriNeedsEscape)
	stringTable = newEscapeTable(stringNeedsEscape)
	jsonTable   = newEscapeTable(jsonNeedsEscape)
)

func iriNeedsEscape(c byte) bool {
	switch c {
	case '<', '>', '"', '{', '}', '|', '^', '`', '\\':
		return true
	}
	return c <= 0x20
}

func stringNeedsEscape(c byte) bool { return c < 0x20 || c == '"' || c == '\\' || c == 0x7F }

func jsonNeedsEscape(c byte) bool { return c < 0x20 || c == '"' || c == '\\' }

// escaped writes s, copying runs of safe bytes at once and passing bytes that
// need escaping to esc. Invalid UTF-8 (only possible in terms built by
// callers, never by the parsers) is written as U+FFFD so output always parses.
func (t *textWriter) escaped(s string, tbl *escapeTable, esc func(*textWriter, byte)) {
	start, i := 0, 0
	for {
		for i < len(s) && !tbl[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			t.str(s[start:i])
			esc(t, c)
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			t.str(s[start:i])
			t.str("\uFFFD")
			start = i + 1
		}
		i += n
	}
	t.str(s[start:])
}

func escapeUChar(t *textWriter, c byte) {
	t.str(`\u00`)
	t.byte(hexDigits[c>>4])
	t.byte(hexDigits[c&0xF])
}

func escapeString(t *textWriter, c byte) {
	switch c {
	case '\b':
		t.str(`\b`)
	case '\t':
		t.str(`\t`)
	case '\n':
		t.str(`\n`)
	case '\f':
		t.str(`\f`)
	case '\r':
		t.str(`\r`)
	case '"':
		t.str(`\"`)
	case '\\':
		t.str(`\\`)
	default:
		escapeUChar(t, c)
	}
}

// literal writes a literal: its quoted lexical form, then its language tag
// or (unless xsd:string) its datatype, written by iri.
func (t *textWriter) literal(x Term, iri func(string)) {
	t.quoted(x.Value)
	switch {
	case x.Lang != "":
		t.byte('@')
		t.str(x.Lang)
	case x.Datatype != XSDString && x.Datatype != "":
		t.str("^^")
		iri(x.Datatype)
	}
}
