package ldp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/rdf"
)

// Access control (Web Access Control + Solid-OIDC). Who is calling was
// decided before the request reached the handler, by the server's
// authentication middleware (auth.Middleware), and travels in the
// request's context (auth.AgentFrom). Every request other than OPTIONS and
// the storage description whose authentication failed is refused (401, or
// 503: callerError); then each operation checks the modes of acl/doc.go's
// table before it reads a body or reveals whether its target exists.

var (
	// errUnauthorized: an anonymous agent lacks a mode (401).
	errUnauthorized = errors.New("ldp: authentication required")
	// errForbidden: an authenticated agent lacks a mode (403).
	errForbidden = errors.New("ldp: access denied")
)

// agentOf is the request's agent for access decisions: the one its
// context carries (auth.AgentFrom), anonymous when authentication failed
// (only OPTIONS gets this far then) or did not run, with the request's
// Origin (acl:origin).
func agentOf(r *http.Request) acl.Agent {
	ag := acl.Agent{Origin: r.Header.Get("Origin")}
	if a, err := auth.AgentFrom(r.Context()); err == nil && !a.Anonymous() {
		ag.WebID, ag.Client, ag.Authenticated = a.WebID, a.ClientID, true
	}
	ag.NamedOnly = isModule(r.Context())
	return ag
}

// callerError is the failure to authenticate the request, if any: an error
// matching auth.ErrUnauthenticated (401) or auth.ErrUnavailable (503).
func callerError(r *http.Request) error {
	_, err := auth.AgentFrom(r.Context())
	return err
}

// originOf is the change-log origin of the request's writes
// (event/origin.go): the agent's WebID, or OriginAnonymous.
func originOf(r *http.Request) string {
	if ag := agentOf(r); ag.Authenticated {
		if c, ok := r.Context().Value(moduleKey{}).(moduleCeiling); ok {
			return event.ChainOrigin(ag.WebID, c.depth)
		}
		return ag.WebID
	}
	return event.OriginAnonymous
}

// need is one row of acl/doc.go's table: modes on a resource.
type need struct {
	path  string
	modes acl.Mode
}

// modesOn returns the agent's and the public's modes on the resource at p.
// For an auxiliary resource they are derived from its subject (acl/doc.go
// notes 6 and 7): an ACL resource is fully accessible with Control on the
// subject and not at all without it (Solid Protocol
// server-control-operation); a description resource has the subject's
// modes (server-description-resource-authorization).
func (h *Handler) modesOn(ctx context.Context, ag acl.Agent, p string) (user, public acl.Mode, err error) {
	kind, subject := Auxiliary(p)
	if kind == NotAux {
		subject = p
	}
	user, public, err = h.acl.Decide(ctx, subject, ag, h.groups)
	if err == nil {
		user, err = h.capModes(ctx, subject, user)
	}
	if err != nil {
		return 0, 0, err
	}
	if kind == AuxACL {
		return controlOnly(user), controlOnly(public), nil
	}
	return user, public, nil
}

func controlOnly(m acl.Mode) acl.Mode {
	if m.Has(acl.Control) {
		return acl.All
	}
	return 0
}

// allow checks every row of needs for the request's agent and returns the
// modes of the first row (the target), for WAC-Allow. A missing mode is
// errUnauthorized for an anonymous agent and errForbidden otherwise; so is
// an ACL that cannot be resolved or compiled (fail closed, SECURITY row
// 23), which is logged because it needs the owner's attention.
func (h *Handler) allow(r *http.Request, needs ...need) (user, public acl.Mode, err error) {
	ag := agentOf(r)
	for i, n := range needs {
		u, p, err := h.modesOn(r.Context(), ag, n.path)
		if err != nil {
			if ctxErr := r.Context().Err(); ctxErr != nil {
				return 0, 0, ctxErr
			}
			h.problem(r.Context(), Problem{Kind: ProblemNoUsableACL, Method: r.Method, Path: n.path, Err: err})
			return 0, 0, denied(ag, n)
		}
		if i == 0 {
			user, public = u, p
		}
		if !u.Has(n.modes) {
			return user, public, denied(ag, n)
		}
	}
	return user, public, nil
}

func denied(ag acl.Agent, n need) error {
	if ag.Authenticated {
		return fmt.Errorf("%w: %s needs %s", errForbidden, n.path, n.modes)
	}
	return fmt.Errorf("%w: %s needs %s", errUnauthorized, n.path, n.modes)
}

// concealed keeps a refusal from telling an agent who may not Read p
// anything about p's state (issue 10 item 5; SECURITY row 21 for the
// other methods). A write that fails because of what is or is not at p —
// not found (404), POST to an existing non-container (405), a conflict
// with its state (409), a failed precondition (412), a non-RDF target of a
// PATCH (415) — is answered like a refusal of Read: 403, or 401 for an
// anonymous agent, as the reference server does. An agent who may Read p
// (or Control it, which grants Read on its ACL) gets the real answer.
// Call it only with errors that depend on p's state; refusals decided by
// the request alone (its path, body or media type) need no concealment.
func (h *Handler) concealed(r *http.Request, p string, err error) error {
	switch statusFor(err) {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusConflict,
		http.StatusPreconditionFailed, http.StatusUnsupportedMediaType:
	default:
		return err
	}
	if h.mayRead(r, p) {
		return err
	}
	return denied(agentOf(r), need{p, acl.Read})
}

