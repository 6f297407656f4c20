package httpsig

import (
	"strings"
)

// cavageParams splits a draft-cavage Signature header into its parameters
// the way code.superseriousbusiness.org/httpsig does when it verifies
// (split on ",", then on the first "=", quotes trimmed), so the coverage
// and algorithm checks here see exactly what the library signs over. The
// library keeps the last of two equal names silently; a repeated name is
// refused here instead (SECURITY row 38), as is a parameter without "=".
func cavageParams(header string) (map[string]string, error) {
	params := map[string]string{}
	for _, p := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return nil, reject(ErrMalformed, "parameter without a value")
		}
		if _, dup := params[k]; dup {
			return nil, reject(ErrDuplicate, "parameter %q twice", k)
		}
		params[k] = strings.Trim(v, `"`)
	}
	return params, nil
}

// sfvDuplicates reports a dictionary member key, or a parameter of a
// member, that occurs twice in field, a Dictionary structured field that
// github.com/dunglas/httpsfv has already parsed (so it is well-formed).
// RFC 9651 lets the last occurrence win; a signature with two keyids, two
// created values or two labels is refused instead (SECURITY row 38).
// Parameters of the items inside an inner list (component parameters) are
// not looked at: components with parameters are refused anyway.
func sfvDuplicates(field string) (string, bool) {
	s := &sfvScan{s: field}
	members := map[string]bool{}
	for {
		s.skipSpace()
		if s.done() {
			return "", false
		}
		key := s.key()
		if members[key] {
			return key, true
		}
		members[key] = true
		if s.peek() == '=' {
			s.i++
			s.value()
		}
		params := map[string]bool{}
		for s.peek() == ';' {
			s.i++
			s.skipSpace()
			p := s.key()
			if params[p] {
				return key + ";" + p, true
			}
			params[p] = true
			if s.peek() == '=' {
				s.i++
				s.bareItem()
			}
		}
		s.skipSpace()
		if s.peek() != ',' {
			return "", false
		}
		s.i++
	}
}

// sfvScan walks a well-formed structured field just far enough to see keys.
type sfvScan struct {
	s string
	i int
}

func (s *sfvScan) done() bool { return s.i >= len(s.s) }

func (s *sfvScan) peek() byte {
	if s.done() {
		return 0
	}
	return s.s[s.i]
}

func (s *sfvScan) skipSpace() {
	for !s.done() && (s.s[s.i] == ' ' || s.s[s.i] == '\t') {
		s.i++
	}
}

// key reads a key: everything up to "=", ";", "," or a space.
func (s *sfvScan) key() string {
	start := s.i
	for !s.done() && !strings.ContainsRune("=;, \t", rune(s.s[s.i])) {
		s.i++
	}
	return s.s[start:s.i]
}

// value skips an inner list or a bare item.
func (s *sfvScan) value() {
	if s.peek() != '(' {
		s.bareItem()
		return
	}
	s.i++
	for !s.done() && s.s[s.i] != ')' {
		if s.s[s.i] == '"' {
			s.str()
			continue
		}
		s.i++
	}
	s.i++ // ")"
}

// bareItem skips a string, a byte sequence or a token/number/boolean.
func (s *sfvScan) bareItem() {
	switch s.peek() {
	case '"':
		s.str()
	case ':':
		s.i++
		for !s.done() && s.s[s.i] != ':' {
			s.i++
		}
		s.i++
	default:
		for !s.done() && !strings.ContainsRune(";,) \t", rune(s.s[s.i])) {
			s.i++
		}
	}
}

// str skips a quoted string with its backslash escapes.
func (s *sfvScan) str() {
	s.i++
	for !s.done() {
		switch s.s[s.i] {
		case '\\':
			s.i += 2
		case '"':
			s.i++
			return
		default:
			s.i++
		}
	}
}
