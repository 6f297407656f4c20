package acl

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/naamio/naamio/rdf"
)

// Sentinel errors. Whatever Compile or Parse returns, the caller denies the
// request: it never falls back to a parent ACL or to public access
// (SECURITY row 23).
var (
	// ErrInvalid is an ACL document that does not parse.
	ErrInvalid = errors.New("acl: invalid ACL document")
	// ErrUnsupported is an ACL that says something this evaluator cannot
	// honour: an unknown predicate on an Authorization, an unknown access mode
	// or agent class, acl:condition, a malformed origin, a literal where an
	// IRI is needed.
	ErrUnsupported = errors.New("acl: unsupported ACL construct")
)

// ACL is a compiled ACL resource: its applicable Authorizations, indexed by
// the resource they give access to (acl:accessTo) and the container whose
// members inherit them (acl:default). An ACL is immutable and safe for
// concurrent use; compile it once per ACL version and cache it.
type ACL struct {
	iri      string
	auths    []authorization
	accessTo map[string][]int32 // resource IRI → indexes into auths
	defaults map[string][]int32 // container IRI → indexes into auths
}

// authorization is one applicable Authorization (WAC §"Authorization Conformance").
type authorization struct {
	modes         Mode     // with Write ⇒ Append applied
	public        bool     // acl:agentClass foaf:Agent
	authenticated bool     // acl:agentClass acl:AuthenticatedAgent
	agents        []string // acl:agent
	groups        []string // acl:agentGroup
	origins       []string // acl:origin, normalized (RFC 6454)
}

// hasAgentSubject reports whether the authorization names any agent subject
// (as opposed to only acl:origin).
func (a *authorization) hasAgentSubject() bool {
	return a.public || a.authenticated || len(a.agents) > 0 || len(a.groups) > 0
}

// IRI returns the IRI of the ACL resource this was compiled from.
func (a *ACL) IRI() string { return a.iri }

// Len returns the number of applicable Authorizations.
func (a *ACL) Len() int { return len(a.auths) }

// Parse reads a Turtle ACL document and compiles it. A document that does not
// parse wraps ErrInvalid; see Compile for the rest.
func Parse(src []byte, aclIRI string) (*ACL, error) {
	g, err := rdf.Parse(bytes.NewReader(src), rdf.MediaTurtle, aclIRI, rdf.Limits{})
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrInvalid, aclIRI, err)
	}
	return Compile(g, aclIRI)
}

// Compile turns the graph of the ACL resource aclIRI into an ACL.
//
// An Authorization is a subject with rdf:type acl:Authorization. It is
// applicable when it has at least one access object (acl:accessTo or
// acl:default), one acl:mode, and one access subject (acl:agent,
// acl:agentClass, acl:agentGroup or acl:origin) (WAC §"Authorization
// Conformance"); inapplicable Authorizations grant nothing.
//
// Compile fails closed with ErrUnsupported when an Authorization carries a
// predicate other than rdf:type, rdfs:label, rdfs:comment and the seven
// above, when any triple in the document uses an acl: predicate this package
// does not implement (acl:condition, acl:accessToClass, acl:originClass,
// acl:defaultForNew, …), when a mode or agent class is unknown, when an
// object that must be an IRI is not, or when an acl:origin is not an origin.
func Compile(g *rdf.Graph, aclIRI string) (*ACL, error) {
	if g == nil {
		return nil, fmt.Errorf("%w %s: no graph", ErrInvalid, aclIRI)
	}
	a := &ACL{iri: aclIRI, accessTo: map[string][]int32{}, defaults: map[string][]int32{}}
	subjects := map[rdf.Term]bool{}
	for _, t := range g.Match(rdf.Term{}, termType, termAuthz) {
		subjects[t.S] = true
	}
	var cur rdf.Term
	var c *compiling
	for _, t := range g.Triples() { // sorted by subject, so one subject's triples are adjacent
		if err := checkACLPredicate(t.P); err != nil {
			return nil, fmt.Errorf("%w in %s: %s", err, aclIRI, t.P)
		}
		if !subjects[t.S] {
			continue
		}
		if t.S != cur || c == nil {
			if err := a.add(c); err != nil {
				return nil, err
			}
			cur, c = t.S, &compiling{}
		}
		if err := c.triple(t); err != nil {
			return nil, fmt.Errorf("%w in %s: %s %s %s", err, aclIRI, t.S, t.P, t.O)
		}
	}
	if err := a.add(c); err != nil {
		return nil, err
	}
	return a, nil
}

