package ldp

import (
	"context"

	"github.com/naamio/naamio/acl"
)

// PublicMayRead reports whether an unauthenticated agent may Read the
// resource at iri (false for an IRI this server does not serve, and when
// its ACL cannot be used: fail closed). The legacy solid-0.1 notification
// protocol, which has no authentication, asks it before every ack and pub.
func (h *Handler) PublicMayRead(ctx context.Context, iri string) bool {
	p, ok := h.loc.PathOf(iri)
	if !ok {
		return false
	}
	user, _, err := h.modesOn(ctx, acl.Agent{}, p)
	return err == nil && user.Has(acl.Read)
}
