package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/deiu/gon3"
	"github.com/piprate/json-gold/ld"
)

// term is an RDF term: kind 'I' (IRI), 'B' (blank node), 'L' (literal).
// The zero term is a wildcard in match.
type term struct {
	kind  byte
	value string
	dt    string // literal datatype; "" means xsd:string
	lang  string
}

func iri(s string) term { return term{kind: 'I', value: s} }
func lit(s string) term { return term{kind: 'L', value: s} }

func (x term) String() string {
	switch x.kind {
	case 'I':
		return "<" + x.value + ">"
	case 'B':
		return "_:" + x.value
	case 'L':
		s := strconv.Quote(x.value)
		if x.lang != "" {
			return s + "@" + x.lang
		}
		if x.dt != "" {
			return s + "^^<" + x.dt + ">"
		}
		return s
	}
	return "?"
}

type triple struct{ s, p, o term }

func (t triple) String() string { return t.s.String() + " " + t.p.String() + " " + t.o.String() + " ." }

type graph []triple

func (g graph) match(s, p, o term) graph {
	var out graph
	for _, t := range g {
		if (s.kind == 0 || s == t.s) && (p.kind == 0 || p == t.p) && (o.kind == 0 || o == t.o) {
			out = append(out, t)
		}
	}
	return out
}

func (g graph) has(s, p, o term) bool { return len(g.match(s, p, o)) > 0 }

func (g graph) String() string {
	lines := make([]string, len(g))
	for i, t := range g {
		lines[i] = t.String()
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// groundEqual compares two graphs without blank nodes as sets.
func groundEqual(a, b graph) bool {
	set := func(g graph) map[triple]bool {
		m := map[triple]bool{}
		for _, t := range g {
			m[t] = true
		}
		return m
	}
	x, y := set(a), set(b)
	if len(x) != len(y) {
		return false
	}
	for t := range x {
		if !y[t] {
			return false
		}
	}
	return true
}

func normLiteral(t term) term {
	if t.kind == 'L' {
		if t.dt == xsdNS+"string" {
			t.dt = ""
		}
		if t.lang != "" {
			t.lang = strings.ToLower(t.lang)
			t.dt = ""
		}
	}
	return t
}

// parseNTriples parses N-Triples (and N-Quads, ignoring the graph term).
func parseNTriples(src []byte) (graph, error) {
	if !utf8.Valid(src) {
		return nil, errors.New("n-triples: invalid UTF-8")
	}
	var g graph
	for n, line := range strings.Split(string(src), "\n") {
		p := &ntParser{s: strings.TrimSpace(line)}
		p.ws()
		if p.done() || p.peek() == '#' {
			continue
		}
		var ts [3]term
		for i := range ts {
			var err error
			if ts[i], err = p.term(); err != nil {
				return nil, fmt.Errorf("line %d: %w: %q", n+1, err, line)
			}
			p.ws()
		}
		if !p.done() && p.peek() != '.' { // N-Quads graph label
			if _, err := p.term(); err != nil {
				return nil, fmt.Errorf("line %d: %w", n+1, err)
			}
			p.ws()
		}
		if p.done() || p.peek() != '.' {
			return nil, fmt.Errorf("line %d: missing '.': %q", n+1, line)
		}
		g = append(g, triple{ts[0], ts[1], normLiteral(ts[2])})
	}
	return g, nil
}

type ntParser struct {
	s string
	i int
}

func (p *ntParser) done() bool { return p.i >= len(p.s) }
func (p *ntParser) peek() byte { return p.s[p.i] }
func (p *ntParser) ws() {
	for !p.done() && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *ntParser) term() (term, error) {
	if p.done() {
		return term{}, errors.New("unexpected end")
	}
	switch p.peek() {
	case '<':
		v, err := p.iriRef()
		return iri(v), err
	case '_':
		if !strings.HasPrefix(p.s[p.i:], "_:") {
			return term{}, errors.New("bad blank node")
		}
		j := p.i + 2
		for j < len(p.s) && !strings.ContainsRune(" \t.", rune(p.s[j])) {
			j++
		}
		// a label may contain '.', but not at its end
		if j < len(p.s) && p.s[j] == '.' && j+1 < len(p.s) && p.s[j+1] != ' ' && p.s[j+1] != '\t' {
			for j < len(p.s) && p.s[j] != ' ' && p.s[j] != '\t' {
				j++
			}
		}
		t := term{kind: 'B', value: p.s[p.i+2 : j]}
		p.i = j
		return t, nil
	case '"':
		v, err := p.quoted()
		if err != nil {
			return term{}, err
		}
		t := term{kind: 'L', value: v}
		if strings.HasPrefix(p.s[p.i:], "^^") {
			p.i += 2
			if t.dt, err = p.iriRef(); err != nil {
				return term{}, err
			}
		} else if !p.done() && p.peek() == '@' {
			j := p.i + 1
			for j < len(p.s) && (isAlnum(p.s[j]) || p.s[j] == '-') {
				j++
			}
			t.lang = p.s[p.i+1 : j]
			p.i = j
		}
		return t, nil
	}
	return term{}, fmt.Errorf("unexpected %q", p.peek())
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func (p *ntParser) iriRef() (string, error) {
	j := strings.IndexByte(p.s[p.i:], '>')
	if j < 0 {
		return "", errors.New("unterminated IRI")
	}
	v, err := unescape(p.s[p.i+1 : p.i+j])
	p.i += j + 1
	return v, err
}

func (p *ntParser) quoted() (string, error) {
	j := p.i + 1
	for j < len(p.s) && p.s[j] != '"' {
		if p.s[j] == '\\' {
			j++
		}
		j++
	}
	if j >= len(p.s) {
		return "", errors.New("unterminated literal")
	}
	v, err := unescape(p.s[p.i+1 : j])
	p.i = j + 1
	return v, err
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i >= len(s) {
			return "", errors.New("dangling escape")
		}
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'b':
			b.WriteByte('\b')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case '"', '\'', '\\':
			b.WriteByte(s[i])
		case 'u', 'U':
			n := 4
			if s[i] == 'U' {
				n = 8
			}
			if i+1+n > len(s) {
				return "", errors.New("short \\u escape")
			}
			r, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
			if err != nil {
				return "", err
			}
			b.WriteRune(rune(r))
			i += n
		default:
			return "", fmt.Errorf("bad escape \\%c", s[i])
		}
	}
	return b.String(), nil
}

// parseTurtle parses Turtle with an independent parser (gon3).
func parseTurtle(src []byte, base string) (g graph, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("turtle parser panic: %v", r)
		}
	}()
	pg, err := gon3.NewParser(base).Parse(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	for tr := range pg.IterTriples() {
		g = append(g, triple{fromGon3(tr.Subject), fromGon3(tr.Predicate), normLiteral(fromGon3(tr.Object))})
	}
	return g, nil
}

