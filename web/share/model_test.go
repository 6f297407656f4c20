package share

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/naamio/naamio/rdf"
)

const (
	folder  = "https://pod.example/alice/photos/"
	aclIRI  = folder + ".acl"
	podRoot = "https://pod.example/alice/"
	owner   = "https://pod.example/alice/profile/card#me"
	bob     = "https://bob.example/profile/card#me"
)

func parse(t *testing.T, ttl, base string) *rdf.Graph {
	t.Helper()
	g, err := rdf.Parse(strings.NewReader(ttl), rdf.MediaTurtle, base, rdf.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

const prefixes = "@prefix acl: <http://www.w3.org/ns/auth/acl#>. @prefix foaf: <http://xmlns.com/foaf/0.1/>.\n"

// Issue 15 item 1 (sharing): the page reads who may do what on a folder
// from its own ACL: one row per person when the folder and its members
// get the same modes, the public and groups as their own rows.
func TestReadModelOwnACL(t *testing.T) {
	g := parse(t, prefixes+`
<#owner> a acl:Authorization; acl:agent <`+owner+`>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.
<#bob> a acl:Authorization; acl:agent <`+bob+`>; acl:accessTo <./>; acl:mode acl:Read; <http://www.w3.org/2000/01/rdf-schema#comment> "bob's note".
<#bobInside> a acl:Authorization; acl:agent <`+bob+`>; acl:default <./>; acl:mode acl:Read, acl:Append.
<#pub> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read.
<#friends> a acl:Authorization; acl:agentGroup <https://pod.example/alice/groups#friends>; acl:default <./>; acl:accessTo <./>; acl:mode acl:Append.
<https://pod.example/alice/groups#friends> <http://www.w3.org/2000/01/rdf-schema#label> "kept".
`, aclIRI)
	m, err := readModel(g, aclIRI, folder, true, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Kind: KindPublic, Modes: []string{"Read"}, Self: true, Members: true},
		{Kind: KindAgent, IRI: bob, Modes: []string{"Read"}, Self: true},
		{Kind: KindAgent, IRI: bob, Modes: []string{"Read", "Append"}, Members: true},
		{Kind: KindAgent, IRI: owner, Modes: []string{"Read", "Write", "Control"}, Self: true, Members: true},
		{Kind: KindGroup, IRI: "https://pod.example/alice/groups#friends", Modes: []string{"Append"}, Self: true, Members: true},
	}
	if !reflect.DeepEqual(m.Entries, want) {
		t.Fatalf("entries\n%+v\nwant\n%+v", m.Entries, want)
	}
	if !strings.Contains(m.Keep, `"kept"`) || !strings.Contains(m.Keep, `"bob's note"`) || strings.Contains(m.Keep, "Authorization") {
		t.Fatalf("keep %q", m.Keep)
	}
}

// Inherited (WAC §"ACL Inheritance Algorithm"): only the ancestor's
// acl:default rules apply; they apply to the folder and all inside it.
// Origin-limited rules are shown as fixed and moved onto the folder, so
// the first edit (which writes the folder's own ACL) changes nothing.
func TestReadModelInherited(t *testing.T) {
	rootACL := podRoot + ".acl"
	g := parse(t, prefixes+`
<#owner> a acl:Authorization; acl:agent <`+owner+`>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.
<#rootOnly> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:mode acl:Read.
<#app> a acl:Authorization; acl:agent <`+bob+`>; acl:origin <https://app.example>; acl:default <./>; acl:mode acl:Read.
`, rootACL)
	m, err := readModel(g, rootACL, folder, true, podRoot)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{{Kind: KindAgent, IRI: owner, Modes: []string{"Read", "Write", "Control"}, Self: true, Members: true}}
	if !reflect.DeepEqual(m.Entries, want) {
		t.Fatalf("entries %+v", m.Entries)
	}
	if len(m.Fixed) != 1 || m.Fixed[0].Origins[0] != "https://app.example" {
		t.Fatalf("fixed %+v", m.Fixed)
	}
	kept := parse(t, m.Keep, aclIRI)
	for _, tr := range []rdf.Triple{
		{P: rdf.NewIRI(iriAccessTo), O: rdf.NewIRI(folder)},
		{P: rdf.NewIRI(iriDefault), O: rdf.NewIRI(folder)},
		{P: rdf.NewIRI(iriOrigin), O: rdf.NewIRI("https://app.example")},
	} {
		if len(kept.Match(rdf.Term{}, tr.P, tr.O)) != 1 {
			t.Errorf("kept graph lacks %v %v:\n%s", tr.P, tr.O, m.Keep)
		}
	}
	if strings.Contains(m.Keep, podRoot+">") {
		t.Errorf("kept graph still names the ancestor:\n%s", m.Keep)
	}
}

// Bad input: an ACL the evaluator cannot honour is refused, never
// rewritten without the terms the page does not know (SECURITY row 23).
func TestReadModelRefusesUnknownTerms(t *testing.T) {
	for name, ttl := range map[string]string{
		"condition":       `<#a> a acl:Authorization; acl:agent <` + bob + `>; acl:accessTo <./>; acl:mode acl:Read; acl:condition <#c>.`,
		"unknown mode":    `<#a> a acl:Authorization; acl:agent <` + bob + `>; acl:accessTo <./>; acl:mode acl:Delete.`,
		"unknown class":   `<#a> a acl:Authorization; acl:agentClass <https://x.example/Robots>; acl:accessTo <./>; acl:mode acl:Read.`,
		"foreign on auth": `<#a> a acl:Authorization; acl:agent <` + bob + `>; acl:accessTo <./>; acl:mode acl:Read; <https://x.example/until> "2027".`,
		"literal agent":   `<#a> a acl:Authorization; acl:agent "bob"; acl:accessTo <./>; acl:mode acl:Read.`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := readModel(parse(t, prefixes+ttl, aclIRI), aclIRI, folder, true, "")
			if !errors.Is(err, errUnsupported) {
				t.Fatalf("err %v, want errUnsupported", err)
			}
		})
	}
}
