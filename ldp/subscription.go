package ldp

import (
	"context"
	"net/http"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/rdf"
)

// What the Solid Notifications Protocol (notify/) needs from the LDP
// handler: the storage description's list of subscription services, and
// the same access decisions (Web Access Control) every resource request
// gets, so notify never evaluates an ACL itself.

// SubscriptionService is one subscription service of the Solid
// Notifications Protocol, listed in every storage description
// (notifications-protocol resource-server-description-resource-response).
type SubscriptionService struct {
	// IRI of the service (where channel requests are POSTed).
	IRI string
	// ChannelType is the IRI of the channel type it creates
	// (http://www.w3.org/ns/solid/notifications#WebSocketChannel2023).
	ChannelType string
	// Features are IRIs of the features it supports (notify:endAt, ...).
	Features []string
}

// NsNotify is the Solid Notifications vocabulary.
const NsNotify = "http://www.w3.org/ns/solid/notifications#"

var (
	notifySubscription = rdf.NewIRI(NsNotify + "subscription")
	notifyChannelType  = rdf.NewIRI(NsNotify + "channelType")
	notifyFeature      = rdf.NewIRI(NsNotify + "feature")

	solidNotificationGateway = rdf.NewIRI("http://www.w3.org/ns/solid/terms#notificationGateway")
)

// addSubscriptions states the storage's subscription services: root
// notify:subscription <service>, and each service's channel type and
// features; and the notification gateway when there is one.
func (h *Handler) addSubscriptions(g *rdf.Graph, root rdf.Term) {
	if h.gateway != "" {
		g.Add(rdf.Triple{S: root, P: solidNotificationGateway, O: rdf.NewIRI(h.gateway)})
	}
	for _, s := range h.subscriptions {
		svc := rdf.NewIRI(s.IRI)
		g.Add(rdf.Triple{S: root, P: notifySubscription, O: svc})
		g.Add(rdf.Triple{S: svc, P: notifyChannelType, O: rdf.NewIRI(s.ChannelType)})
		for _, f := range s.Features {
			g.Add(rdf.Triple{S: svc, P: notifyFeature, O: rdf.NewIRI(f)})
		}
	}
}

// RequestAgent returns the request's agent for access decisions (its WebID,
// client and Origin), or the error its authentication failed with.
func RequestAgent(r *http.Request) (acl.Agent, error) {
	if err := callerError(r); err != nil {
		return acl.Agent{}, err
	}
	return agentOf(r), nil
}

// MayRead reports whether ag has Read on the resource at the canonical
// path p, by the same evaluation a GET of p gets (false when the ACL
// cannot be used: fail closed). It says nothing about whether p exists.
func (h *Handler) MayRead(ctx context.Context, ag acl.Agent, p string) bool {
	user, _, err := h.modesOn(ctx, ag, p)
	return err == nil && user.Has(acl.Read)
}

// RefuseRead answers r as a request for p that lacks Read is answered:
// 401 with the DPoP challenge for an anonymous caller or one whose
// credentials failed (503 when they cannot be checked now), 403 otherwise.
func (h *Handler) RefuseRead(w http.ResponseWriter, r *http.Request, p string) {
	if err := callerError(r); err != nil {
		h.fail(w, r, err)
		return
	}
	h.fail(w, r, denied(agentOf(r), need{p, acl.Read}))
}
