package federation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/kv"
)

// A change of the owner's WebID profile (name, summary, icon: what the
// actor takes from it, profile.go) is sent to the followers' servers as
// an Update of the actor, as Mastodon sends one, so peers stop showing
// the old name (issue 14). A consumer of the change-log feed notices
// writes to <pod>/profile/card; after a quiet period it builds the actor
// document and sends it (updateActor) only when what it shows of the
// profile and the settings differs from the last one sent or seen (its
// hash is kept in Records under actorsent/<pod>).

// ProfileConsumerName is the profile consumer's durable name.
const ProfileConsumerName = "federation-profile"

// DefaultProfileQuiet is how long the consumer waits after the last
// profile write it saw before it looks at the actor: a burst of edits
// sends one Update (or two, when the burst spans two batches).
const DefaultProfileQuiet = 2 * time.Second

// ProfileConsumer is the consumer that sends Updates of the actor; the
// server registers it with the change-log feed.
func (s *Service) ProfileConsumer() event.Consumer { return profileConsumer{s} }

type profileConsumer struct{ s *Service }

func (c profileConsumer) Name() string { return ProfileConsumerName }

// Handle waits until the newest profile write of the batch is
// Config.ProfileQuiet old (writes made meanwhile are in the profile it
// then reads; their own entries, in the next batch, find the actor
// unchanged), then updates each pod's actor. It is idempotent: a replay
// finds the hash of the document it sent.
func (c profileConsumer) Handle(ctx context.Context, cs []event.Change) error {
	var pods []string
	var last time.Time
	for _, ch := range cs {
		pod, ok := parseProfilePath(ch.Path)
		if !ok || ch.Kind == event.Delete {
			continue
		}
		if !containsString(pods, pod) {
			pods = append(pods, pod)
		}
		if ch.Time.After(last) {
			last = ch.Time
		}
	}
	if len(pods) == 0 {
		return nil
	}
	quiet := c.s.cfg.ProfileQuiet
	if quiet <= 0 {
		quiet = DefaultProfileQuiet
	}
	if wait := min(time.Until(last.Add(quiet)), quiet); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	for _, pod := range pods {
		err := c.s.updateActor(ctx, pod, false)
		if errors.Is(err, errNotFound) || errors.Is(err, errGone) {
			continue // no such pod (any more)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// parseProfilePath recognises /<pod>/profile/card, the store path of the
// pod's WebID profile document (Paths.Profile).
func parseProfilePath(p string) (string, bool) {
	pod, ok := strings.CutSuffix(p, "/profile/card")
	if !ok {
		return "", false
	}
	pod, ok = strings.CutPrefix(pod, "/")
	if !ok || !validPodName(pod) {
		return "", false
	}
	return pod, true
}

func actorSentKey(pod string) string { return "actorsent/" + pod }

// lockActor serialises the Updates of one pod's actor (the settings API
// and the profile consumer may both send one).
func (s *Service) lockActor(pod string) func() {
	mu, _ := s.actorLocks.LoadOrStore(pod, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	return mu.(*sync.Mutex).Unlock
}

// updateActor queues an Update of pod's actor document to its followers'
// (shared) inboxes, as Mastodon sends one when a profile changes: peers
// keep a copy of the actor and refresh it from the Update. Nothing is
// sent when the name, summary, icon and settings are those last sent (or
// seen while the pod had no followers: the version a new follower
// fetches). Its id
// is a fragment of the actor IRI (<actor>#updates/<time>), so it
// dereferences to the actor document itself.
//
// With nothing recorded yet (a pod of a server from before this was
// kept, or one just made), what the actor shows now becomes the record
// and nothing is sent unless firstSends (a settings change, whose earlier
// value is known to differ): the profile consumer cannot tell an edit from
// the state followers already fetched, and one missed Update of an old
// pod is better than an Update of every pod with followers on upgrade.
func (s *Service) updateActor(ctx context.Context, pod string, firstSends bool) error {
	webID, err := s.podWebID(pod)
	if err != nil || s.cfg.Deliver == nil {
		return err
	}
	defer s.lockActor(pod)()
	// What the actor shows of the profile and the settings: the key and
	// the links do not change with them (and a pod's key is not made just
	// to compare).
	set, err := LoadSettings(ctx, s.cfg.Records, pod)
	if err != nil {
		return err
	}
	pr, err := readProfile(ctx, s.cfg.Store, s.cfg.Locator, s.cfg.Paths.Profile(pod), webID)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(struct {
		P profile
		S Settings
	}{pr, set})
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	hash := []byte(hex.EncodeToString(sum[:]))
	prev, err := s.cfg.Records.Get(ctx, actorSentKey(pod))
	first := errors.Is(err, kv.ErrNotFound)
	switch {
	case err == nil && string(prev) == string(hash):
		return nil // name, summary, icon and settings as last sent
	case err != nil && !first:
		return err
	}
	inboxes, err := s.cfg.Relations.FollowerInboxes(ctx, pod)
	if err != nil {
		return err
	}
	if len(inboxes) > 0 && (!first || firstSends) {
		doc, err := s.actor(ctx, pod, webID)
		if err != nil {
			return err
		}
		actor := s.cfg.Paths.Actor(pod)
		id := fmt.Sprintf("%s#updates/%d", actor, time.Now().UnixNano())
		body, err := json.Marshal(map[string]any{
			"@context": actorContext, "id": id, "type": "Update", "actor": actor,
			"to": []string{PublicIRI}, "cc": []string{s.cfg.Paths.Followers(pod)},
			"object": doc,
		})
		if err != nil {
			return err
		}
		if err := s.send(ctx, pod, body, inboxes, id); err != nil {
			return err
		}
	}
	// Stored after the queueing: a crash in between sends it again.
	return s.cfg.Records.Put(ctx, actorSentKey(pod), hash, 0)
}