func fromGon3(x gon3.Term) term {
	switch v := x.(type) {
	case *gon3.IRI:
		return iri(v.RawValue())
	case *gon3.BlankNode:
		return term{kind: 'B', value: v.Label}
	case *gon3.Literal:
		t := term{kind: 'L', value: v.LexicalForm, lang: v.LanguageTag}
		if v.DatatypeIRI != nil {
			t.dt = v.DatatypeIRI.RawValue()
		}
		return t
	}
	return term{}
}

// offlineLoader refuses every remote document: the suite never fetches.
type offlineLoader struct{}

func (offlineLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	return nil, fmt.Errorf("conformance: refusing to load remote JSON-LD document %s", u)
}

// parseJSONLD converts JSON-LD to a graph with json-gold, offline.
func parseJSONLD(src []byte, base string) (graph, error) {
	doc, err := ld.DocumentFromReader(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	opts := ld.NewJsonLdOptions(base)
	opts.DocumentLoader = offlineLoader{}
	opts.Format = "application/n-quads"
	out, err := ld.NewJsonLdProcessor().ToRDF(doc, opts)
	if err != nil {
		return nil, err
	}
	s, ok := out.(string)
	if !ok {
		return nil, fmt.Errorf("json-ld: unexpected output %T", out)
	}
	return parseNTriples([]byte(s))
}

// fetchGraph GETs p as N-Triples and parses it; the status must be 200.
func (s *server) fetchGraph(t testing.TB, p string) (graph, *reply) {
	t.Helper()
	r := s.do(t, http.MethodGet, p, nil, "Accept", ctNTriples)
	mustStatus(t, r, http.StatusOK)
	if mt := mediaType(r); mt != ctNTriples {
		t.Fatalf("asked for %s, got Content-Type %q: %s", ctNTriples, mt, r)
	}
	g, err := parseNTriples(r.body)
	if err != nil {
		t.Fatalf("parsing N-Triples of %s: %v\n%s", p, err, r.body)
	}
	return g, r
}

// parseAs parses a response body by its media type.
func parseAs(r *reply) (graph, error) {
	switch mediaType(r) {
	case ctNTriples:
		return parseNTriples(r.body)
	case ctTurtle:
		return parseTurtle(r.body, r.url)
	case ctJSONLD:
		return parseJSONLD(r.body, r.url)
	}
	return nil, fmt.Errorf("not an RDF media type: %q", mediaType(r))
}

// children lists the ldp:contains objects of a container.
func (s *server) children(t testing.TB, container string) map[string]bool {
	t.Helper()
	g, _ := s.fetchGraph(t, container)
	out := map[string]bool{}
	for _, tr := range g.match(iri(s.url(container)), iri(ldpNS+"contains"), term{}) {
		out[tr.o.value] = true
	}
	return out
}
