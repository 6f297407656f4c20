package notify

import (
	"context"
	"time"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
)

// LegacyConsumer is the name of the legacy protocol's feed cursor.
const LegacyConsumer = "notify-legacy-solid-0.1"

// Name is the consumer's durable name (event.Consumer).
func (l *Legacy) Name() string { return LegacyConsumer }

// Handle publishes a batch of committed changes (event.Consumer): "pub" for
// each changed resource and for its container (the solid-0.1 text: every
// change of a member notifies the container), once per path and batch, to
// the sockets subscribed to it, if the public may still read it. It never
// blocks on a socket (send drops slow clients) and never fails: sockets
// are not durable, so a batch offered again would only repeat pubs.
func (l *Legacy) Handle(ctx context.Context, cs []event.Change) error {
	// Each path once per batch, at the time of its latest change.
	latest := make(map[string]time.Time, 2*len(cs))
	var order []string
	for _, c := range cs {
		paths := [2]string{c.Path}
		if kind, _ := ldp.Auxiliary(c.Path); kind == ldp.NotAux {
			paths[1] = ldp.Parent(c.Path)
		}
		for _, p := range paths {
			if p == "" {
				continue
			}
			if _, seen := latest[p]; !seen {
				order = append(order, p)
			}
			if c.Time.After(latest[p]) {
				latest[p] = c.Time
			}
		}
	}
	for _, p := range order {
		l.publish(ctx, p, latest[p])
	}
	return nil
}

// publish sends "pub <iri>" for path p, changed at, to the sockets that
// subscribed to it before then (a change committed before a subscription
// is not news to it, however late the feed brings it).
func (l *Legacy) publish(ctx context.Context, p string, at time.Time) {
	l.mu.RLock()
	set := l.subs[p]
	conns := make([]*legacyConn, 0, len(set))
	for c, since := range set {
		if !at.Before(since) {
			conns = append(conns, c)
		}
	}
	l.mu.RUnlock()
	if len(conns) == 0 {
		return
	}
	iri := l.loc.IRI(p)
	// Read is checked again before each pub: an ACL change stops them.
	if !l.access.PublicMayRead(ctx, iri) {
		return
	}
	msg := "pub " + iri
	for _, c := range conns {
		c.send(msg)
	}
}