// known are the acl: predicates this package implements.
var known = map[string]bool{
	iriAccessTo: true, iriDefault: true, iriMode: true, iriAgent: true,
	iriAgentClass: true, iriAgentGroup: true, iriOrigin: true,
}

// checkACLPredicate rejects any acl: predicate we do not implement, wherever it
// appears: a condition or class-based rule we ignored could only have
// narrowed or redirected access, so ignoring it is not safe.
func checkACLPredicate(p rdf.Term) error {
	if p.Kind == rdf.IRI && strings.HasPrefix(p.Value, NS) && !known[p.Value] {
		return ErrUnsupported
	}
	return nil
}

// compiling collects one Authorization's triples.
type compiling struct {
	authorization
	accessTo, defaults []string
}

func (c *compiling) triple(t rdf.Triple) error {
	switch t.P.Value {
	case rdf.RDFType, iriLabel, iriComment:
		return nil // any further types and human-readable notes change nothing
	case iriAccessTo:
		return iriInto(&c.accessTo, t.O)
	case iriDefault:
		return iriInto(&c.defaults, t.O)
	case iriAgent:
		return iriInto(&c.agents, t.O)
	case iriAgentGroup:
		return iriInto(&c.groups, t.O)
	case iriMode:
		m, ok := modeIRIs[t.O.Value]
		if t.O.Kind != rdf.IRI || !ok {
			return fmt.Errorf("%w: unknown access mode", ErrUnsupported)
		}
		c.modes |= m
		return nil
	case iriAgentClass:
		return c.agentClass(t.O)
	case iriOrigin:
		o, ok := normalizeOrigin(t.O.Value, true)
		if t.O.Kind != rdf.IRI || !ok {
			return fmt.Errorf("%w: not an origin", ErrUnsupported)
		}
		c.origins = appendUnique(c.origins, o)
		return nil
	}
	return fmt.Errorf("%w: unknown predicate on an Authorization", ErrUnsupported)
}

func (c *compiling) agentClass(o rdf.Term) error {
	switch {
	case o.Kind == rdf.IRI && o.Value == iriFoafAgent:
		c.public = true
	case o.Kind == rdf.IRI && o.Value == iriAuthenticatedAgent:
		c.authenticated = true
	default:
		return fmt.Errorf("%w: unknown agent class", ErrUnsupported)
	}
	return nil
}

func iriInto(dst *[]string, o rdf.Term) error {
	if o.Kind != rdf.IRI {
		return fmt.Errorf("%w: object must be an IRI", ErrUnsupported)
	}
	*dst = appendUnique(*dst, o.Value)
	return nil
}

func appendUnique(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// add indexes c if it is an applicable Authorization (WAC §"Authorization
// Conformance"); others grant nothing and are dropped.
func (a *ACL) add(c *compiling) error {
	if c == nil || c.modes == 0 || len(c.accessTo)+len(c.defaults) == 0 ||
		!(c.hasAgentSubject() || len(c.origins) > 0) {
		return nil
	}
	if len(a.auths) >= maxAuthorizations {
		return fmt.Errorf("%w %s: more than %d authorizations", ErrUnsupported, a.iri, maxAuthorizations)
	}
	c.modes = c.modes.withImplied()
	i := int32(len(a.auths))
	a.auths = append(a.auths, c.authorization)
	for _, r := range c.accessTo {
		a.accessTo[r] = append(a.accessTo[r], i)
	}
	for _, r := range c.defaults {
		a.defaults[r] = append(a.defaults[r], i)
	}
	return nil
}

// maxAuthorizations bounds one ACL; the document size limits of rdf.Parse
// bound it already, this keeps the int32 indexes honest.
const maxAuthorizations = 1 << 20
