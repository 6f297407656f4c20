package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naamio/naamio/federation"
)

// Issue 14 (b): a remote actor's Delete of itself, signed by it and sent
// once to the shared inbox addressed only to the public (as Mastodon
// sends it), reaches every pod that knows the actor, through the reverse
// index: carl no longer follows alice, alice no longer follows carl, and
// carl's Follow waiting at the locked bob is gone. dave's relations with
// the same pods stay.
func TestInboxSelfDeleteReachesEveryPod(t *testing.T) {
	e := newFedEnv(t, 1)
	p := e.peers[0]
	ctx := context.Background()
	carl, dave := p.actor("carl"), p.actor("dave")
	recs, _ := e.s.store.KV("s")
	if err := federation.SaveSettings(ctx, recs, "bob", federation.Settings{Locked: true}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ actor, pod string }{{carl, "alice"}, {carl, "bob"}, {dave, "alice"}, {dave, "bob"}} {
		if st, body := p.post(t, e.inbox(f.pod), activity("Follow", f.actor, e.actor(f.pod))); st != http.StatusAccepted {
			t.Fatalf("Follow: %d %s", st, body)
		}
	}
	tok, key := ownerToken(t, e.s, e.base, "alice")
	for _, target := range []string{carl, dave} {
		if resp, b := ownerPost(t, e.actor("alice")+"/outbox", tok, key, `{"type":"Follow","object":"`+target+`"}`); resp.StatusCode != 201 {
			t.Fatalf("C2S Follow: %d %s", resp.StatusCode, b)
		}
	}
	rel := e.s.fed.Relations()
	state := func(actor string) (follower, following, pending bool) {
		t.Helper()
		_, follower, err1 := rel.Follower(ctx, "alice", actor)
		_, following, err2 := rel.Following(ctx, "alice", actor)
		_, pending, err3 := rel.Pending(ctx, "bob", actor)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatal(err1, err2, err3)
		}
		return
	}
	if a, b, c := state(carl); !a || !b || !c {
		t.Fatalf("before: follower %v following %v pending %v", a, b, c)
	}
	del := activity("Delete", carl, carl)
	del["to"] = []any{"https://www.w3.org/ns/activitystreams#Public"}
	if st, body := p.post(t, e.base+".ap/inbox", del); st != http.StatusAccepted {
		t.Fatalf("Delete: %d %s", st, body)
	}
	if a, b, c := state(carl); a || b || c {
		t.Fatalf("after carl's Delete: follower %v following %v pending %v", a, b, c)
	}
	if pods, err := rel.PodsRelated(ctx, carl); err != nil || len(pods) != 0 {
		t.Fatalf("carl still related to %v (%v)", pods, err)
	}
	if a, b, c := state(dave); !a || !b || !c {
		t.Fatalf("dave: follower %v following %v pending %v", a, b, c)
	}
}

// A deleted account's server stops serving its key (404/410), and keys
// are only cached: once the cached key has expired, the actor's self-
// Delete cannot be verified. It is still honoured when the actor's own
// IRI answers 404/410 now (its server says it is gone), and nothing is
// stored; a Delete signed with a key that is gone but naming an actor
// whose IRI still answers is refused (401) and changes nothing — no one
// can make a pod forget a live actor.
func TestInboxSelfDeleteOfGoneActor(t *testing.T) {
	var skew atomic.Int64
	e := newFedEnvWith(t, 1, func(c *Config) {
		c.fedKeyClock = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
	p := e.peers[0]
	ctx := context.Background()
	carl, erin := p.actor("carl"), p.actor("erin")
	for _, a := range []string{carl, erin} {
		if st, body := p.post(t, e.inbox("alice"), activity("Follow", a, e.actor("alice"))); st != http.StatusAccepted {
			t.Fatalf("Follow: %d %s", st, body)
		}
	}
	p.mu.Lock()
	delete(p.docs, "/users/erin")
	p.mu.Unlock()
	skew.Store(int64(25 * time.Hour)) // past the key cache's TTL
	before := e.inboxTotal(t, "alice")
	// A key that is gone, naming the live carl as actor: refused.
	forged := activity("Delete", carl, carl)
	b, _ := json.Marshal(forged)
	req := p.signed(t, e.base+".ap/inbox", carl, b)
	req.Header.Set("Signature", strings.Replace(req.Header.Get("Signature"), carl+"#main-key", p.srv.URL+"/users/ghost#main-key", 1))
	if st, body := do(t, req); st != http.StatusUnauthorized {
		t.Fatalf("forged Delete: %d %s", st, body)
	}
	if _, ok, _ := e.s.fed.Relations().Follower(ctx, "alice", carl); !ok {
		t.Fatal("carl forgotten by a Delete nobody could verify")
	}
	// erin is gone: her self-Delete (her old key) is honoured.
	if st, body := p.post(t, e.base+".ap/inbox", activity("Delete", erin, erin)); st != http.StatusAccepted {
		t.Fatalf("erin's Delete: %d %s", st, body)
	}
	if _, ok, _ := e.s.fed.Relations().Follower(ctx, "alice", erin); ok {
		t.Fatal("erin is still a follower")
	}
	if n := e.inboxTotal(t, "alice"); n != before {
		t.Fatalf("an unverified Delete was stored: %d → %d", before, n)
	}
}
