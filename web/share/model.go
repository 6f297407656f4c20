package share

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/rdf"
)

// Terms of the ACL ontology the page reads and writes (WAC §"ACL
// Resource Representation").
const (
	nsACL        = acl.NS
	iriAuthz     = nsACL + "Authorization"
	iriAccessTo  = nsACL + "accessTo"
	iriDefault   = nsACL + "default"
	iriMode      = nsACL + "mode"
	iriAgent     = nsACL + "agent"
	iriGroup     = nsACL + "agentGroup"
	iriClass     = nsACL + "agentClass"
	iriOrigin    = nsACL + "origin"
	iriAuthAgent = nsACL + "AuthenticatedAgent"
	iriFoafAgent = "http://xmlns.com/foaf/0.1/Agent"
)

// Who is granted: one person (acl:agent), a group (acl:agentGroup),
// everyone (acl:agentClass foaf:Agent) or every logged-in agent
// (acl:agentClass acl:AuthenticatedAgent).
const (
	KindAgent         = "agent"
	KindGroup         = "group"
	KindPublic        = "public"
	KindAuthenticated = "authenticated"
)

// Modes in the order the page shows and writes them.
var modeNames = []string{"Read", "Append", "Write", "Control"}

// Entry is one row of the sharing table: who, which modes, and whether it
// applies to the resource itself (acl:accessTo) and to what a container
// holds (acl:default). It is also what the page's script edits and turns
// back into an Authorization.
type Entry struct {
	Kind    string   `json:"kind"`
	IRI     string   `json:"iri,omitempty"`
	Modes   []string `json:"modes"`
	Self    bool     `json:"self"`
	Members bool     `json:"members"`
}

// Fixed is an Authorization the page shows but does not edit: one limited
// to apps of some origins (acl:origin) or one that also covers other
// resources. It is kept as it is when the page writes the ACL.
type Fixed struct {
	Who     []string
	Modes   []string
	Origins []string
	Note    string
}

// model is the editable reading of an ACL document for one resource.
type model struct {
	Entries []Entry
	Fixed   []Fixed
	// Keep is what the page writes back unchanged (N-Triples): triples
	// about anything but an Authorization, and the Fixed Authorizations.
	Keep string
}

// errUnsupported: the ACL says something the evaluator (and so the page)
// cannot honour; it is shown, not edited.
var errUnsupported = errors.New("share: the ACL uses terms this page cannot edit")

// readModel reads the ACL graph g (of the ACL resource aclIRI) as it
// applies to target. When from is "", g is target's own ACL: its
// Authorizations with acl:accessTo target apply to target itself, those
// with acl:default target to what it holds. Otherwise g is the ACL of the
// ancestor container from, and its Authorizations with acl:default from
// apply to target and (container) everything in it (WAC §"ACL Inheritance
// Algorithm"); the model is then what target's own new ACL must say to
// change nothing (breaking inheritance on the first edit), so Keep holds
// the origin-limited Authorizations moved onto target, not the
// ancestor's other triples.
//
// A graph the evaluator refuses (acl.Compile: unknown acl: terms,
// conditions, unknown predicates on an Authorization) is refused here too
// (errUnsupported): writing back only the part the page understands would
// change what the ACL means.
func readModel(g *rdf.Graph, aclIRI, target string, container bool, from string) (*model, error) {
	if _, err := acl.Compile(g, aclIRI); err != nil {
		return nil, fmt.Errorf("%w: %w", errUnsupported, err)
	}
	auths := map[rdf.Term]*authz{}
	for _, t := range g.Match(rdf.Term{}, rdf.NewIRI(rdf.RDFType), rdf.NewIRI(iriAuthz)) {
		auths[t.S] = &authz{}
	}
	keep := rdf.NewGraph()
	for _, t := range g.Triples() {
		a, ok := auths[t.S]
		if !ok {
			if from == "" {
				keep.Add(t)
			}
			continue
		}
		a.add(t)
	}
	m := &model{}
	grants := map[whoKey]*grant{}
	for _, s := range sortedSubjects(auths) {
		a := auths[s]
		self, members, other := a.scope(target, from, container)
		if !self && !members {
			if from == "" {
				addAll(keep, a.triples) // about other resources only: not ours to change
			}
			continue
		}
		if len(a.origins) > 0 || other {
			m.Fixed = append(m.Fixed, a.fixed(other))
			if from == "" {
				addAll(keep, a.triples)
			} else {
				a.retarget(keep, s, target, container)
			}
			continue
		}
		a.keepNotes(keep)
		for _, w := range a.who() {
			gr := grants[w]
			if gr == nil {
				gr = &grant{}
				grants[w] = gr
			}
			if self {
				gr.self |= a.modes
			}
			if members {
				gr.members |= a.modes
			}
		}
	}
	m.Entries = entries(grants, container)
	var buf bytes.Buffer
	if err := rdf.Write(&buf, keep, rdf.MediaNTriples); err != nil {
		return nil, err
	}
	m.Keep = buf.String()
	return m, nil
}

// authz collects one Authorization's triples.
type authz struct {
	triples            []rdf.Triple
	accessTo, defaults []string
	agents, groups     []string
	public, authed     bool
	origins            []string
	modes              modeSet
}

