package acl

import (
	"context"
	"slices"
)

// Agent is who is asking, as established by auth/.
type Agent struct {
	// WebID is the authenticated agent's WebID; "" is the public (anonymous).
	WebID string
	// Authenticated is true only when WebID was proven (Solid-OIDC token and
	// DPoP proof verified). A WebID that is not authenticated matches nothing
	// but public Authorizations.
	Authenticated bool
	// Origin is the request's Origin header as received ("" when absent).
	Origin string
	// Client is the Solid-OIDC client_id. WAC has no client matcher; it is
	// carried for logging and for a later ACP evaluator.
	Client string
	// NamedOnly limits the agent to Authorizations that name its WebID
	// (acl:agent): agent classes (public, authenticated) and groups grant
	// it nothing. A Wasm module is such an agent (issue 13, "Identity").
	NamedOnly bool
}

// authenticated reports whether the agent is a proven, non-public agent.
func (ag *Agent) authenticated() bool { return ag.Authenticated && ag.WebID != "" }

// GroupChecker answers acl:agentGroup membership. The caller supplies it:
// local groups read from the store, remote groups through the SSRF-safe client
// with a cache and a deadline. An error counts as "not a member".
type GroupChecker interface {
	Member(ctx context.Context, groupIRI, webID string) (bool, error)
}

// Modes returns the access modes the Authorizations of a grant to ag on target.
//
// With inherited false, a must be target's own ACL and only Authorizations with
// acl:accessTo <target> count. With inherited true, a is the effective ACL
// inherited from a container and target must be that container's IRI: only
// Authorizations with acl:default <target> count (WAC §"ACL Inheritance
// Algorithm" and §"Authorization Evaluation"). A nil ACL grants nothing.
//
// groups may be nil; then no acl:agentGroup matches. It is consulted only for
// authenticated agents and only when the group could add a mode not yet granted.
func (a *ACL) Modes(ctx context.Context, target string, inherited bool, ag Agent, groups GroupChecker) Mode {
	if a == nil {
		return 0
	}
	e := evaluation{auths: a.auths, ag: ag, groups: groups}
	return e.run(ctx, a.candidates(target, inherited), 0)
}

// Allow returns the modes of ag (user) and of the public (an anonymous agent
// with the same Origin) from one pass over the ACL, for the WAC-Allow header
// (WAC §"WAC-Allow", server-wac-allow) and the access decision together.
// user always includes public.
func (a *ACL) Allow(ctx context.Context, target string, inherited bool, ag Agent, groups GroupChecker) (user, public Mode) {
	if a == nil {
		return 0, 0
	}
	list := a.candidates(target, inherited)
	anon := Agent{Origin: ag.Origin}
	e := evaluation{auths: a.auths, ag: anon}
	public = e.run(ctx, list, 0)
	if ag.NamedOnly {
		if !ag.authenticated() {
			return 0, public
		}
		e.ag = ag
		return e.run(ctx, list, 0), public
	}
	if !ag.authenticated() {
		return public, public
	}
	e.ag, e.groups = ag, groups // same Origin: keep the normalized origin
	return e.run(ctx, list, public), public
}

func (a *ACL) candidates(target string, inherited bool) []int32 {
	if inherited {
		return a.defaults[target]
	}
	return a.accessTo[target]
}

// evaluation is one agent's walk over the candidate Authorizations.
type evaluation struct {
	auths      []authorization
	ag         Agent
	groups     GroupChecker
	origin     string // normalized request origin, computed on first need
	originOK   bool
	originDone bool
}

// run adds to got the modes of every matching Authorization in list. Group
// membership, the only check that may cost a lookup, runs in a second pass and
// only for Authorizations that could still add a mode.
func (e *evaluation) run(ctx context.Context, list []int32, got Mode) Mode {
	deferred := false
	for _, i := range list {
		au := &e.auths[i]
		if au.modes&^got == 0 {
			continue
		}
		if e.matches(ctx, au, false) {
			got |= au.modes
		} else if len(au.groups) > 0 {
			deferred = true
		}
	}
	if !deferred || e.groups == nil || !e.ag.authenticated() {
		return got
	}
	for _, i := range list {
		au := &e.auths[i]
		if len(au.groups) > 0 && au.modes&^got != 0 && e.matches(ctx, au, true) {
			got |= au.modes
		}
	}
	return got
}

// matches reports whether au applies to the agent and origin of e.
//
// Access subjects: acl:agent, acl:agentClass and acl:agentGroup are
// alternatives (any one match suffices). acl:origin restricts them: an
// Authorization that lists origins grants to a request carrying an Origin
// header only if that origin is listed; a request without Origin is not
// restricted by it. An Authorization whose only subjects are origins grants to
// any agent whose request carries a listed Origin, and to no request without
// one. An Origin that is "null" or malformed matches no origin rule
// (SECURITY row 25).
func (e *evaluation) matches(ctx context.Context, au *authorization, useGroups bool) bool {
	if len(au.origins) > 0 {
		if e.ag.Origin != "" {
			if !e.originListed(au.origins) {
				return false
			}
			if !au.hasAgentSubject() {
				return true
			}
		} else if !au.hasAgentSubject() {
			return false
		}
	}
	return e.agentMatches(ctx, au, useGroups)
}

func (e *evaluation) originListed(origins []string) bool {
	if !e.originDone {
		e.origin, e.originOK = normalizeOrigin(e.ag.Origin, false)
		e.originDone = true
	}
	return e.originOK && slices.Contains(origins, e.origin)
}

func (e *evaluation) agentMatches(ctx context.Context, au *authorization, useGroups bool) bool {
	if e.ag.NamedOnly {
		return e.ag.authenticated() && slices.Contains(au.agents, e.ag.WebID)
	}
	if au.public {
		return true // acl:agentClass foaf:Agent: everyone
	}
	if !e.ag.authenticated() {
		return false
	}
	if au.authenticated || slices.Contains(au.agents, e.ag.WebID) {
		return true
	}
	if !useGroups || e.groups == nil {
		return false
	}
	for _, g := range au.groups {
		if ctx.Err() != nil {
			return false
		}
		ok, err := e.groups.Member(ctx, g, e.ag.WebID)
		if err == nil && ok {
			return true
		}
	}
	return false
}
