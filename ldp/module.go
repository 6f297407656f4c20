package ldp

import (
	"context"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/auth"
)

// What the Wasm module host (modules/) needs from the LDP handler: a way
// to make an in-process request as a module's agent. A module is the
// agent <manifest IRI>#module; it gets rights only from ACLs that name
// it, and never more than the owner of its pod holds (issue 13,
// "Identity"): every decision for it is the intersection of its own
// modes and the owner's.

type moduleKey struct{}

// moduleCeiling is the WebID whose modes cap a module's, and the chain
// depth its writes carry in their change-log origin (event.ChainOrigin).
type moduleCeiling struct {
	owner string
	depth int
}

// AsModule returns ctx for a request made by the module whose agent IRI
// is module, installed in a pod owned by owner: the request is
// authenticated as module (no client, no Origin), its writes carry module
// as their change-log origin, and every access decision is capped at
// owner's modes. Serve the request with the Handler directly (it does not
// pass the server's authentication middleware).
func AsModule(ctx context.Context, module, owner string) context.Context {
	return AsModuleAt(ctx, module, owner, 0)
}

// AsModuleAt is AsModule for a module reacting at chain depth depth: its
// writes' change-log origin is event.ChainOrigin(module, depth).
func AsModuleAt(ctx context.Context, module, owner string, depth int) context.Context {
	ctx = auth.WithAgent(ctx, auth.Agent{WebID: module})
	return context.WithValue(ctx, moduleKey{}, moduleCeiling{owner: owner, depth: depth})
}

// isModule reports whether ctx is a module's request (AsModule): its
// agent is matched by acl:agent only (acl.Agent.NamedOnly).
func isModule(ctx context.Context) bool {
	_, ok := ctx.Value(moduleKey{}).(moduleCeiling)
	return ok
}

// capModes applies a module request's ceiling: the owner's modes on the
// same subject. With no owner the module gets nothing.
func (h *Handler) capModes(ctx context.Context, subject string, user acl.Mode) (acl.Mode, error) {
	c, ok := ctx.Value(moduleKey{}).(moduleCeiling)
	if !ok {
		return user, nil
	}
	if c.owner == "" {
		return 0, nil
	}
	owner, _, err := h.acl.Decide(ctx, subject, acl.Agent{WebID: c.owner, Authenticated: true}, h.groups)
	if err != nil {
		return 0, err
	}
	return user & owner, nil
}

// ModuleMayRead reports whether the module whose agent IRI is module,
// in a pod owned by owner, may Read the resource at p (its events and
// validations are only for what it may read).
func (h *Handler) ModuleMayRead(ctx context.Context, module, owner, p string) bool {
	ag := acl.Agent{WebID: module, Authenticated: true, NamedOnly: true}
	return h.MayRead(AsModule(ctx, module, owner), ag, p)
}
