package federation

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/naamio/naamio/event"
)

// Delivery of the owner's activities (issue 14, "Delivery"): a consumer of
// the change-log feed reads each activity the outbox stored and queues it
// to its recipients. It runs after the commit, so a crash between the
// commit and the queueing replays the change (at-least-once), and the
// queue's idempotency key (the activity id) keeps a replay from sending
// twice.

// OutboxConsumerName is the consumer's durable name (its feed cursor).
const OutboxConsumerName = "federation-outbox"

// OutboxConsumer is the delivery consumer; the server registers it with
// the change-log feed.
func (s *Service) OutboxConsumer() event.Consumer { return outboxConsumer{s} }

type outboxConsumer struct{ s *Service }

func (c outboxConsumer) Name() string { return OutboxConsumerName }

// Handle delivers every activity created in an outbox by the server. Only
// creations written with OriginFederation count: a resource someone puts
// into <pod>/outbox/ through LDP is never signed and sent, and the
// rewrite of a Create by a later Update or Delete (an Update change) is
// not sent again.
func (c outboxConsumer) Handle(ctx context.Context, cs []event.Change) error {
	for _, ch := range cs {
		if ch.Kind != event.Create || ch.Origin != OriginFederation {
			continue
		}
		pod, id, ok := parseOutboxPath(ch.Path)
		if !ok {
			continue
		}
		if err := c.s.deliverStored(ctx, pod, id); err != nil {
			return err
		}
	}
	return nil
}

// parseOutboxPath recognises /<pod>/outbox/<id>.
func parseOutboxPath(p string) (pod, id string, ok bool) {
	rest, ok := strings.CutPrefix(p, "/")
	if !ok {
		return "", "", false
	}
	pod, rest, ok = strings.Cut(rest, "/")
	if !ok || !validPodName(pod) {
		return "", "", false
	}
	id, ok = strings.CutPrefix(rest, "outbox/")
	if !ok || !validID(id) {
		return "", "", false
	}
	return pod, id, true
}

// deliverStored queues the stored activity <pod>/outbox/<id> to its
// recipients, without bto and bcc (AP §6: removed before delivery).
func (s *Service) deliverStored(ctx context.Context, pod, id string) error {
	a, err := s.readActivity(ctx, pod, id)
	if errors.Is(err, errNotFound) {
		return nil // deleted since (the pod was removed)
	}
	if err != nil {
		return err
	}
	inboxes, err := s.recipientInboxes(ctx, pod, a)
	if err != nil {
		return err
	}
	v := publicView(a)
	v["@context"] = asContext
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.send(ctx, pod, body, inboxes, a["id"].(string))
}

// recipientInboxes is where an activity of pod goes (AP §7.1): the
// followers collection means every follower's (shared) inbox; another
// local actor its pod's inbox; a remote actor its endpoints.sharedInbox,
// or else its inbox, fetched through the SSRF-safe fetcher; an object
// (the note a Like names) its author's. The public collection and the
// pod's own actor are nobody to deliver to. An addressee that cannot be
// fetched is left out (logged).
func (s *Service) recipientInboxes(ctx context.Context, pod string, a map[string]any) ([]string, error) {
	var targets []string
	for _, k := range addressing {
		for _, t := range asStrings(a[k]) {
			if !slices.Contains(targets, t) {
				targets = append(targets, t)
			}
		}
	}
	var inboxes []string
	add := func(in ...string) {
		for _, i := range in {
			if i != "" && !slices.Contains(inboxes, i) {
				inboxes = append(inboxes, i)
			}
		}
	}
	p := s.cfg.Paths
	for _, t := range targets {
		switch {
		case t == PublicIRI || t == p.Actor(pod):
			continue
		case t == p.Followers(pod):
			fi, err := s.cfg.Relations.FollowerInboxes(ctx, pod)
			if err != nil {
				return nil, err
			}
			add(fi...)
			continue
		}
		if rt, ok := p.ParseIRI(t); ok {
			if _, exists := s.cfg.Pods.OwnerWebID(rt.Pod); rt.Kind == KindActor && exists {
				add(p.Inbox(rt.Pod))
			}
			continue
		}
		if in, err := s.knownInbox(ctx, pod, t); err != nil {
			return nil, err
		} else if in != "" {
			add(in)
			continue
		}
		add(s.remoteInbox(ctx, t, 1))
	}
	return inboxes, nil
}

// knownInbox is where an actor pod's relations already know goes
// (Relations.KnownInbox). It spares a fetch, and delivers the answer to a
// Follow even when the follower's server cannot serve its actor right
// then.
func (s *Service) knownInbox(ctx context.Context, pod, actor string) (string, error) {
	if len(actor) > MaxActorIRI {
		return "", nil
	}
	return s.cfg.Relations.KnownInbox(ctx, pod, actor)
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// remoteInbox fetches actor (or, hops left, an object's attributedTo)
// and returns its shared inbox, or inbox; "" when it has none.
func (s *Service) remoteInbox(ctx context.Context, iri string, hops int) string {
	if s.cfg.Fetch == nil {
		return ""
	}
	doc, err := s.cfg.Fetch.Fetch(ctx, iri)
	if err != nil {
		s.log.WarnContext(ctx, "federation: addressee not fetched; left out", "iri", iri, "err", err)
		return ""
	}
	if in, _ := doc.Object["inbox"].(string); in != "" {
		if ep, ok := doc.Object["endpoints"].(map[string]any); ok {
			if si, _ := ep["sharedInbox"].(string); absoluteIRI(si) {
				return si
			}
		}
		if absoluteIRI(in) {
			return in
		}
		return ""
	}
	if hops > 0 {
		if by := idOf(doc.Object["attributedTo"]); absoluteIRI(by) {
			return s.remoteInbox(ctx, by, hops-1)
		}
	}
	return ""
}
