package federation

import (
	"context"
	"time"
)

// outboxEffects records the local effects of an activity the owner posted
// (relations): a Follow is pending until the peer accepts it; an Undo of a
// Follow forgets it, of a Block lifts it; a Block also ends the blocked
// actor's following; an Accept makes the waiting follower a follower, a
// Reject drops its request.
func (s *Service) outboxEffects(ctx context.Context, pod string, n *normalised) error {
	rel := s.cfg.Relations
	switch n.Type {
	case "Follow":
		target := n.objectIRI()
		f := Followed{Actor: target, FollowID: n.Activity["id"].(string), State: FollowPending, Since: time.Now().UTC()}
		f.Inbox, f.SharedInbox = s.actorInboxes(ctx, target)
		return rel.SetFollowing(ctx, pod, f)
	case "Block":
		if err := rel.Block(ctx, pod, n.objectIRI()); err != nil {
			return err
		}
		return rel.RemoveFollower(ctx, pod, n.objectIRI())
	case "Undo":
		undone := n.object()
		target := idOf(undone["object"])
		switch undone["type"] {
		case "Follow":
			return rel.RemoveFollowing(ctx, pod, target)
		case "Block":
			return rel.Unblock(ctx, pod, target)
		}
	case "Accept":
		_, _, err := rel.AcceptPending(ctx, pod, idOf(n.object()["actor"]))
		return err
	case "Reject":
		_, _, err := rel.TakePending(ctx, pod, idOf(n.object()["actor"]))
		return err
	}
	return nil
}

// actorInboxes fetches a followed actor's inbox and shared inbox (empty
// when it cannot be fetched now: the Accept that the inbox receives
// names it again).
func (s *Service) actorInboxes(ctx context.Context, actor string) (inbox, shared string) {
	if s.cfg.Fetch == nil {
		return "", ""
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	doc, err := s.cfg.Fetch.Fetch(ctx, actor)
	if err != nil {
		return "", ""
	}
	inbox, _ = doc.Object["inbox"].(string)
	if ep, ok := doc.Object["endpoints"].(map[string]any); ok {
		shared, _ = ep["sharedInbox"].(string)
	}
	return inbox, shared
}

// maxPendingScan bounds the search for a waiting Follow by its id.
const maxPendingScan = 10000

// pendingFollow finds a Follow waiting for the owner's Accept or Reject,
// by its follower's actor IRI or by the Follow's id, as the Follow the
// peer sent (embedded in the answer: peers match it by id).
func (s *Service) pendingFollow(ctx context.Context, pod string) func(string) (map[string]any, bool, error) {
	rel := s.cfg.Relations
	asFollow := func(pf PendingFollow) map[string]any {
		return map[string]any{"id": pf.FollowID, "type": "Follow", "actor": pf.Actor, "object": s.cfg.Paths.Actor(pod)}
	}
	return func(iri string) (map[string]any, bool, error) {
		if pf, ok, err := rel.Pending(ctx, pod, iri); err != nil || ok {
			if ok {
				return asFollow(pf), true, nil
			}
			return nil, false, err
		}
		after := ""
		for seen := 0; seen < maxPendingScan; {
			list, next, err := rel.ListPending(ctx, pod, after, 100)
			if err != nil {
				return nil, false, err
			}
			for _, pf := range list {
				if pf.FollowID == iri {
					return asFollow(pf), true, nil
				}
			}
			seen += len(list)
			if next == "" {
				break
			}
			after = next
		}
		return nil, false, nil
	}
}
