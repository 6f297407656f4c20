package rdf

import "testing"

func TestTermConstructors(t *testing.T) {
	tests := []struct {
		name string
		got  Term
		want Term
	}{
		{"iri", NewIRI("http://x/"), Term{Kind: IRI, Value: "http://x/"}},
		{"blank", NewBlank("b1"), Term{Kind: Blank, Value: "b1"}},
		{"plain literal", NewLiteral("v", ""), Term{Kind: Literal, Value: "v", Datatype: XSDString}},
		{"typed literal", NewLiteral("1", XSDInteger), Term{Kind: Literal, Value: "1", Datatype: XSDInteger}},
		{"lang literal", NewLangLiteral("v", "en-GB"), Term{Kind: Literal, Value: "v", Datatype: RDFLangStr, Lang: "en-gb"}},
		{"empty lang", NewLangLiteral("v", ""), NewLiteral("v", "")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %#v, want %#v", tc.got, tc.want)
			}
		})
	}
}

func TestTermString(t *testing.T) {
	tests := []struct {
		term Term
		want string
	}{
		{NewIRI("http://x/a b"), `<http://x/a\u0020b>`},
		{NewBlank("n1"), `_:n1`},
		{NewLiteral("a\"b\n", ""), `"a\"b\n"`},
		{NewLangLiteral("chat", "FR"), `"chat"@fr`},
		{NewLiteral("1", XSDInteger), `"1"^^<http://www.w3.org/2001/XMLSchema#integer>`},
		{Term{}, ``},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.term.String(); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestSupported(t *testing.T) {
	for _, m := range []string{MediaTurtle, MediaJSONLD, MediaNTriples} {
		if !Supported(m) {
			t.Errorf("%s not supported", m)
		}
	}
	for _, m := range []string{"", "text/html", "Text/Turtle", "text/turtle; charset=utf-8", "application/rdf+xml"} {
		if Supported(m) {
			t.Errorf("%q supported", m)
		}
	}
}
