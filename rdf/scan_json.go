package rdf

import "strconv"

// scanJSON is a cheap lexical pre-scan run before the JSON decoder: it bounds
// nesting depth (so hostile input cannot drive deep recursion in the JSON-LD
// processor) and rejects lone UTF-16 surrogate escapes, which encoding/json
// would otherwise silently turn into U+FFFD (RFC 8259 §8.2). It also bounds
// the length of every JSON string by MaxTermBytes, and the number of values
// by MaxJSONValues (each ',' and each '{' or '[' counts one: at least one
// per array element or object member after the first, and per container).
func scanJSON(src []byte, lim Limits) error {
	maxDepth := 2*lim.MaxDepth + 4 // a node object and a value array per RDF level
	depth, values := 0, 0
	for i := 0; i < len(src); i++ {
		if c := src[i]; c == ',' || c == '{' || c == '[' {
			if values++; values > lim.MaxJSONValues {
				return posError(ErrTooLarge, src, i, "JSON-LD document of more than "+strconv.Itoa(lim.MaxJSONValues)+" values (send larger documents as Turtle or N-Triples)")
			}
		}
		switch src[i] {
		case '{', '[':
			depth++
			if depth > maxDepth {
				return posError(ErrTooDeep, src, i, "JSON nesting deeper than MaxDepth")
			}
		case '}', ']':
			depth--
		case '"':
			end, err := scanJSONString(src, i)
			if err != nil {
				return err
			}
			if end-i > lim.MaxTermBytes {
				return posError(ErrTooLarge, src, i, "JSON string longer than MaxTermBytes")
			}
			i = end
		}
	}
	return nil
}

// scanJSONString returns the index of the closing quote of the string starting at i.
func scanJSONString(src []byte, i int) (int, error) {
	for i++; i < len(src); i++ {
		switch src[i] {
		case '"':
			return i, nil
		case '\\':
			if i+1 < len(src) && src[i+1] == 'u' {
				next, err := scanJSONUnicode(src, i)
				if err != nil {
					return 0, err
				}
				i = next
				continue
			}
			i++
		}
	}
	return len(src), nil // unterminated: the decoder reports it
}

// scanJSONUnicode checks the \uXXXX escape at i (and its pair, for a high
// surrogate) and returns the index of its last byte.
func scanJSONUnicode(src []byte, i int) (int, error) {
	r, ok := jsonHex4(src, i+2)
	if !ok {
		return i + 1, nil // malformed: the decoder reports it
	}
	switch {
	case r >= 0xDC00 && r <= 0xDFFF:
		return 0, posError(ErrSyntax, src, i, "lone low surrogate escape")
	case r >= 0xD800 && r <= 0xDBFF:
		if i+11 < len(src) && src[i+6] == '\\' && src[i+7] == 'u' {
			if lo, ok := jsonHex4(src, i+8); ok && lo >= 0xDC00 && lo <= 0xDFFF {
				return i + 11, nil
			}
		}
		return 0, posError(ErrSyntax, src, i, "lone high surrogate escape")
	}
	return i + 5, nil
}

func jsonHex4(src []byte, at int) (rune, bool) {
	if at+4 > len(src) {
		return 0, false
	}
	var r rune
	for _, c := range src[at : at+4] {
		v := hexVal(c)
		if v < 0 {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}