func (a *authz) add(t rdf.Triple) {
	a.triples = append(a.triples, t)
	v := t.O.Value
	switch t.P.Value {
	case iriAccessTo:
		a.accessTo = append(a.accessTo, v)
	case iriDefault:
		a.defaults = append(a.defaults, v)
	case iriAgent:
		a.agents = append(a.agents, v)
	case iriGroup:
		a.groups = append(a.groups, v)
	case iriOrigin:
		a.origins = append(a.origins, v)
	case iriClass:
		a.public = a.public || v == iriFoafAgent
		a.authed = a.authed || v == iriAuthAgent
	case iriMode:
		a.modes |= modeOf(v)
	}
}

// keepNotes adds to keep what an edited Authorization says besides access
// (rdfs:label, rdfs:comment, further types): the page writes the access
// anew under another name, and keeps these notes as they were.
func (a *authz) keepNotes(keep *rdf.Graph) {
	for _, t := range a.triples {
		switch {
		case strings.HasPrefix(t.P.Value, nsACL):
		case t.P.Value == rdf.RDFType && t.O.Value == iriAuthz:
		default:
			keep.Add(t)
		}
	}
}

// scope tells whether a applies to target itself and to its members, and
// whether it also names other resources (then the page does not edit it).
func (a *authz) scope(target, from string, container bool) (self, members, other bool) {
	if from != "" {
		if slices.Contains(a.defaults, from) {
			return true, container, false
		}
		return false, false, false
	}
	self = slices.Contains(a.accessTo, target)
	members = container && slices.Contains(a.defaults, target)
	for _, r := range append(slices.Clone(a.accessTo), a.defaults...) {
		if r != target {
			other = true
		}
	}
	return self, members, other
}

func (a *authz) who() []whoKey {
	var out []whoKey
	for _, v := range a.agents {
		out = append(out, whoKey{KindAgent, v})
	}
	for _, v := range a.groups {
		out = append(out, whoKey{KindGroup, v})
	}
	if a.public {
		out = append(out, whoKey{KindPublic, ""})
	}
	if a.authed {
		out = append(out, whoKey{KindAuthenticated, ""})
	}
	return out
}

func (a *authz) fixed(other bool) Fixed {
	f := Fixed{Modes: a.modes.names(), Origins: a.origins}
	for _, w := range a.who() {
		f.Who = append(f.Who, w.label())
	}
	switch {
	case len(a.origins) > 0:
		f.Note = "only through apps from the origins listed"
	case other:
		f.Note = "this rule also covers other resources; edit it in the ACL document"
	}
	return f
}

// retarget adds to keep a copy of a (an inherited, origin-limited
// Authorization) that applies to target as the inherited one did.
func (a *authz) retarget(keep *rdf.Graph, s rdf.Term, target string, container bool) {
	n := rdf.NewBlank("inherited" + strings.TrimPrefix(s.Value, "_:"))
	for _, t := range a.triples {
		if t.P.Value == iriAccessTo || t.P.Value == iriDefault {
			continue
		}
		keep.Add(rdf.Triple{S: n, P: t.P, O: t.O})
	}
	keep.Add(rdf.Triple{S: n, P: rdf.NewIRI(iriAccessTo), O: rdf.NewIRI(target)})
	if container {
		keep.Add(rdf.Triple{S: n, P: rdf.NewIRI(iriDefault), O: rdf.NewIRI(target)})
	}
}

func addAll(g *rdf.Graph, ts []rdf.Triple) {
	for _, t := range ts {
		g.Add(t)
	}
}

func sortedSubjects(m map[rdf.Term]*authz) []rdf.Term {
	out := make([]rdf.Term, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Value < out[j].Value
	})
	return out
}

type whoKey struct{ kind, iri string }

func (w whoKey) label() string {
	switch w.kind {
	case KindPublic:
		return "Everyone (public)"
	case KindAuthenticated:
		return "Anyone logged in"
	}
	return w.iri
}

type grant struct{ self, members modeSet }

// entries turns the grants into rows: one row per agent when its modes on
// the resource and on its members are the same, else one for each.
func entries(grants map[whoKey]*grant, container bool) []Entry {
	keys := make([]whoKey, 0, len(grants))
	for k := range grants {
		keys = append(keys, k)
	}
	rank := map[string]int{KindPublic: 0, KindAuthenticated: 1, KindAgent: 2, KindGroup: 3}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].kind != keys[j].kind {
			return rank[keys[i].kind] < rank[keys[j].kind]
		}
		return keys[i].iri < keys[j].iri
	})
	var out []Entry
	for _, k := range keys {
		g := grants[k]
		if g.self == g.members || !container {
			out = append(out, Entry{Kind: k.kind, IRI: k.iri, Modes: g.self.names(), Self: true, Members: container})
			continue
		}
		if g.self != 0 {
			out = append(out, Entry{Kind: k.kind, IRI: k.iri, Modes: g.self.names(), Self: true})
		}
		if g.members != 0 {
			out = append(out, Entry{Kind: k.kind, IRI: k.iri, Modes: g.members.names(), Members: true})
		}
	}
	return out
}

// modeSet is a set of the four modes as written (Write does not imply
// Append here: the page shows what the document says).
type modeSet uint8

func modeOf(iri string) modeSet {
	for i, n := range modeNames {
		if iri == nsACL+n {
			return 1 << i
		}
	}
	return 0
}

func (m modeSet) names() []string {
	out := []string{}
	for i, n := range modeNames {
		if m&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}
