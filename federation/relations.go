package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/naamio/naamio/kv"
)

// Relations keeps each pod's social graph in kv.Federation: who follows
// the pod's actor, whom it follows (and in which state), whom it blocks,
// and the Follow requests a locked account has not answered yet. Keys
// (<pod> is a pod name, which has no "/"; <actor> an actor IRI as given):
//
//	fr/<pod>/<actor>   a follower (JSON Follower)
//	fg/<pod>/<actor>   an actor the pod follows (JSON Followed)
//	bk/<pod>/<actor>   a block: an actor IRI, or "https://host" for a
//	                   whole domain (value: when, JSON time)
//	fp/<pod>/<actor>   a Follow waiting for the owner's answer (JSON
//	                   PendingFollow)
//	fx/<actor>\x00<pod> pod follows actor (the reverse of fg/, written with
//	                   it: which pods a shared-inbox delivery is for)
//	fy/<actor>\x00<pod> actor follows pod (the reverse of fr/)
//	fz/<actor>\x00<pod> actor's Follow of pod waits (the reverse of fp/)
//	rv/1               the reverse indexes fy/ and fz/ were built for the
//	                   records written before they existed (EnsureReverse)
//
// Each reverse key is written and deleted in the transaction that writes
// or deletes its forward key, so PodsRelated (which pods know an actor at
// all: where a remote actor's self-Delete must reach) never misses one.
// Records written by an older server had no fy/ and fz/; EnsureReverse,
// run once on start (server/federation.go), builds them from fr/ and fp/
// and then writes rv/1, so later starts skip the scan. Building on start,
// not lazily: a lazy build would have to be finished before the first
// self-Delete is trusted to reach every pod, and the scan is one pass
// over keys (the followers of a whole server in well under a second).
//
// The inbox keeps its own index beside them (see inbox.go), and the
// outbox its list of public activities, op/<pod>/<id> (outbox.go), and
// NodeInfo the time of each owner's latest post, la/<pod> (localposts.go). A list is in
// key order (by actor IRI) and is paged by the last actor returned.
// Actor IRIs longer than MaxActorIRI are refused.
type Relations struct {
	kv  kv.KV
	now func() time.Time
}

// Follower is an actor following a pod's actor.
type Follower struct {
	Actor       string    `json:"actor"`
	Inbox       string    `json:"inbox"`
	SharedInbox string    `json:"sharedInbox,omitempty"`
	Since       time.Time `json:"since"`
}

// Follow states of a Followed.
const (
	FollowPending  = "pending"
	FollowAccepted = "accepted"
	FollowRejected = "rejected"
)

// Followed is an actor a pod's actor follows (or asked to).
type Followed struct {
	Actor       string    `json:"actor"`
	Inbox       string    `json:"inbox"`
	SharedInbox string    `json:"sharedInbox,omitempty"`
	FollowID    string    `json:"followId"` // the id of the Follow we sent
	State       string    `json:"state"`    // FollowPending, FollowAccepted or FollowRejected
	Since       time.Time `json:"since"`
}

// PendingFollow is a Follow a locked account has not answered yet.
type PendingFollow struct {
	Follower
	FollowID string `json:"followId"` // the id of the peer's Follow
}

// MaxActorIRI bounds an actor IRI kept as a key.
const MaxActorIRI = 2048

// Errors of Relations.
var errBadActor = fmt.Errorf("%w: not an actor IRI", errBadRequest)

const (
	prefFollower   = "fr/"
	prefFollowing  = "fg/"
	prefBlock      = "bk/"
	prefPending    = "fp/"
	prefFollowedBy = "fx/"
	prefFollowsPod = "fy/"
	prefPendingBy  = "fz/"
	keyReverseDone = "rv/1"
)

// reverseKey is the reverse key of actor and pod under prefix (fx/, fy/,
// fz/).
func reverseKey(prefix, actor, pod string) string { return prefix + actor + "\x00" + pod }

// NewRelations returns the relations kept in records (kv.Federation).
func NewRelations(records kv.KV) *Relations {
	return &Relations{kv: records, now: time.Now}
}

func relKey(prefix, pod, actor string) (string, error) {
	if !validPodName(pod) {
		return "", fmt.Errorf("%w: %q is not a pod name", errBadRequest, pod)
	}
	if actor == "" || len(actor) > MaxActorIRI {
		return "", errBadActor
	}
	return prefix + pod + "/" + actor, nil
}

