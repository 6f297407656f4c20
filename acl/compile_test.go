package acl

import (
	"errors"
	"strings"
	"testing"

	"github.com/naamio/naamio/rdf"
)

// SECURITY row 23: an ACL that does not parse, or that says something we
// cannot honour, is an error; the caller denies.
func TestCompileFailsClosed(t *testing.T) {
	const ok = `<#a> a acl:Authorization; acl:accessTo <x>; acl:agentClass foaf:Agent; acl:mode acl:Read`
	tests := []struct {
		name string
		ttl  string
		want error
	}{
		{"unparseable", `<#a> a acl:Authorization; acl:accessTo <x`, ErrInvalid},
		{"unknown prefix", `<#a> a nope:Authorization .`, ErrInvalid},
		{"acl:condition", ok + `; acl:condition [ a acl:ClientCondition ] .`, ErrUnsupported},
		{"acl:condition on another node", ok + ". <#c> acl:condition <#a> .", ErrUnsupported},
		{"unknown acl predicate anywhere", ok + ". <#x> acl:accessToClass <#y> .", ErrUnsupported},
		{"acl:defaultForNew", `<#a> a acl:Authorization; acl:defaultForNew <x>; acl:agentClass foaf:Agent; acl:mode acl:Read .`, ErrUnsupported},
		{"acl:originClass", ok + `; acl:originClass <#o> .`, ErrUnsupported},
		{"unknown predicate on authorization", ok + `; <https://ex.example/until> "2030" .`, ErrUnsupported},
		{"unknown mode", `<#a> a acl:Authorization; acl:accessTo <x>; acl:agentClass foaf:Agent; acl:mode acl:Delete .`, ErrUnsupported},
		{"foreign mode", `<#a> a acl:Authorization; acl:accessTo <x>; acl:agentClass foaf:Agent; acl:mode <https://ex.example/Read> .`, ErrUnsupported},
		{"literal mode", `<#a> a acl:Authorization; acl:accessTo <x>; acl:agentClass foaf:Agent; acl:mode "Read" .`, ErrUnsupported},
		{"unknown agentClass", `<#a> a acl:Authorization; acl:accessTo <x>; acl:agentClass <#friends>; acl:mode acl:Read .`, ErrUnsupported},
		{"literal agent", `<#a> a acl:Authorization; acl:accessTo <x>; acl:agent "alice"; acl:mode acl:Read .`, ErrUnsupported},
		{"literal accessTo", `<#a> a acl:Authorization; acl:accessTo "x"; acl:agentClass foaf:Agent; acl:mode acl:Read .`, ErrUnsupported},
		{"blank agentGroup", `<#a> a acl:Authorization; acl:accessTo <x>; acl:agentGroup []; acl:mode acl:Read .`, ErrUnsupported},
		{"origin with path", ok + `; acl:origin <https://app.example/path> .`, ErrUnsupported},
		{"origin literal", ok + `; acl:origin "https://app.example" .`, ErrUnsupported},
		{"origin null", ok + `; acl:origin <null> .`, ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse([]byte(prefix+tt.ttl), aclIRI)
			if !errors.Is(err, tt.want) || a != nil {
				t.Fatalf("Parse = %v, %v; want error %v", a, err, tt.want)
			}
		})
	}
}

func TestCompileAccepts(t *testing.T) {
	a := mustParse(t, `
		<#a> a acl:Authorization, <https://ex.example/Other>;
			rdfs:label "owner"; rdfs:comment "full access";
			acl:accessTo <x>, <y>; acl:default <c/>;
			acl:agent <`+alice+`>; acl:mode acl:Read, acl:Write, acl:Control .
		# Not an Authorization: ignored, whatever it says.
		<#b> acl:accessTo <x>; acl:agentClass foaf:Agent; acl:mode acl:Read .
		# Inapplicable (WAC §"Authorization Conformance"): no mode, no subject, no object.
		<#nomode> a acl:Authorization; acl:accessTo <x>; acl:agentClass foaf:Agent .
		<#nosubject> a acl:Authorization; acl:accessTo <x>; acl:mode acl:Read .
		<#noobject> a acl:Authorization; acl:agentClass foaf:Agent; acl:mode acl:Read .
		# Unrelated data, e.g. a local group, is allowed.
		<#g> a <http://www.w3.org/2006/vcard/ns#Group>; <http://www.w3.org/2006/vcard/ns#hasMember> <`+bob+`> .
	`)
	if a.Len() != 1 || a.IRI() != aclIRI {
		t.Fatalf("Len = %d, IRI = %s", a.Len(), a.IRI())
	}
	ctx := t.Context()
	for _, r := range []string{base + "x", base + "y"} {
		if got := a.Modes(ctx, r, false, user(alice), nil); got != Read|Write|Append|Control {
			t.Errorf("%s: %v", r, got)
		}
		if got := a.Modes(ctx, r, false, Agent{}, nil); got != 0 {
			t.Errorf("public on %s: %v (ignored or inapplicable authorizations granted)", r, got)
		}
	}
	if got := a.Modes(ctx, base+"c/", true, user(alice), nil); got != All {
		t.Errorf("default: %v", got)
	}
}

func TestCompileNilGraph(t *testing.T) {
	if _, err := Compile(nil, aclIRI); !errors.Is(err, ErrInvalid) {
		t.Fatal(err)
	}
	a, err := Compile(rdf.NewGraph(), aclIRI)
	if err != nil || a.Len() != 0 {
		t.Fatal(a, err)
	}
	if a.Modes(t.Context(), base, false, user(alice), nil) != 0 {
		t.Fatal("empty ACL granted")
	}
	var nilACL *ACL
	if nilACL.Modes(t.Context(), base, false, user(alice), nil) != 0 {
		t.Fatal("nil ACL granted")
	}
	if u, p := nilACL.Allow(t.Context(), base, false, user(alice), nil); u|p != 0 {
		t.Fatal("nil ACL granted")
	}
}

func TestErrorNamesTheACL(t *testing.T) {
	_, err := Parse([]byte(prefix+`<#a> a acl:Authorization; acl:condition <#c> .`), aclIRI)
	if err == nil || !strings.Contains(err.Error(), aclIRI) {
		t.Fatal(err)
	}
}
