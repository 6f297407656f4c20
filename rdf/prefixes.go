package rdf

import "strings"

// prefix is one entry of the fixed table of well-known vocabularies the
// writers use for readable output. The table is part of the output format:
// changing it changes bytes on the wire and the golden files.
type prefix struct{ name, ns string }

// wellKnown is sorted by name, the order in which used prefixes are declared.
// Every namespace ends in '/' or '#', which nsOf relies on.
var wellKnown = []prefix{
	{"acl", "http://www.w3.org/ns/auth/acl#"},
	{"as", "https://www.w3.org/ns/activitystreams#"},
	{"cert", "http://www.w3.org/ns/auth/cert#"},
	{"dc", "http://purl.org/dc/terms/"},
	{"foaf", "http://xmlns.com/foaf/0.1/"},
	{"ldp", "http://www.w3.org/ns/ldp#"},
	{"notify", "http://www.w3.org/ns/solid/notifications#"},
	{"owl", "http://www.w3.org/2002/07/owl#"},
	{"pim", "http://www.w3.org/ns/pim/space#"},
	{"posix", "http://www.w3.org/ns/posix/stat#"},
	{"prov", "http://www.w3.org/ns/prov#"},
	{"rdf", RDFNS},
	{"rdfs", "http://www.w3.org/2000/01/rdf-schema#"},
	{"schema", "http://schema.org/"},
	{"sec", "https://w3id.org/security#"},
	{"sioc", "http://rdfs.org/sioc/ns#"},
	{"skos", "http://www.w3.org/2004/02/skos/core#"},
	{"solid", "http://www.w3.org/ns/solid/terms#"},
	{"vcard", "http://www.w3.org/2006/vcard/ns#"},
	{"xsd", XSDNS},
}

// prefixByLen lists, for each namespace length, the wellKnown indices with
// that length: a lookup is an array index and one or two string compares,
// cheaper than hashing on the writers' hot path.
var prefixByLen = func() (t [64][]int) {
	for i, p := range wellKnown {
		t[len(p.ns)] = append(t[len(p.ns)], i)
	}
	return t
}()

// nsIndex returns the wellKnown index of namespace ns, or -1.
func nsIndex(ns string) int {
	if len(ns) >= len(prefixByLen) {
		return -1
	}
	for _, i := range prefixByLen[len(ns)] {
		if wellKnown[i].ns == ns {
			return i
		}
	}
	return -1
}

// prefixByName maps a prefix name to its index in wellKnown.
var prefixByName = func() map[string]int {
	m := make(map[string]int, len(wellKnown))
	for i, p := range wellKnown {
		m[p.name] = i
	}
	return m
}()

// splitPrefixed returns the wellKnown index and local part for iri when it can
// be written as a prefixed name with a plain PN_LOCAL, or -1.
func splitPrefixed(iri string) (int, string) {
	cut := len(iri) - 1
	for cut >= 0 && iri[cut] != '/' && iri[cut] != '#' {
		cut--
	}
	if cut < 0 {
		return -1, ""
	}
	i := nsIndex(iri[:cut+1])
	if i < 0 {
		return -1, ""
	}
	local := iri[cut+1:]
	if !isPlainPNLocal(local) {
		return -1, ""
	}
	return i, local
}

// isPlainPNLocal reports whether s is a PN_LOCAL that needs no PN_LOCAL_ESC
// (RDF 1.1 Turtle §6.5): (PN_CHARS_U | ':' | [0-9] | PERCENT)
// ((PN_CHARS | '.' | ':' | PERCENT)* (PN_CHARS | ':' | PERCENT))?. Empty is allowed.
func isPlainPNLocal(s string) bool {
	for i, r := range s {
		switch {
		case r == '%':
			if i+2 >= len(s) || hexVal(s[i+1]) < 0 || hexVal(s[i+2]) < 0 {
				return false
			}
		case i > 0 && s[i-1] == '%', i > 1 && s[i-2] == '%':
			// hex digits of a PERCENT, already checked
		case r == ':' || r >= '0' && r <= '9' || isPNCharsU(r):
		case i > 0 && (isPNChars(r) || r == '.'):
		default:
			return false
		}
	}
	return !strings.HasSuffix(s, ".")
}

// Prefixed returns iri as a prefixed name of the writers' well-known
// vocabularies ("foaf:name"), or false when it has none (for readable
// displays, such as the document page's table of statements).
func Prefixed(iri string) (string, bool) {
	i, local := splitPrefixed(iri)
	if i < 0 {
		return "", false
	}
	return wellKnown[i].name + ":" + local, true
}
