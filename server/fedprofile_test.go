package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/federation"
	"github.com/naamio/naamio/internal/fedipeer"
)

// profileSettled waits until the profile consumer has handled every
// change in the log (and so queued any Update it was going to send).
func profileSettled(t *testing.T, s *Server) {
	t.Helper()
	ctx := context.Background()
	cs, err := s.store.Changes(ctx, 0, 1_000_000)
	if err != nil || len(cs) == 0 {
		t.Fatalf("changes: %d %v", len(cs), err)
	}
	last := cs[len(cs)-1].Seq
	waitFor(t, "the profile consumer", func() bool {
		c, err := s.feed.feed.Passed(ctx, federation.ProfileConsumerName)
		return err == nil && uint64(c) >= last
	})
}

// updatesOf returns the Updates the receiver got, failing on any delivery
// whose signature did not verify as the sending actor's.
func updatesOf(t *testing.T, r *fedReceiver) []map[string]any {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]any
	for _, g := range r.got {
		if g.err != nil {
			t.Fatalf("delivery to %s did not verify: %v", g.path, g.err)
		}
		if g.body["type"] == "Update" {
			out = append(out, g.body)
		}
	}
	return out
}

// Issue 14 (the actor shows the WebID profile): an edit of the owner's
// profile name with an N3 Patch reaches the follower's shared inbox as
// one signed Update of the actor carrying the new name; an edit of a
// triple the actor does not show sends nothing; ten quick edits send one
// or two Updates, the last with the final name.
func TestFederationProfileEditUpdatesActor(t *testing.T) {
	recv := newFedReceiver(t)
	recv.shared["carol"] = true
	s, base := serveFed(t, func(c *Config) { c.AllowFetch = append(c.AllowFetch, addrPort(t, recv.srv.URL)) }, "alice")
	recv.verifyWith(t, base)
	ctx := context.Background()
	// The actor as the pod was created (no followers yet) is what a new
	// follower fetches: the consumer keeps it as the last one seen.
	profileSettled(t, s)
	if err := s.fed.Relations().AddFollower(ctx, "alice", federation.Follower{Actor: recv.actor("carol"),
		Inbox: recv.actor("carol") + "/inbox", SharedInbox: recv.srv.URL + "/inbox"}); err != nil {
		t.Fatal(err)
	}
	tok, key := ownerToken(t, s, base, "alice")
	patch := func(n3 string) {
		t.Helper()
		resp := sendWith(t, "PATCH", base, "/alice/profile/card", "text/n3",
			"@prefix solid: <http://www.w3.org/ns/solid/terms#>. @prefix foaf: <http://xmlns.com/foaf/0.1/>.\n"+n3, tok, key)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("PATCH: %d", resp.StatusCode)
		}
	}
	settle := func() {
		t.Helper()
		profileSettled(t, s)
		time.Sleep(500 * time.Millisecond) // the queue delivers what was queued
	}

	// A triple the actor does not show: nothing is sent.
	patch(`_:p a solid:InsertDeletePatch; solid:inserts { <#me> foaf:nick "al" . }.`)
	settle()
	if u := updatesOf(t, recv); len(u) != 0 {
		t.Fatalf("an unrelated edit sent %d Updates: %v", len(u), u)
	}

	// The name: one signed Update with the new name, at the shared inbox.
	patch(`_:p a solid:InsertDeletePatch; solid:inserts { <#me> foaf:name "Alice Example" . }.`)
	settle()
	u := updatesOf(t, recv)
	if len(u) != 1 {
		t.Fatalf("%d Updates after the name edit", len(u))
	}
	actor := strings.TrimSuffix(base, "/") + "/.ap/actors/alice"
	o, _ := u[0]["object"].(map[string]any)
	if u[0]["actor"] != actor || o == nil || o["id"] != actor || o["type"] != "Person" || o["name"] != "Alice Example" ||
		!strings.HasPrefix(u[0]["id"].(string), actor+"#updates/") {
		t.Fatalf("Update: %v", u[0])
	}

	// Unrelated again, after a name was sent: still nothing.
	patch(`_:p a solid:InsertDeletePatch; solid:deletes { <#me> foaf:nick "al" . }.`)
	settle()
	if n := len(updatesOf(t, recv)); n != 1 {
		t.Fatalf("%d Updates after a second unrelated edit", n)
	}

	// Ten quick edits of the name: one or two Updates, the last one final.
	prev := "Alice Example"
	for i := range 10 {
		name := fmt.Sprintf("Alice %d", i)
		patch(fmt.Sprintf(`_:p a solid:InsertDeletePatch; solid:deletes { <#me> foaf:name %q . }; solid:inserts { <#me> foaf:name %q . }.`, prev, name))
		prev = name
	}
	settle()
	u = updatesOf(t, recv)[1:]
	if len(u) < 1 || len(u) > 2 {
		t.Fatalf("ten quick edits sent %d Updates", len(u))
	}
	if o, _ := u[len(u)-1]["object"].(map[string]any); o["name"] != "Alice 9" {
		t.Fatalf("last Update names %v", o["name"])
	}
}

// The same with the Fedify peer as the follower's server: the name edit
// reaches it as an Update of the actor, signed (draft-cavage), which
// Fedify verifies and accepts, carrying the new name.
func TestFederationProfileUpdateFedifyPeer(t *testing.T) {
	peer := fedipeer.Start(t)
	s, base := serveFed(t, func(c *Config) { c.AllowFetch = append(c.AllowFetch, addrPort(t, peer.Origin)) }, "alice")
	profileSettled(t, s)
	bob := peer.ActorIRI("bob")
	if err := s.fed.Relations().AddFollower(context.Background(), "alice", federation.Follower{Actor: bob,
		Inbox: peer.InboxIRI("bob"), SharedInbox: peer.SharedInbox()}); err != nil {
		t.Fatal(err)
	}
	tok, key := ownerToken(t, s, base, "alice")
	resp := sendWith(t, "PATCH", base, "/alice/profile/card", "text/n3", `@prefix solid: <http://www.w3.org/ns/solid/terms#>.
_:p a solid:InsertDeletePatch; solid:inserts { <#me> <http://xmlns.com/foaf/0.1/name> "Alice from Fedify's view" . }.`, tok, key)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("PATCH: %d", resp.StatusCode)
	}
	actor := strings.TrimSuffix(base, "/") + "/.ap/actors/alice"
	got, err := peer.WaitReceived(30*time.Second, func(a fedipeer.Activity) bool {
		return a.Type == "Update" && a.Actor == actor && a.Object == actor
	})
	if err != nil {
		t.Fatal("the peer did not get the Update: ", err)
	}
	if got.Signature == fedipeer.SigNone || !strings.Contains(string(got.JSON), `"Alice from Fedify's view"`) {
		t.Fatalf("Update as received: %v", got)
	}
}
