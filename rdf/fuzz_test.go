package rdf

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzLimits keep each fuzz input cheap.
var fuzzLimits = Limits{MaxDepth: 16, MaxTriples: 2000, MaxTermBytes: 4 << 10}

// addSuiteSeeds adds a few files of a W3C suite (when present) to the corpus.
func addSuiteSeeds(f *testing.F, suite string, names ...string) {
	dir := os.Getenv("NAAMIO_W3C_TESTSUITES")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "testsuites")
	}
	for _, n := range names {
		if b, err := os.ReadFile(filepath.Join(dir, suite, n)); err == nil {
			f.Add(string(b))
		}
	}
}

// checkRoundTrip parses doc; when that works, the Turtle and N-Triples
// written from the graph must parse back to an isomorphic graph, and the
// JSON-LD must parse. (json-gold silently drops IRIs it deems malformed, e.g.
// "http://!", so JSON-LD is checked for isomorphism only when no IRI is in doubt.)
func checkRoundTrip(t *testing.T, media, doc string) {
	g, err := Parse(strings.NewReader(doc), media, "http://fuzz.example/doc", fuzzLimits)
	if err != nil {
		return
	}
	if g.Len() > 200 {
		return // keep canonicalization cheap
	}
	for _, f := range formats {
		var buf bytes.Buffer
		if err := Write(&buf, g, f.media); err != nil {
			t.Fatalf("Write %s: %v", f.media, err)
		}
		back, err := Parse(bytes.NewReader(buf.Bytes()), f.media, "http://other.example/", Limits{})
		if err != nil {
			t.Fatalf("re-parse %s: %v\n%s", f.media, err, buf.String())
		}
		if f.media == MediaJSONLD && back.Len() != g.Len() {
			continue // dropped by json-gold: see above
		}
		if iso, err := Isomorphic(g, back); err != nil || !iso {
			t.Fatalf("%s round trip not isomorphic (%v):\n%s", f.media, err, buf.String())
		}
	}
}

func FuzzParseTurtle(f *testing.F) {
	f.Add("@prefix : <http://x/> . :s :p 1, 2.5, 3e0, true, \"a\"@en, [ :q ( 1 _:b ) ] .")
	f.Add("BASE <http://x/a/> PREFIX p: <../> <b> p:c\\.d 'e'^^p:f .")
	addSuiteSeeds(f, "w3c-rdf-turtle", "turtle-subm-10.ttl", "turtle-eval-lists-04.ttl",
		"LITERAL_LONG2_with_REVERSE_SOLIDUS.ttl", "localName_with_non_leading_extras.ttl", "turtle-syntax-bad-struct-02.ttl")
	f.Fuzz(func(t *testing.T, doc string) { checkRoundTrip(t, MediaTurtle, doc) })
}

func FuzzParseNTriples(f *testing.F) {
	f.Add("<http://x/s> <http://x/p> \"o\\u00e9\"@en-GB .\n_:a <http://x/p> _:b . # c\n")
	addSuiteSeeds(f, "w3c-rdf-n-triples", "literal_all_controls.nt", "literal_all_punctuation.nt",
		"nt-syntax-str-esc-01.nt", "nt-syntax-bad-uri-01.nt")
	f.Fuzz(func(t *testing.T, doc string) { checkRoundTrip(t, MediaNTriples, doc) })
}

func FuzzParseJSONLD(f *testing.F) {
	f.Add(`{"@context": {"ex": "http://x/"}, "@id": "ex:s", "ex:p": [{"@value": "1", "@type": "ex:t"}, {"@id": "_:b"}]}`)
	f.Add(`[{"@id": "http://x/s", "@type": "http://x/T", "http://x/p": {"@list": [1, 2.5, true]}}]`)
	f.Add(`{"@context": "http://x/ctx", "@id": "a%20b"}`)
	f.Fuzz(func(t *testing.T, doc string) { checkRoundTrip(t, MediaJSONLD, doc) })
}
