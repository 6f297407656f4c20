package rdf

// shorthand reports whether a literal can be written as a bare Turtle
// NumericLiteral or BooleanLiteral that reads back as the same term
// (RDF 1.1 Turtle §2.5.2, §6.5 INTEGER, DECIMAL, DOUBLE).
func shorthand(x Term) bool {
	if x.Kind != Literal || x.Lang != "" {
		return false
	}
	switch x.Datatype {
	case XSDInteger:
		return isTurtleInteger(x.Value)
	case XSDDecimal:
		return isTurtleDecimal(x.Value)
	case XSDDouble:
		return isTurtleDouble(x.Value)
	case XSDBoolean:
		return x.Value == "true" || x.Value == "false"
	}
	return false
}

func skipSign(s string) string {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		return s[1:]
	}
	return s
}

// countDigits returns the number of leading ASCII digits of s.
func countDigits(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

// isTurtleInteger matches INTEGER ::= [+-]? [0-9]+
func isTurtleInteger(s string) bool {
	s = skipSign(s)
	return s != "" && countDigits(s) == len(s)
}

// isTurtleDecimal matches DECIMAL ::= [+-]? [0-9]* '.' [0-9]+
func isTurtleDecimal(s string) bool {
	s = skipSign(s)
	s = s[countDigits(s):]
	if s == "" || s[0] != '.' {
		return false
	}
	s = s[1:]
	return s != "" && countDigits(s) == len(s)
}

// isTurtleDouble matches DOUBLE ::= [+-]? ([0-9]+ '.' [0-9]* EXPONENT |
// '.' [0-9]+ EXPONENT | [0-9]+ EXPONENT), EXPONENT ::= [eE] [+-]? [0-9]+
func isTurtleDouble(s string) bool {
	s = skipSign(s)
	intPart := countDigits(s)
	s = s[intPart:]
	fracPart := 0
	if s != "" && s[0] == '.' {
		s = s[1:]
		fracPart = countDigits(s)
		s = s[fracPart:]
	}
	if intPart == 0 && fracPart == 0 {
		return false
	}
	if s == "" || (s[0] != 'e' && s[0] != 'E') {
		return false
	}
	return isTurtleInteger(s[1:])
}
