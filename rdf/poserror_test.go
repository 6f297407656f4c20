package rdf

import (
	"errors"
	"strings"
	"testing"
)

// TestPosErrorLine: a syntax error carries the line and column of the
// body it concerns, found with errors.As through any wrapping, and still
// is ErrSyntax (issue 15 item 1: errors shown on their line).
func TestPosErrorLine(t *testing.T) {
	for _, tc := range []struct {
		name, media, doc string
		line, col        int
	}{
		{"turtle", MediaTurtle, "<#a> <#p> <#o> .\n\n<#b> <#p> .\n", 3, 11},
		{"turtle first line", MediaTurtle, "garbage", 1, 1},
		{"n-triples", MediaNTriples, "<http://a> <http://b> <http://c> .\n<http://a> <http://b> .\n", 2, 23},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.doc), tc.media, "http://ex.org/doc", Limits{})
			var pe *PosError
			if !errors.As(err, &pe) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v: not a positioned syntax error", err)
			}
			if pe.Line != tc.line || (tc.col != 0 && pe.Column != tc.col) {
				t.Errorf("line %d col %d, want %d:%d (%v)", pe.Line, pe.Column, tc.line, tc.col, err)
			}
		})
	}
}

func TestPrefixed(t *testing.T) {
	for iri, want := range map[string]string{
		"http://xmlns.com/foaf/0.1/name":     "foaf:name",
		RDFType:                              "rdf:type",
		"http://www.w3.org/ns/ldp#":          "ldp:",
		"http://example.org/x":               "",
		"http://xmlns.com/foaf/0.1/a b":      "",
		"http://xmlns.com/foaf/0.1/<script>": "",
		"":                                   "",
	} {
		got, ok := Prefixed(iri)
		if got != want || ok != (want != "") {
			t.Errorf("Prefixed(%q) = %q, %v; want %q", iri, got, ok, want)
		}
	}
}
