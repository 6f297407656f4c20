package modpage

import (
	"strconv"

	"github.com/naamio/naamio/rdf"
)

// The WAC vocabulary the grants are written in.
const (
	aclNS         = "http://www.w3.org/ns/auth/acl#"
	aclAuth       = aclNS + "Authorization"
	aclAgent      = aclNS + "agent"
	aclAgentClass = aclNS + "agentClass"
	aclAgentGroup = aclNS + "agentGroup"
	aclOrigin     = aclNS + "origin"
	aclAccessTo   = aclNS + "accessTo"
	aclDefault    = aclNS + "default"
	aclMode       = aclNS + "mode"
)

// whoPredicates name whom an authorization is for: one with none of them
// left grants nothing and is dropped whole.
var whoPredicates = []string{aclAgent, aclAgentClass, aclAgentGroup, aclOrigin}

// inherit builds the ACL a container gets when it has none of its own:
// the authorizations its ancestor's ACL (of the container from) passes
// down with acl:default, now for container itself and below, so nobody
// gains or loses access by the new document (WAC §"ACL Inheritance
// Algorithm"). Each gets a subject of its own in the new document.
func inherit(from *rdf.Graph, fromContainer, aclIRI, container string) *rdf.Graph {
	g := rdf.NewGraph()
	n := 0
	for _, t := range from.Match(rdf.Term{}, rdf.NewIRI(aclDefault), rdf.NewIRI(fromContainer)) {
		n++
		subj := rdf.NewIRI(aclIRI + "#inherited-" + strconv.Itoa(n))
		for _, u := range from.Match(t.S, rdf.Term{}, rdf.Term{}) {
			if u.P.Value == aclAccessTo || u.P.Value == aclDefault {
				continue
			}
			g.Add(rdf.Triple{S: subj, P: u.P, O: u.O})
		}
		g.Add(rdf.Triple{S: subj, P: rdf.NewIRI(aclAccessTo), O: rdf.NewIRI(container)})
		g.Add(rdf.Triple{S: subj, P: rdf.NewIRI(aclDefault), O: rdf.NewIRI(container)})
	}
	return g
}

// regrant returns a copy of the ACL g (of container, at aclIRI) in which
// the agent holds exactly modes on the container and below: every
// authorization naming the agent loses it (and is dropped when it then
// names nobody), and, unless modes is empty, one authorization
// <aclIRI#module-name> grants modes to the agent alone. Nothing about
// anyone else changes, so an edit can never lock the owner out.
func regrant(g *rdf.Graph, aclIRI, container, agent, name string, modes []string) *rdf.Graph {
	out := rdf.NewGraph()
	for _, t := range g.Triples() {
		out.Add(t)
	}
	ag := rdf.NewIRI(agent)
	for _, t := range out.Match(rdf.Term{}, rdf.NewIRI(aclAgent), ag) {
		out.Remove(t)
		if namesNobody(out, t.S) {
			for _, u := range out.Match(t.S, rdf.Term{}, rdf.Term{}) {
				out.Remove(u)
			}
		}
	}
	if len(modes) == 0 {
		return out
	}
	subj := aclIRI + "#module-" + name
	for i := 2; len(out.Match(rdf.NewIRI(subj), rdf.Term{}, rdf.Term{})) > 0; i++ {
		subj = aclIRI + "#module-" + name + "-" + strconv.Itoa(i)
	}
	s := rdf.NewIRI(subj)
	out.Add(rdf.Triple{S: s, P: rdf.NewIRI(rdf.RDFType), O: rdf.NewIRI(aclAuth)})
	out.Add(rdf.Triple{S: s, P: rdf.NewIRI(aclAgent), O: ag})
	out.Add(rdf.Triple{S: s, P: rdf.NewIRI(aclAccessTo), O: rdf.NewIRI(container)})
	out.Add(rdf.Triple{S: s, P: rdf.NewIRI(aclDefault), O: rdf.NewIRI(container)})
	for _, md := range sortModes(modes) {
		out.Add(rdf.Triple{S: s, P: rdf.NewIRI(aclMode), O: rdf.NewIRI(aclNS + md)})
	}
	return out
}

func namesNobody(g *rdf.Graph, s rdf.Term) bool {
	for _, p := range whoPredicates {
		if len(g.Match(s, rdf.NewIRI(p), rdf.Term{})) > 0 {
			return false
		}
	}
	return true
}
