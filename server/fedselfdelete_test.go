package server

import (
	"context"
	"net/http"
	"testing"

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