func (r *Relations) put(ctx context.Context, prefix, pod, actor string, v any) error {
	k, err := relKey(prefix, pod, actor)
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return r.kv.Put(ctx, k, b, 0)
}

func (r *Relations) del(ctx context.Context, prefix, pod, actor string) error {
	k, err := relKey(prefix, pod, actor)
	if err != nil {
		return err
	}
	return r.kv.Delete(ctx, k)
}

// get reads one record into v; false when there is none.
func (r *Relations) get(ctx context.Context, prefix, pod, actor string, v any) (bool, error) {
	k, err := relKey(prefix, pod, actor)
	if err != nil {
		return false, err
	}
	b, err := r.kv.Get(ctx, k)
	if errors.Is(err, kv.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			return false, fmt.Errorf("federation: record %s: %w", k, err)
		}
	}
	return true, nil
}

var errStop = errors.New("stop")

// page lists up to n records under prefix+pod+"/" whose actor sorts after
// after, decoding each with dec; next is the last actor returned when more
// follow, else "".
func page[T any](ctx context.Context, r *Relations, prefix, pod, after string, n int, dec func([]byte) (T, error)) ([]T, string, error) {
	if !validPodName(pod) {
		return nil, "", fmt.Errorf("%w: %q is not a pod name", errBadRequest, pod)
	}
	if n <= 0 {
		n = 1
	}
	p := prefix + pod + "/"
	var out []T
	var last string
	more := false
	err := r.kv.List(ctx, p, func(key string, value []byte) error {
		actor := key[len(p):]
		if after != "" && actor <= after {
			return nil
		}
		if len(out) == n {
			more = true
			return errStop
		}
		v, err := dec(value)
		if err != nil {
			return fmt.Errorf("federation: record %s: %w", key, err)
		}
		out = append(out, v)
		last = actor
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, "", err
	}
	if !more {
		last = ""
	}
	return out, last, nil
}

func decodeJSON[T any](b []byte) (T, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}

func (r *Relations) count(ctx context.Context, prefix, pod string) (int, error) {
	if !validPodName(pod) {
		return 0, fmt.Errorf("%w: %q is not a pod name", errBadRequest, pod)
	}
	n := 0
	err := r.kv.List(ctx, prefix+pod+"/", func(string, []byte) error { n++; return nil })
	return n, err
}

// AddFollower records f as a follower of pod's actor. Adding one again
// updates its inboxes and keeps its first Since.
func (r *Relations) AddFollower(ctx context.Context, pod string, f Follower) error {
	k, err := relKey(prefFollower, pod, f.Actor)
	if err != nil {
		return err
	}
	now := r.now().UTC()
	return r.kv.Update(ctx, func(tx kv.Txn) error {
		g := f
		old, err := tx.Get(k)
		switch {
		case err == nil:
			var o Follower
			if json.Unmarshal(old, &o) == nil && !o.Since.IsZero() {
				g.Since = o.Since
			}
		case !errors.Is(err, kv.ErrNotFound):
			return err
		}
		if g.Since.IsZero() {
			g.Since = now
		}
		b, err := json.Marshal(g)
		if err != nil {
			return err
		}
		if err := tx.Set(k, b, 0); err != nil {
			return err
		}
		return tx.Set(reverseKey(prefFollowsPod, f.Actor, pod), nil, 0)
	})
}

// RemoveFollower forgets actor as a follower; none is not an error.
func (r *Relations) RemoveFollower(ctx context.Context, pod, actor string) error {
	return r.delBoth(ctx, prefFollower, prefFollowsPod, pod, actor)
}

// delBoth deletes a forward key and its reverse in one transaction.
func (r *Relations) delBoth(ctx context.Context, prefix, reverse, pod, actor string) error {
	k, err := relKey(prefix, pod, actor)
	if err != nil {
		return err
	}
	return r.kv.Update(ctx, func(tx kv.Txn) error {
		if err := tx.Delete(k); err != nil {
			return err
		}
		return tx.Delete(reverseKey(reverse, actor, pod))
	})
}

// Follower returns one follower of pod's actor.
func (r *Relations) Follower(ctx context.Context, pod, actor string) (Follower, bool, error) {
	var f Follower
	ok, err := r.get(ctx, prefFollower, pod, actor, &f)
	return f, ok, err
}

// Followers lists up to n followers after the actor after ("" first).
func (r *Relations) Followers(ctx context.Context, pod string, after string, n int) ([]Follower, string, error) {
	return page(ctx, r, prefFollower, pod, after, n, decodeJSON[Follower])
}

// CountFollowers is the number of followers of pod's actor.
func (r *Relations) CountFollowers(ctx context.Context, pod string) (int, error) {
	return r.count(ctx, prefFollower, pod)
}

// FollowerInboxes is where an activity to pod's followers goes: each
// follower's shared inbox when it has one, else its inbox, each once.
func (r *Relations) FollowerInboxes(ctx context.Context, pod string) ([]string, error) {
	if !validPodName(pod) {
		return nil, fmt.Errorf("%w: %q is not a pod name", errBadRequest, pod)
	}
	seen := map[string]bool{}
	var out []string
	err := r.kv.List(ctx, prefFollower+pod+"/", func(key string, value []byte) error {
		var f Follower
		if err := json.Unmarshal(value, &f); err != nil {
			return fmt.Errorf("federation: record %s: %w", key, err)
		}
		in := f.SharedInbox
		if in == "" {
			in = f.Inbox
		}
		if in != "" && !seen[in] {
			seen[in] = true
			out = append(out, in)
		}
		return nil
	})
	return out, err
}

// SetFollowing records (or updates) f, an actor pod's actor follows.
// Since is kept from an earlier record of the same actor when f has none.
func (r *Relations) SetFollowing(ctx context.Context, pod string, f Followed) error {
	switch f.State {
	case FollowPending, FollowAccepted, FollowRejected:
	default:
		return fmt.Errorf("%w: follow state %q", errBadRequest, f.State)
	}
	if f.Since.IsZero() {
		var old Followed
		ok, err := r.get(ctx, prefFollowing, pod, f.Actor, &old)
		if err != nil {
			return err
		}
		if ok && !old.Since.IsZero() {
			f.Since = old.Since
		} else {
			f.Since = r.now().UTC()
		}
	}
	k, err := relKey(prefFollowing, pod, f.Actor)
	if err != nil {
		return err
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return r.kv.Update(ctx, func(tx kv.Txn) error {
		if err := tx.Set(k, b, 0); err != nil {
			return err
		}
		return tx.Set(reverseKey(prefFollowedBy, f.Actor, pod), nil, 0)
	})
}

// Following returns the record of actor among those pod's actor follows.
func (r *Relations) Following(ctx context.Context, pod, actor string) (Followed, bool, error) {
	var f Followed
	ok, err := r.get(ctx, prefFollowing, pod, actor, &f)
	return f, ok, err
}

// ListFollowing lists up to n followed actors (every state) after the
// actor after ("" first).
func (r *Relations) ListFollowing(ctx context.Context, pod string, after string, n int) ([]Followed, string, error) {
	return page(ctx, r, prefFollowing, pod, after, n, decodeJSON[Followed])
}

// CountFollowing is the number of actors pod's actor follows or asked to
// follow (every state).
func (r *Relations) CountFollowing(ctx context.Context, pod string) (int, error) {
	return r.count(ctx, prefFollowing, pod)
}

// RemoveFollowing forgets actor among those pod's actor follows.
func (r *Relations) RemoveFollowing(ctx context.Context, pod, actor string) error {
	return r.delBoth(ctx, prefFollowing, prefFollowedBy, pod, actor)
}

// PodsFollowing lists the pods whose actor follows actor (or asked to).
func (r *Relations) PodsFollowing(ctx context.Context, actor string) ([]string, error) {
	return r.reverse(ctx, prefFollowedBy, actor, nil)
}

// PodsRelated lists the pods that know actor: it follows them, they
// follow it (or asked to), or its Follow waits for their owner. Each pod
// once, in no particular order.
func (r *Relations) PodsRelated(ctx context.Context, actor string) ([]string, error) {
	seen := map[string]bool{}
	var pods []string
	for _, prefix := range []string{prefFollowedBy, prefFollowsPod, prefPendingBy} {
		var err error
		if pods, err = r.reverse(ctx, prefix, actor, pods); err != nil {
			return nil, err
		}
	}
	out := pods[:0]
	for _, p := range pods {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// reverse appends to pods those listed under prefix+actor+"\x00".
func (r *Relations) reverse(ctx context.Context, prefix, actor string, pods []string) ([]string, error) {
	if actor == "" || len(actor) > MaxActorIRI {
		return nil, errBadActor
	}
	p := reverseKey(prefix, actor, "")
	err := r.kv.List(ctx, p, func(key string, _ []byte) error {
		pods = append(pods, key[len(p):])
		return nil
	})
	return pods, err
}

// Forget removes every relation of actor with pod (a remote actor that
// deleted itself): it no longer follows pod, pod no longer follows it,
// its waiting Follow is dropped. Blocks stay (they are the owner's).
func (r *Relations) Forget(ctx context.Context, pod, actor string) error {
	for _, kr := range [][2]string{{prefFollower, prefFollowsPod}, {prefFollowing, prefFollowedBy}, {prefPending, prefPendingBy}} {
		if err := r.delBoth(ctx, kr[0], kr[1], pod, actor); err != nil {
			return err
		}
	}
	return nil
}

// EnsureReverse builds the reverse keys fy/ and fz/ of the followers and
// waiting Follows recorded before those indexes existed, once: it writes
// rv/1 when done, and does nothing when rv/1 is there. Safe to run while
// relations change (each reverse key is set idempotently).
func (r *Relations) EnsureReverse(ctx context.Context) error {
	if _, err := r.kv.Get(ctx, keyReverseDone); err == nil {
		return nil
	} else if !errors.Is(err, kv.ErrNotFound) {
		return err
	}
	for _, kr := range [][2]string{{prefFollower, prefFollowsPod}, {prefPending, prefPendingBy}} {
		var keys []string
		err := r.kv.List(ctx, kr[0], func(key string, _ []byte) error {
			pod, actor, ok := strings.Cut(key[len(kr[0]):], "/")
			if ok && validPodName(pod) && actor != "" {
				keys = append(keys, reverseKey(kr[1], actor, pod))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for len(keys) > 0 {
			n := min(len(keys), 1000)
			batch := keys[:n]
			keys = keys[n:]
			if err := r.kv.Update(ctx, func(tx kv.Txn) error {
				for _, k := range batch {
					if err := tx.Set(k, nil, 0); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return err
			}
		}
	}
	return r.kv.Put(ctx, keyReverseDone, []byte(r.now().UTC().Format(time.RFC3339)), 0)
}

// Block records that pod's owner blocks actor: an actor IRI, or
// "https://host" (any scheme and host, no path) for a whole domain.
func (r *Relations) Block(ctx context.Context, pod, actor string) error {
	return r.put(ctx, prefBlock, pod, actor, r.now().UTC())
}

// Unblock lifts a block set with Block.
func (r *Relations) Unblock(ctx context.Context, pod, actor string) error {
	return r.del(ctx, prefBlock, pod, actor)
}

// Blocked reports whether pod's owner blocks actor, by its IRI or by its
// domain (a block of "https://host", or of "http://host" for an http
// actor: the scheme and authority of actor).
func (r *Relations) Blocked(ctx context.Context, pod, actor string) (bool, error) {
	keys := []string{}
	k, err := relKey(prefBlock, pod, actor)
	if err != nil {
		return false, err
	}
	keys = append(keys, k)
	if u, err := url.Parse(actor); err == nil && u.Host != "" {
		host := strings.ToLower(u.Host)
		keys = append(keys, prefBlock+pod+"/https://"+host, prefBlock+pod+"/"+strings.ToLower(u.Scheme)+"://"+host)
	}
	// One read-only transaction for the three keys (it commits nothing).
	blocked := false
	err = r.kv.Update(ctx, func(tx kv.Txn) error {
		blocked = false
		for _, k := range keys {
			_, err := tx.Get(k)
			if err == nil {
				blocked = true
				return nil
			}
			if !errors.Is(err, kv.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	return blocked, err
}

// SetPending records a Follow (id followID) from f that waits for the
// owner of a locked account.
func (r *Relations) SetPending(ctx context.Context, pod string, f Follower, followID string) error {
	if f.Since.IsZero() {
		f.Since = r.now().UTC()
	}
	k, err := relKey(prefPending, pod, f.Actor)
	if err != nil {
		return err
	}
	b, err := json.Marshal(PendingFollow{Follower: f, FollowID: followID})
	if err != nil {
		return err
	}
	return r.kv.Update(ctx, func(tx kv.Txn) error {
		if err := tx.Set(k, b, 0); err != nil {
			return err
		}
		return tx.Set(reverseKey(prefPendingBy, f.Actor, pod), nil, 0)
	})
}

// Pending returns the waiting Follow of actor.
func (r *Relations) Pending(ctx context.Context, pod, actor string) (PendingFollow, bool, error) {
	var p PendingFollow
	ok, err := r.get(ctx, prefPending, pod, actor, &p)
	return p, ok, err
}

// ListPending lists up to n waiting Follows after the actor after.
func (r *Relations) ListPending(ctx context.Context, pod string, after string, n int) ([]PendingFollow, string, error) {
	return page(ctx, r, prefPending, pod, after, n, decodeJSON[PendingFollow])
}

// TakePending removes and returns actor's waiting Follow (the owner
// answered it), atomically: two answers at once get it once.
func (r *Relations) TakePending(ctx context.Context, pod, actor string) (PendingFollow, bool, error) {
	var p PendingFollow
	k, err := relKey(prefPending, pod, actor)
	if err != nil {
		return p, false, err
	}
	found := false
	err = r.kv.Update(ctx, func(tx kv.Txn) error {
		found = false
		b, err := tx.Get(k)
		if errors.Is(err, kv.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("federation: record %s: %w", k, err)
		}
		found = true
		if err := tx.Delete(k); err != nil {
			return err
		}
		return tx.Delete(reverseKey(prefPendingBy, actor, pod))
	})
	return p, found, err
}

// AcceptPending makes actor's waiting Follow of pod a follower, in one
// transaction (a reader sees the waiting Follow or the follower, never
// neither: the delivery of the owner's Accept looks the inbox up there).
// found is false when nothing waited.
func (r *Relations) AcceptPending(ctx context.Context, pod, actor string) (Follower, bool, error) {
	var f Follower
	kp, err := relKey(prefPending, pod, actor)
	if err != nil {
		return f, false, err
	}
	kf, _ := relKey(prefFollower, pod, actor)
	now := r.now().UTC()
	found := false
	err = r.kv.Update(ctx, func(tx kv.Txn) error {
		found = false
		b, err := tx.Get(kp)
		if errors.Is(err, kv.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var p PendingFollow
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("federation: record %s: %w", kp, err)
		}
		f = p.Follower
		f.Since = now
		fb, err := json.Marshal(f)
		if err != nil {
			return err
		}
		found = true
		for _, op := range []func() error{
			func() error { return tx.Delete(kp) },
			func() error { return tx.Delete(reverseKey(prefPendingBy, actor, pod)) },
			func() error { return tx.Set(kf, fb, 0) },
			func() error { return tx.Set(reverseKey(prefFollowsPod, actor, pod), nil, 0) },
		} {
			if err := op(); err != nil {
				return err
			}
		}
		return nil
	})
	return f, found, err
}

// KnownInbox is where the relations of pod already know actor's activities
// go: a follower's, a waiting follower's or a followed actor's shared
// inbox, else its inbox ("" when actor is none of these, or none was
// recorded). The three records are read in one transaction: AcceptPending
// moves a waiting Follow to the followers while the owner's Accept is
// being delivered, and reads one by one could see it in neither place.
func (r *Relations) KnownInbox(ctx context.Context, pod, actor string) (string, error) {
	var keys [3]string
	for i, p := range []string{prefFollower, prefPending, prefFollowing} {
		k, err := relKey(p, pod, actor)
		if err != nil {
			return "", err
		}
		keys[i] = k
	}
	var inbox string
	err := r.kv.Update(ctx, func(tx kv.Txn) error {
		inbox = ""
		for _, k := range keys {
			b, err := tx.Get(k)
			if errors.Is(err, kv.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			// Follower, PendingFollow and Followed all carry both.
			var in struct {
				Inbox       string `json:"inbox"`
				SharedInbox string `json:"sharedInbox"`
			}
			if err := json.Unmarshal(b, &in); err != nil {
				return fmt.Errorf("federation: record %s: %w", k, err)
			}
			inbox = firstOf(in.SharedInbox, in.Inbox)
			return nil
		}
		return nil
	})
	return inbox, err
}
