package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/naamio/naamio/federation"
)

// The owner's Accept of a waiting Follow (locked account) is delivered to
// the inbox recorded with the Follow, without fetching the follower's
// actor again: it arrives even when the follower's server cannot serve
// its actor any more (before, the delivery fetched the actor, failed and
// left the Accept unsent).
func TestOutboxAcceptUsesKnownInbox(t *testing.T) {
	e := newFedEnv(t, 1)
	p := e.peers[0]
	recs, _ := e.s.store.KV("s")
	if err := federation.SaveSettings(context.Background(), recs, "alice", federation.Settings{Locked: true}); err != nil {
		t.Fatal(err)
	}
	carl := p.actor("carl")
	follow := activity("Follow", carl, e.actor("alice"))
	if st, body := p.post(t, e.inbox("alice"), follow); st != http.StatusAccepted {
		t.Fatalf("Follow: %d %s", st, body)
	}
	// The inbox records the waiting Follow (with carl's inbox, from his
	// actor) after its 202: only then does his server stop serving it.
	waitFor(t, "the waiting Follow recorded", func() bool {
		_, ok, err := e.s.fed.Relations().Pending(context.Background(), "alice", carl)
		return err == nil && ok
	})
	p.mu.Lock()
	delete(p.docs, "/users/carl")
	p.mu.Unlock()
	tok, key := ownerToken(t, e.s, e.base, "alice")
	if resp, b := ownerPost(t, e.actor("alice")+"/outbox", tok, key, `{"type":"Accept","object":"`+follow["id"].(string)+`"}`); resp.StatusCode != 201 {
		t.Fatalf("C2S Accept: %d %s", resp.StatusCode, b)
	}
	waitFor(t, "the Accept at the follower's inbox", func() bool {
		for _, a := range p.received("Accept") {
			if o, _ := a["object"].(map[string]any); o != nil && o["id"] == follow["id"] {
				return true
			}
		}
		return false
	})
}
