package rdf

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files")

const (
	ldpNS   = "http://www.w3.org/ns/ldp#"
	dcNS    = "http://purl.org/dc/terms/"
	posixNS = "http://www.w3.org/ns/posix/stat#"
)

// goldenGraphs are the graphs whose serializations are pinned in testdata/golden.
func goldenGraphs() map[string][]Triple {
	c := NewIRI("https://pod.example/alice/notes/")
	child := func(s string) Term { return NewIRI("https://pod.example/alice/notes/" + s) }
	me := NewIRI("https://pod.example/alice/profile/card#me")
	addr := NewBlank("addr")
	return map[string][]Triple{
		"empty": nil,
		"container": {
			{c, NewIRI(RDFType), NewIRI(ldpNS + "BasicContainer")},
			{c, NewIRI(RDFType), NewIRI(ldpNS + "Container")},
			{c, NewIRI(ldpNS + "contains"), child("b%20c.ttl")},
			{c, NewIRI(ldpNS + "contains"), child("a/")},
			{c, NewIRI(dcNS + "modified"), NewLiteral("2025-01-02T03:04:05Z", XSDDateTime)},
			{child("a/"), NewIRI(RDFType), NewIRI(ldpNS + "Container")},
			{child("b%20c.ttl"), NewIRI(posixNS + "size"), NewLiteral("1234", XSDInteger)},
			{child("b%20c.ttl"), NewIRI(posixNS + "mtime"), NewLiteral("1735787045", XSDInteger)},
		},
		"profile": {
			{me, NewIRI(RDFType), NewIRI("http://xmlns.com/foaf/0.1/Person")},
			{me, NewIRI("http://xmlns.com/foaf/0.1/name"), NewLangLiteral("Alice \"Al\" Ö", "en")},
			{me, NewIRI("http://xmlns.com/foaf/0.1/nick"), NewLiteral("line1\nline2\ttab\\ \x01", "")},
			{me, NewIRI("http://www.w3.org/2006/vcard/ns#hasAddress"), addr},
			{addr, NewIRI("http://www.w3.org/2006/vcard/ns#locality"), NewLiteral("Oulu", "")},
			{addr, NewIRI("http://www.w3.org/2006/vcard/ns#note"), NewBlank("z")},
			{me, NewIRI("http://example.org/vocab/with/slash"), NewLiteral("1.5", XSDDecimal)},
			{me, NewIRI("http://schema.org/x.y"), NewLiteral("x", XSDInteger)},
			{me, NewIRI("http://schema.org/bad(local)"), NewLiteral("1e3", XSDDouble)},
			{me, NewIRI("http://schema.org/ok"), NewLiteral("true", XSDBoolean)},
			{me, NewIRI("http://schema.org/ok"), NewLiteral("TRUE", XSDBoolean)},
			{me, NewIRI("http://schema.org/ok"), NewLiteral(".5", XSDDecimal)},
			{me, NewIRI("http://www.w3.org/ns/solid/terms#oidcIssuer"), NewIRI("https://idp.example/")},
		},
	}
}

func graphOf(ts []Triple) *Graph {
	g := NewGraph()
	for _, t := range ts {
		g.Add(t)
	}
	return g
}

var formats = []struct{ media, ext string }{
	{MediaTurtle, "ttl"}, {MediaNTriples, "nt"}, {MediaJSONLD, "jsonld"},
}

func TestWriteGolden(t *testing.T) {
	for name, ts := range goldenGraphs() {
		for _, f := range formats {
			t.Run(name+"."+f.ext, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Write(&buf, graphOf(ts), f.media); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", "golden", name+"."+f.ext)
				if *update {
					if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -run TestWriteGolden -update)", err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Fatalf("output differs from %s:\n%s", path, buf.String())
				}
			})
		}
	}
}

// TestWriteDeterministic writes each graph built in several insertion
// orders; the bytes must not change.
func TestWriteDeterministic(t *testing.T) {
	for name, ts := range goldenGraphs() {
		for _, f := range formats {
			t.Run(name+"."+f.ext, func(t *testing.T) {
				want := writeString(t, graphOf(ts), f.media)
				for seed := uint64(1); seed <= 5; seed++ {
					shuffled := slices.Clone(ts)
					rand.New(rand.NewPCG(seed, 0)).Shuffle(len(shuffled), func(i, j int) {
						shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
					})
					if got := writeString(t, graphOf(shuffled), f.media); got != want {
						t.Fatalf("seed %d differs:\n%s\nwant:\n%s", seed, got, want)
					}
				}
			})
		}
	}
}

// TestWriteRoundTrip parses what Write produced and compares graphs.
func TestWriteRoundTrip(t *testing.T) {
	for name, ts := range goldenGraphs() {
		for _, f := range formats {
			t.Run(name+"."+f.ext, func(t *testing.T) {
				g := graphOf(ts)
				out := writeString(t, g, f.media)
				back, err := Parse(strings.NewReader(out), f.media, "http://unused.example/", Limits{})
				if err != nil {
					t.Fatalf("re-parse: %v\n%s", err, out)
				}
				if iso, err := Isomorphic(g, back); err != nil || !iso {
					t.Fatalf("not isomorphic (%v):\n%s\nback:\n%v", err, out, back.Triples())
				}
			})
		}
	}
}

func writeString(t testing.TB, g *Graph, media string) string {
	t.Helper()
	var b strings.Builder
	if err := Write(&b, g, media); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestWriteUnsupported(t *testing.T) {
	if err := Write(&bytes.Buffer{}, NewGraph(), "text/html"); err == nil {
		t.Fatal("want error")
	}
}

func TestShorthand(t *testing.T) {
	tests := []struct {
		term Term
		want bool
	}{
		{NewLiteral("12", XSDInteger), true},
		{NewLiteral("-0", XSDInteger), true},
		{NewLiteral("1.0", XSDInteger), false},
		{NewLiteral("", XSDInteger), false},
		{NewLiteral("+", XSDInteger), false},
		{NewLiteral("1.5", XSDDecimal), true},
		{NewLiteral(".5", XSDDecimal), true},
		{NewLiteral("5.", XSDDecimal), false},
		{NewLiteral("5", XSDDecimal), false},
		{NewLiteral("1e3", XSDDouble), true},
		{NewLiteral("1.E-3", XSDDouble), true},
		{NewLiteral(".1e3", XSDDouble), true},
		{NewLiteral("INF", XSDDouble), false},
		{NewLiteral("1.5", XSDDouble), false},
		{NewLiteral("e3", XSDDouble), false},
		{NewLiteral("true", XSDBoolean), true},
		{NewLiteral("1", XSDBoolean), false},
		{NewLiteral("1", ""), false},
	}
	for _, tc := range tests {
		t.Run(tc.term.String(), func(t *testing.T) {
			if got := shorthand(tc.term); got != tc.want {
				t.Fatalf("shorthand = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPlainPNLocal(t *testing.T) {
	tests := map[string]bool{
		"": true, "a": true, "a.b": true, "a.": false, "1a": true, "_x": true, "-x": false,
		"a-b": true, "a:b": true, "%41b": true, "%4": false, "a%zz": false, "a(b)": false, "é": true, "a~": false,
	}
	for s, want := range tests {
		t.Run(s, func(t *testing.T) {
			if got := isPlainPNLocal(s); got != want {
				t.Fatalf("isPlainPNLocal(%q) = %v, want %v", s, got, want)
			}
		})
	}
}