// mayRead reports whether the request's agent has Read on p (false when
// the ACL cannot be used: fail closed).
func (h *Handler) mayRead(r *http.Request, p string) bool {
	user, _, err := h.modesOn(r.Context(), agentOf(r), p)
	return err == nil && user.Has(acl.Read)
}

// setWACAllow reports the modes of the agent and of the public on the
// target, from the same evaluation as the decision (Solid Protocol
// server-wac-allow).
func setWACAllow(w http.ResponseWriter, user, public acl.Mode) {
	w.Header().Set("WAC-Allow", acl.WACAllow(user, public))
}

// createNeeds is what creating p needs besides the modes on p itself:
// Append on the nearest existing ancestor container, which gains a member
// (acl/doc.go notes 1 and 3; Solid Protocol server-create-operation).
// Auxiliary resources are not members of anything.
func (h *Handler) createNeeds(ctx context.Context, p string) ([]need, error) {
	if kind, _ := Auxiliary(p); kind != NotAux || p == "/" {
		return nil, nil
	}
	for c := Parent(p); c != ""; c = Parent(c) {
		ok, err := h.store.Exists(ctx, c)
		if err != nil {
			return nil, err
		}
		if ok {
			return []need{{c, acl.Append}}, nil
		}
	}
	return nil, nil
}

// writeNeeds is the table's rows for a PUT or PATCH of p needing modes on
// p: when p is absent, also Append where it will be added (createNeeds).
func (h *Handler) writeNeeds(ctx context.Context, p string, modes acl.Mode) ([]need, bool, error) {
	needs := []need{{p, modes}}
	ok, err := h.store.Exists(ctx, p)
	if err != nil || ok {
		return needs, ok, err
	}
	more, err := h.createNeeds(ctx, p)
	if err != nil {
		return nil, false, err
	}
	return append(needs, more...), false, nil
}

// errUnusableACL: an ACL resource would be stored that the evaluator
// cannot honour (422).
var errUnusableACL = errors.New("ldp: unusable ACL")

// checkACL refuses to store an ACL resource that would deny everything
// because it cannot be evaluated (unknown predicates, acl:condition, a
// malformed Authorization). Such an ACL would fail closed (SECURITY row
// 23) and could lock its owner out; refusing it keeps the previous ACL in
// force and tells the client why.
func (h *Handler) checkACL(r *http.Request, g *rdf.Graph, p string) error {
	a, err := acl.Compile(g, h.IRI(p))
	if err != nil {
		return fmt.Errorf("%w: %w", errUnusableACL, err)
	}
	return h.checkKeepsControl(r, a, p)
}

// checkKeepsControl refuses, for a client named by Config.KeepsControl, an
// ACL a at aclPath that would not give the writing agent Control of its
// subject (acl:accessTo; the writer holds Control now, or could not write
// it).
func (h *Handler) checkKeepsControl(r *http.Request, a *acl.ACL, aclPath string) error {
	ag := agentOf(r)
	if h.keepsControl == nil || !ag.Authenticated || !h.keepsControl(ag.Client) {
		return nil
	}
	_, subject := Auxiliary(aclPath)
	if !a.Modes(r.Context(), h.IRI(subject), false, ag, h.groups).Has(acl.Control) {
		return fmt.Errorf("%w: it would take Control of %s away from you", errUnusableACL, h.IRI(subject))
	}
	return nil
}

// maxACLBytes bounds an ACL resource read for a decision. ACLs are written
// through PUT or PATCH under the RDF body limit; this guards the decision
// path against anything else.
const maxACLBytes = 16 << 20

// NewACLResolver returns the resolver of effective ACLs for store, with
// resource IRIs built by loc (the handler's Locator). Its caches must be fed the
// change log: call Invalidate with the path of every committed change
// before the write is acknowledged (badgerstore.Options.OnCommit).
func NewACLResolver(store Store, loc *Locator, cacheSize int) (*acl.Resolver, error) {
	if loc == nil {
		return nil, errors.New("ldp: NewACLResolver needs a Locator")
	}
	load := func(ctx context.Context, aclPath string) ([]byte, string, bool, error) {
		m, body, err := store.Open(ctx, aclPath)
		if isNotFound(err) {
			return nil, "", false, nil
		}
		if err != nil {
			return nil, "", false, err
		}
		defer body.Close()
		if m.Size > maxACLBytes {
			return nil, "", false, fmt.Errorf("%w: ACL %s is %d bytes", ErrTooLarge, aclPath, m.Size)
		}
		b, err := io.ReadAll(io.LimitReader(body, maxACLBytes+1))
		if err != nil {
			return nil, "", false, err
		}
		return b, m.ETag, true, nil
	}
	return acl.NewResolver(load, loc.IRI, cacheSize), nil
}
