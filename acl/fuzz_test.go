package acl

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/naamio/naamio/rdf"
)

// FuzzCompile feeds arbitrary Turtle to Parse. It must never panic, and when
// it accepts a document, no decision may grant more than a naive reference
// evaluation straight over the graph, nor any mode that no applicable
// authorization names (SECURITY row 23: a malformed ACL never grants more).
func FuzzCompile(f *testing.F) {
	f.Add([]byte(prefix + fixture))
	f.Add([]byte(prefix + `<#a> a acl:Authorization; acl:accessTo <./>; acl:agentClass foaf:Agent; acl:mode acl:Read .`))
	f.Add([]byte(prefix + `<#a> a acl:Authorization; acl:default <./>; acl:agent <` + alice + `>; acl:mode acl:Write; acl:origin <https://app.example/> .`))
	f.Add([]byte(prefix + `[] a acl:Authorization; acl:accessTo <./>, <x>; acl:agentGroup <groups#friends>; acl:mode acl:Append, acl:Control .`))
	f.Add([]byte(prefix + `<#a> a acl:Authorization; acl:accessTo <./>; acl:agentClass foaf:Agent; acl:mode acl:Read; acl:condition [] .`))
	f.Add([]byte(prefix + `<#a> a acl:Authorization; acl:accessTo <./>; acl:origin <https://trusted.example>; acl:mode acl:Append .`))
	f.Add([]byte(`<#a> a <http://www.w3.org/ns/auth/acl#Authorization> ; <http://www.w3.org/ns/auth/acl#mode> <http://www.w3.org/ns/auth/acl#Read> .`))

	agents := []Agent{
		{}, {Origin: "https://app.example"}, {Origin: "https://trusted.example"}, {Origin: "null"},
		user(alice), user(bob), user(carol), {WebID: alice},
		{WebID: bob, Authenticated: true, Origin: "https://app.example"},
		{WebID: carol, Authenticated: true, Origin: "https://evil.example"},
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		a, err := Parse(src, aclIRI)
		if err != nil {
			if a != nil {
				t.Fatal("ACL returned with an error")
			}
			return
		}
		g, err := rdf.Parse(bytes.NewReader(src), rdf.MediaTurtle, aclIRI, rdf.Limits{})
		if err != nil {
			t.Fatalf("Parse accepted what rdf.Parse rejects: %v", err)
		}
		targets := []string{base, base + "x", base + "c/"}
		for _, tr := range g.Triples() {
			if tr.O.Kind == rdf.IRI && len(targets) < 16 {
				targets = append(targets, tr.O.Value)
			}
		}
		named := namedModes(g)
		ctx := context.Background()
		for _, target := range targets {
			for _, inh := range []bool{false, true} {
				for _, ag := range agents {
					got := a.Modes(ctx, target, inh, ag, fixtureGroups)
					ref := refModes(g, target, inh, ag, fixtureGroups)
					if got&^ref != 0 {
						t.Fatalf("%s inherited=%v %+v: got %q, reference %q", target, inh, ag, got, ref)
					}
					if got&^named != 0 {
						t.Fatalf("granted %q; the document names only %q", got, named)
					}
					if u, p := a.Allow(ctx, target, inh, ag, fixtureGroups); u != got || p&^u != 0 {
						t.Fatalf("Allow = %q, %q; Modes = %q", u, p, got)
					}
				}
			}
		}
	})
}

// namedModes is every mode any acl:mode triple names, with Write ⇒ Append.
func namedModes(g *rdf.Graph) Mode {
	var m Mode
	for _, t := range g.Match(rdf.Term{}, rdf.NewIRI(iriMode), rdf.Term{}) {
		m |= modeIRIs[t.O.Value]
	}
	return m.withImplied()
}

// refModes is a deliberately naive WAC evaluation over the graph, written
// without the compiled index, as the fuzz oracle.
func refModes(g *rdf.Graph, target string, inherited bool, ag Agent, gc GroupChecker) Mode {
	object := iriAccessTo
	if inherited {
		object = iriDefault
	}
	iri := rdf.NewIRI
	has := func(s rdf.Term, p, o string) bool { return g.Has(rdf.Triple{S: s, P: iri(p), O: iri(o)}) }
	objects := func(s rdf.Term, p string) []rdf.Term { return tripleObjects(g.Match(s, iri(p), rdf.Term{})) }
	authed := ag.Authenticated && ag.WebID != ""
	reqOrigin, reqOriginOK := normalizeOrigin(ag.Origin, false)

	var m Mode
	for _, t := range g.Match(rdf.Term{}, iri(rdf.RDFType), iri(iriAuthz)) {
		s := t.S
		if !has(s, object, target) {
			continue
		}
		agentOK := has(s, iriAgentClass, iriFoafAgent) ||
			(authed && (has(s, iriAgentClass, iriAuthenticatedAgent) || has(s, iriAgent, ag.WebID)))
		hasAgentSubject := len(objects(s, iriAgent))+len(objects(s, iriAgentClass))+len(objects(s, iriAgentGroup)) > 0
		for _, grp := range objects(s, iriAgentGroup) {
			if ok, err := gc.Member(context.Background(), grp.Value, ag.WebID); authed && ok && err == nil {
				agentOK = true
			}
		}
		var origins []string
		for _, o := range objects(s, iriOrigin) {
			n, _ := normalizeOrigin(o.Value, true)
			origins = append(origins, n)
		}
		switch {
		case len(origins) == 0:
		case ag.Origin == "" && hasAgentSubject:
		case ag.Origin == "":
			agentOK = false
		case !reqOriginOK || !slices.Contains(origins, reqOrigin):
			agentOK = false
		case !hasAgentSubject:
			agentOK = true
		}
		if !agentOK {
			continue
		}
		for _, o := range objects(s, iriMode) {
			m |= modeIRIs[o.Value]
		}
	}
	return m.withImplied()
}

func tripleObjects(ts []rdf.Triple) []rdf.Term {
	out := make([]rdf.Term, len(ts))
	for i, t := range ts {
		out[i] = t.O
	}
	return out
}
