package rdf

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestParseLimits(t *testing.T) {
	deep := func(open string, n int) string { return "<http://x/s> <http://x/p> " + strings.Repeat(open, n) }
	bigIRI := "<http://x/" + strings.Repeat("a", 1<<20) + ">"
	tests := []struct {
		name, media, doc string
		lim              Limits
		want             error
	}{
		{"turtle [ 100k deep", MediaTurtle, deep("[ <http://x/p> ", 100_000), Limits{}, ErrTooDeep},
		{"turtle ( 100k deep", MediaTurtle, deep("(", 100_000), Limits{}, ErrTooDeep},
		{"turtle depth at limit", MediaTurtle, deep("(", 3) + "1 ) ) ) .", Limits{MaxDepth: 3}, nil},
		{"turtle depth over limit", MediaTurtle, deep("(", 4) + "1 ) ) ) ) .", Limits{MaxDepth: 3}, ErrTooDeep},
		{"jsonld 100k deep", MediaJSONLD, strings.Repeat("[", 100_000), Limits{}, ErrTooDeep},
		{"turtle 1 MB IRI", MediaTurtle, bigIRI + " <http://x/p> <http://x/o> .", Limits{}, ErrTooLarge},
		{"ntriples 1 MB IRI", MediaNTriples, bigIRI + " <http://x/p> <http://x/o> .", Limits{}, ErrTooLarge},
		{"jsonld 1 MB IRI", MediaJSONLD, `{"@id": "http://x/` + strings.Repeat("a", 1<<20) + `", "http://x/p": "v"}`, Limits{}, ErrTooLarge},
		{"turtle 1 MB literal", MediaTurtle, `<http://x/s> <http://x/p> "` + strings.Repeat("a", 1<<20) + `" .`, Limits{}, ErrTooLarge},
		{"turtle 1 MB local name", MediaTurtle, "@prefix e: <http://x/> . e:s e:p e:" + strings.Repeat("a", 1<<20) + " .", Limits{}, ErrTooLarge},
		{"turtle triple count", MediaTurtle, "<http://x/s> <http://x/p> 1, 2, 3 .", Limits{MaxTriples: 2}, ErrTooLarge},
		{"ntriples triple count", MediaNTriples, "<http://x/s> <http://x/p> \"1\" .\n<http://x/s> <http://x/p> \"2\" .\n", Limits{MaxTriples: 1}, ErrTooLarge},
		// SECURITY row 15: json-gold's node map is quadratic in the values
		// of one property of one node; the pre-scan bounds the values.
		{"jsonld 3000 values in one array", MediaJSONLD, jsonArray(3000), Limits{}, ErrTooLarge},
		{"jsonld 1000 nodes with one @id", MediaJSONLD, jsonSameNode(1000), Limits{}, ErrTooLarge},
		{"jsonld values at limit", MediaJSONLD, `{"@id": "http://x/s", "http://x/p": ["1", "2"]}`, Limits{MaxJSONValues: 4}, nil},
		{"jsonld values over limit", MediaJSONLD, `{"@id": "http://x/s", "http://x/p": ["1", "2"]}`, Limits{MaxJSONValues: 3}, ErrTooLarge},
		{"jsonld triple count", MediaJSONLD, `{"@id": "http://x/s", "http://x/p": ["1", "2"]}`, Limits{MaxTriples: 1}, ErrTooLarge},
		{"turtle invalid UTF-8", MediaTurtle, "<http://x/s> <http://x/p> \"\xff\" .", Limits{}, ErrSyntax},
		{"ntriples invalid UTF-8", MediaNTriples, "<http://x/\xc3> <http://x/p> <http://x/o> .", Limits{}, ErrSyntax},
		{"jsonld invalid UTF-8", MediaJSONLD, "{\"@id\": \"http://x/\xff\"}", Limits{}, ErrSyntax},
		{"turtle lone surrogate", MediaTurtle, `<http://x/s> <http://x/p> "\uD800" .`, Limits{}, ErrSyntax},
		{"turtle surrogate in IRI", MediaTurtle, `<http://x/\uDC00> <http://x/p> <http://x/o> .`, Limits{}, ErrSyntax},
		{"turtle 8-digit surrogate", MediaTurtle, `<http://x/s> <http://x/p> "\U0000D800" .`, Limits{}, ErrSyntax},
		{"turtle beyond U+10FFFF", MediaTurtle, `<http://x/s> <http://x/p> "\U00110000" .`, Limits{}, ErrSyntax},
		{"ntriples lone surrogate", MediaNTriples, `<http://x/s> <http://x/p> "\uDBFF" .`, Limits{}, ErrSyntax},
		{"jsonld lone surrogate", MediaJSONLD, `{"@id": "http://x/s", "http://x/p": "\uD800"}`, Limits{}, ErrSyntax},
		{"jsonld lone low surrogate", MediaJSONLD, `{"@id": "http://x/s", "http://x/p": "\uDC00x"}`, Limits{}, ErrSyntax},
		{"jsonld surrogate pair ok", MediaJSONLD, `{"@id": "http://x/s", "http://x/p": "\uD83D\uDE00"}`, Limits{}, nil},
		{"unsupported", "text/html", "", Limits{}, ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.doc), tc.media, "http://x/doc", tc.lim)
			if tc.want == nil && err != nil || !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParseErrorPosition(t *testing.T) {
	_, err := Parse(strings.NewReader("<http://x/s>\n  <http://x/p> ?o ."), MediaTurtle, "", Limits{})
	if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "line 2 col 16") {
		t.Fatalf("err = %v, want ErrSyntax at line 2 col 16", err)
	}
}

