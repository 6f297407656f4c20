package rdf

import (
	"strings"
	"unicode/utf8"
)

// lexer holds the input and the scanning position shared by the Turtle and
// N-Triples parsers. The input has been checked to be valid UTF-8.
type lexer struct {
	src []byte
	pos int
	lim Limits
}

func (l *lexer) eof() bool { return l.pos >= len(l.src) }

// peek returns the byte at the position, or 0 at the end.
func (l *lexer) peek() byte {
	if l.pos < len(l.src) {
		return l.src[l.pos]
	}
	return 0
}

// peekAt returns the byte n ahead of the position, or 0 past the end.
func (l *lexer) peekAt(n int) byte {
	if l.pos+n < len(l.src) {
		return l.src[l.pos+n]
	}
	return 0
}

func (l *lexer) peekRune() (rune, int) {
	if l.pos >= len(l.src) {
		return -1, 0
	}
	return utf8.DecodeRune(l.src[l.pos:])
}

func (l *lexer) hasPrefix(s string) bool {
	return len(l.src)-l.pos >= len(s) && string(l.src[l.pos:l.pos+len(s)]) == s
}

func (l *lexer) syntaxErr(reason string) error { return posError(ErrSyntax, l.src, l.pos, reason) }

func (l *lexer) tooLarge(reason string) error { return posError(ErrTooLarge, l.src, l.pos, reason) }

func (l *lexer) tooDeep() error {
	return posError(ErrTooDeep, l.src, l.pos, "nesting deeper than MaxDepth")
}

// checkSize fails once a term under construction outgrows MaxTermBytes.
func (l *lexer) checkSize(n int) error {
	if n > l.lim.MaxTermBytes {
		return l.tooLarge("term longer than MaxTermBytes")
	}
	return nil
}

// readIRIRef reads IRIREF (RDF 1.1 Turtle §6.5 / N-Triples §7): '<' ... '>'
// with UCHAR escapes decoded. The result is not yet resolved.
func (l *lexer) readIRIRef() (string, error) {
	l.pos++ // '<'
	start := l.pos
	var b strings.Builder
	for {
		if l.eof() {
			return "", l.syntaxErr("unterminated IRI")
		}
		if err := l.checkSize(l.pos - start); err != nil {
			return "", err
		}
		c := l.src[l.pos]
		switch {
		case c == '>':
			l.pos++
			iri := string(l.src[start : l.pos-1])
			if b.Len() > 0 {
				iri = b.String()
			}
			if !validPercents(iri) {
				l.pos = start
				return "", l.syntaxErr("'%' in IRI not followed by two hex digits (RFC 3987 pct-encoded)")
			}
			return iri, nil
		case c == '\\':
			if b.Len() == 0 {
				b.Write(l.src[start:l.pos])
			}
			r, err := l.readUChar()
			if err != nil {
				return "", err
			}
			if r < utf8.RuneSelf && iriNeedsEscape(byte(r)) {
				// RDF 1.1 Turtle §6.3: escapes may not produce excluded characters.
				return "", l.syntaxErr("escaped character not allowed in IRI")
			}
			b.WriteRune(r)
			continue
		case iriNeedsEscape(c):
			return "", l.syntaxErr("character not allowed in IRI")
		}
		if b.Len() > 0 {
			b.WriteByte(c)
		}
		l.pos++
	}
}

