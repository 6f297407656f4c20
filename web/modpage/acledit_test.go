package modpage

import (
	"slices"
	"strings"
	"testing"

	"github.com/naamio/naamio/rdf"
)

const testACL = "https://pod.example/alice/notes/.acl"
const testContainer = "https://pod.example/alice/notes/"
const testAgent = "https://pod.example/alice/settings/modules/m.json#module"

// FuzzRegrant: whatever ACL the owner had (any Turtle), regrant leaves
// every triple that is not about the module's agent as it was (nobody
// else gains or loses a grant, the owner is never locked out) and the
// agent ends with exactly the modes asked for (issue 15 item 2).
func FuzzRegrant(f *testing.F) {
	f.Add(`@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <https://pod.example/alice/profile/card#me> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .`, "Read")
	f.Add(`@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#both> acl:agent <https://pod.example/alice/profile/card#me>, <`+testAgent+`> ; acl:default <./> ; acl:mode acl:Read .
<#module-m> acl:agent <`+testAgent+`> ; acl:mode acl:Write .`, "")
	f.Add(`[] <http://www.w3.org/ns/auth/acl#agent> <`+testAgent+`> .`, "Read,Write,Append")
	f.Fuzz(func(t *testing.T, turtle, modeList string) {
		g, err := rdf.Parse(strings.NewReader(turtle), rdf.MediaTurtle, testACL, rdf.Limits{MaxTriples: 200})
		if err != nil {
			return
		}
		var modes []string
		for _, m := range strings.Split(modeList, ",") {
			if slices.Contains(modeOrder, m) && !slices.Contains(modes, m) {
				modes = append(modes, m)
			}
		}
		out := regrant(g, testACL, testContainer, testAgent, "m", modes)
		agent := rdf.NewIRI(testAgent)
		ours := map[rdf.Term]bool{}
		for _, t := range out.Match(rdf.Term{}, rdf.NewIRI(aclAgent), agent) {
			ours[t.S] = true
		}
		// Every authorization naming the agent is the one regrant wrote.
		if len(modes) == 0 && len(ours) != 0 || len(modes) > 0 && len(ours) != 1 {
			t.Fatalf("agent named by %d authorizations for modes %v", len(ours), modes)
		}
		for s := range ours {
			var got []string
			for _, m := range out.Match(s, rdf.NewIRI(aclMode), rdf.Term{}) {
				got = append(got, strings.TrimPrefix(m.O.Value, aclNS))
			}
			if !slices.Equal(sortModes(got), sortModes(modes)) || len(out.Match(s, rdf.NewIRI(aclAgent), rdf.Term{})) != 1 {
				t.Fatalf("the agent's authorization grants %v to %d agents, want %v to it alone", got, len(out.Match(s, rdf.NewIRI(aclAgent), rdf.Term{})), modes)
			}
		}
		// Nothing else changed: each input triple not naming the agent is
		// kept unless its authorization named only the agent; nothing is
		// added outside the agent's own authorization.
		for _, tr := range g.Triples() {
			if tr.P.Value == aclAgent && tr.O == agent {
				continue
			}
			if !out.Has(tr) && !onlyAgent(g, tr.S, agent) {
				t.Fatalf("lost %v", tr)
			}
		}
		for _, tr := range out.Triples() {
			if !g.Has(tr) && !ours[tr.S] {
				t.Fatalf("added %v", tr)
			}
		}
	})
}

// onlyAgent: s names nobody but agent (regrant drops it whole).
func onlyAgent(g *rdf.Graph, s, agent rdf.Term) bool {
	for _, p := range whoPredicates {
		for _, t := range g.Match(s, rdf.NewIRI(p), rdf.Term{}) {
			if p != aclAgent || t.O != agent {
				return false
			}
		}
	}
	return true
}