func TestParseTurtle(t *testing.T) {
	const doc = `@prefix ldp: <http://www.w3.org/ns/ldp#> .
PREFIX dc: <http://purl.org/dc/terms/>
<> a ldp:BasicContainer ; ldp:contains <a%20b>, <./c/> ;
   dc:title "T"@EN, 'x'^^<#dt> ; <#n> 1, -2.5, 3e1, true .
[] <#p> ( 1 [ <#q> "v" ] ) .`
	g, err := Parse(strings.NewReader(doc), MediaTurtle, "http://pod.example/c/", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	base := NewIRI("http://pod.example/c/")
	want := []Triple{
		{base, NewIRI(RDFType), NewIRI("http://www.w3.org/ns/ldp#BasicContainer")},
		{base, NewIRI("http://www.w3.org/ns/ldp#contains"), NewIRI("http://pod.example/c/a%20b")},
		{base, NewIRI("http://www.w3.org/ns/ldp#contains"), NewIRI("http://pod.example/c/c/")},
		{base, NewIRI("http://purl.org/dc/terms/title"), NewLangLiteral("T", "en")},
		{base, NewIRI("http://purl.org/dc/terms/title"), NewLiteral("x", "http://pod.example/c/#dt")},
		{base, NewIRI("http://pod.example/c/#n"), NewLiteral("-2.5", XSDDecimal)},
		{base, NewIRI("http://pod.example/c/#n"), NewLiteral("3e1", XSDDouble)},
		{base, NewIRI("http://pod.example/c/#n"), NewLiteral("true", XSDBoolean)},
	}
	for _, tr := range want {
		if !g.Has(tr) {
			t.Errorf("missing %v", tr)
		}
	}
	if g.Len() != 15 {
		t.Errorf("Len = %d, want 15", g.Len())
	}
}

// jsonArray is a JSON-LD node with n integer values of one property.
func jsonArray(n int) string {
	var b strings.Builder
	b.WriteString(`{"@id": "http://x/s", "http://x/p": [0`)
	for i := 1; i < n; i++ {
		b.WriteString("," + strconv.Itoa(i))
	}
	b.WriteString("]}")
	return b.String()
}

// jsonSameNode is n node objects with the same @id, one value each, which
// json-gold's node map merges into one node.
func jsonSameNode(n int) string {
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"@id": "http://x/s", "http://x/p": ` + strconv.Itoa(i) + `}`)
	}
	b.WriteString("]")
	return b.String()
}