// readUChar reads UCHAR: \uXXXX or \UXXXXXXXX. Surrogates and values beyond
// U+10FFFF are not characters and are rejected.
func (l *lexer) readUChar() (rune, error) {
	n := 0
	switch l.peekAt(1) {
	case 'u':
		n = 4
	case 'U':
		n = 8
	default:
		return 0, l.syntaxErr("invalid escape")
	}
	if l.pos+2+n > len(l.src) {
		return 0, l.syntaxErr("truncated \\u escape")
	}
	var r rune
	for _, c := range l.src[l.pos+2 : l.pos+2+n] {
		v := hexVal(c)
		if v < 0 {
			return 0, l.syntaxErr("invalid hex digit in \\u escape")
		}
		r = r<<4 | rune(v)
	}
	if r > utf8.MaxRune || (r >= 0xD800 && r <= 0xDFFF) {
		return 0, l.syntaxErr("escape is a surrogate or not a Unicode character")
	}
	l.pos += 2 + n
	return r, nil
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// readEChar reads ECHAR (RDF 1.1 Turtle §6.5) or UCHAR after a backslash.
func (l *lexer) readEscape(b *strings.Builder) error {
	var r byte
	switch l.peekAt(1) {
	case 't':
		r = '\t'
	case 'b':
		r = '\b'
	case 'n':
		r = '\n'
	case 'r':
		r = '\r'
	case 'f':
		r = '\f'
	case '"', '\'', '\\':
		r = l.peekAt(1)
	default:
		u, err := l.readUChar()
		if err != nil {
			return err
		}
		b.WriteRune(u)
		return nil
	}
	b.WriteByte(r)
	l.pos += 2
	return nil
}

// readString reads STRING_LITERAL_QUOTE / _SINGLE_QUOTE, or their _LONG_
// forms when long is set (RDF 1.1 Turtle §6.5). The position is on the first quote.
func (l *lexer) readString(q byte, long bool) (string, error) {
	if long {
		l.pos += 3
	} else {
		l.pos++
	}
	var b strings.Builder
	for {
		if l.eof() {
			return "", l.syntaxErr("unterminated string")
		}
		if err := l.checkSize(b.Len()); err != nil {
			return "", err
		}
		c := l.src[l.pos]
		switch {
		case c == q && !long:
			l.pos++
			return b.String(), nil
		case c == q && l.peekAt(1) == q && l.peekAt(2) == q:
			l.pos += 3
			return b.String(), nil
		case c == '\\':
			if err := l.readEscape(&b); err != nil {
				return "", err
			}
			continue
		case (c == '\n' || c == '\r') && !long:
			return "", l.syntaxErr("line break in short string")
		}
		b.WriteByte(c)
		l.pos++
	}
}

// readLangTag reads LANGTAG without the '@': [a-zA-Z]+ ('-' [a-zA-Z0-9]+)*.
func (l *lexer) readLangTag() (string, error) {
	start := l.pos
	for isAlpha(l.peek()) {
		l.pos++
	}
	if l.pos == start {
		return "", l.syntaxErr("empty language tag")
	}
	for l.peek() == '-' {
		l.pos++
		s := l.pos
		for isAlpha(l.peek()) || isDigit(l.peek()) {
			l.pos++
		}
		if l.pos == s {
			return "", l.syntaxErr("empty language subtag")
		}
	}
	if err := l.checkSize(l.pos - start); err != nil {
		return "", err
	}
	return string(l.src[start:l.pos]), nil
}

// readBlankLabel reads BLANK_NODE_LABEL after "_:":
// (PN_CHARS_U | [0-9]) ((PN_CHARS | '.')* PN_CHARS)?
func (l *lexer) readBlankLabel() (string, error) {
	l.pos += 2
	start := l.pos
	r, n := l.peekRune()
	if !(isPNCharsU(r) || r >= '0' && r <= '9') {
		return "", l.syntaxErr("invalid blank node label")
	}
	l.pos += n
	l.scanNameTail(false)
	if err := l.checkSize(l.pos - start); err != nil {
		return "", err
	}
	return string(l.src[start:l.pos]), nil
}

// scanNameTail advances over (PN_CHARS | '.')* and backs off trailing dots, so
// a name never ends in '.' (RDF 1.1 Turtle §6.5). With colon, ':' is allowed too.
func (l *lexer) scanNameTail(colon bool) {
	for {
		r, n := l.peekRune()
		if !(isPNChars(r) || r == '.' || colon && r == ':') {
			break
		}
		l.pos += n
	}
	for l.pos > 0 && l.src[l.pos-1] == '.' {
		l.pos--
	}
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isPNCharsBase is PN_CHARS_BASE (RDF 1.1 Turtle §6.5).
func isPNCharsBase(r rune) bool {
	switch {
	case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		return true
	case r < 0xC0:
		return false
	case r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0x2FF,
		r >= 0x370 && r <= 0x37D, r >= 0x37F && r <= 0x1FFF, r >= 0x200C && r <= 0x200D,
		r >= 0x2070 && r <= 0x218F, r >= 0x2C00 && r <= 0x2FEF, r >= 0x3001 && r <= 0xD7FF,
		r >= 0xF900 && r <= 0xFDCF, r >= 0xFDF0 && r <= 0xFFFD, r >= 0x10000 && r <= 0xEFFFF:
		return true
	}
	return false
}

// isPNCharsU is PN_CHARS_U.
func isPNCharsU(r rune) bool { return r == '_' || isPNCharsBase(r) }

// isPNChars is PN_CHARS.
func isPNChars(r rune) bool {
	return isPNCharsU(r) || r == '-' || r >= '0' && r <= '9' || r == 0xB7 ||
		r >= 0x300 && r <= 0x36F || r >= 0x203F && r <= 0x2040
}

// validPercents reports whether every '%' in s starts a pct-encoded triplet
// (RFC 3987 §2.2). The Turtle grammar does not check this, but such IRIs are
// not IRIs, and JSON-LD processors drop them, so they are refused at the door.
func validPercents(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && (i+2 >= len(s) || hexVal(s[i+1]) < 0 || hexVal(s[i+2]) < 0) {
			return false
		}
	}
	return true
}

// literalTail finishes a literal whose lexical form s has been read: a
// language tag, a datatype (after marker, read by iri: an IRIREF in
// N-Triples, also a prefixed name in Turtle), or neither (xsd:string).
func (l *lexer) literalTail(s, marker string, iri func() (Term, error)) (Term, error) {
	switch {
	case l.peek() == '@':
		l.pos++
		lang, err := l.readLangTag()
		return NewLangLiteral(s, lang), err
	case l.hasPrefix(marker):
		l.pos += 2 // "^^"; the rest of marker belongs to the IRI
		dt, err := iri()
		return NewLiteral(s, dt.Value), err
	}
	return NewLiteral(s, XSDString), nil
}
