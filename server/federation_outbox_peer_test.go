package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/federation"
	"github.com/naamio/naamio/internal/fedipeer"
	"github.com/naamio/naamio/kv"
)

// Issue 14 "A real peer in CI", the outbox side, with the Fedify peer on
// 127.0.0.1: the owner's C2S Follow reaches the peer (Fedify checks its
// signature against the pod's key) and is recorded as pending; the
// owner's Create reaches the peer through its shared inbox as a follower;
// a Like, a reply, an Announce of the peer's note and the Update and
// Delete of the owner's reach it; the Undo of the Follow embeds it and
// reaches the peer.
func TestFederationOutboxFedifyPeer(t *testing.T) {
	peer := fedipeer.Start(t)
	s, base := serveFed(t, func(c *Config) { c.AllowFetch = append(c.AllowFetch, addrPort(t, peer.Origin)) }, "alice")
	ctx := context.Background()
	actor := strings.TrimSuffix(base, "/") + "/.ap/actors/alice"
	outbox := actor + "/outbox"
	bob := peer.ActorIRI("bob")
	tok, key := ownerToken(t, s, base, "alice")

	resp, body := ownerPost(t, outbox, tok, key, `{"type":"Follow","object":"`+bob+`"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("follow: %d %s", resp.StatusCode, body)
	}
	followID := resp.Header.Get("Location")
	if f, ok, err := s.fed.Relations().Following(ctx, "alice", bob); err != nil || !ok || f.FollowID != followID ||
		f.Inbox != peer.InboxIRI("bob") {
		t.Fatalf("following: %+v %v %v", f, ok, err)
	}
	if _, err := peer.WaitReceived(30*time.Second, func(a fedipeer.Activity) bool {
		return a.Type == "Follow" && a.ID == followID && a.Actor == actor && a.Object == bob
	}); err != nil {
		t.Fatal("the peer did not get the Follow: ", err)
	}

	// bob follows alice (the inbox side records this when the peer's
	// Follow arrives; set here so this test covers the outbox alone).
	if err := s.fed.Relations().AddFollower(ctx, "alice", federation.Follower{Actor: bob,
		Inbox: peer.InboxIRI("bob"), SharedInbox: peer.SharedInbox()}); err != nil {
		t.Fatal(err)
	}
	resp, body = ownerPost(t, outbox, tok, key, `{"type":"Note","content":"hello from a pod","to":"Public","cc":"followers"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	createID := resp.Header.Get("Location")
	got, err := peer.WaitReceived(30*time.Second, func(a fedipeer.Activity) bool {
		return a.Type == "Create" && a.ID == createID
	})
	if err != nil {
		t.Fatal("the peer did not get the Create: ", err)
	}
	if got.Actor != actor || got.ObjectType != "Note" || got.Recipient != nil {
		t.Fatalf("create as received: %v", got)
	}

	obj := actor + "/objects/" + createID[strings.LastIndex(createID, "/")+1:]

	// Like, reply (a mention), Announce of the peer's note; Update and
	// Delete of the owner's: each reaches the peer.
	sent, err := peer.Post("bob", fedipeer.Note{Content: "a note from the peer"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ body, typ, object string }{
		{`{"type":"Like","object":"` + sent.Note + `"}`, "Like", sent.Note},
		{`{"type":"Note","content":"a reply","inReplyTo":"` + sent.Note + `","to":"Public",
			"tag":[{"type":"Mention","href":"` + bob + `"}]}`, "Create", ""},
		{`{"type":"Announce","object":"` + sent.Note + `"}`, "Announce", sent.Note},
		{`{"type":"Update","object":{"id":"` + obj + `","content":"hello, edited"}}`, "Update", obj},
		{`{"type":"Delete","object":"` + obj + `"}`, "Delete", obj},
	} {
		resp, body := ownerPost(t, outbox, tok, key, c.body)
		if resp.StatusCode != 201 {
			t.Fatalf("%s: %d %s", c.typ, resp.StatusCode, body)
		}
		id := resp.Header.Get("Location")
		if _, err := peer.WaitReceived(30*time.Second, func(a fedipeer.Activity) bool {
			return a.Type == c.typ && a.ID == id && a.Actor == actor && (c.object == "" || a.Object == c.object)
		}); err != nil {
			t.Fatalf("the peer did not get the %s: %v", c.typ, err)
		}
	}

	resp, body = ownerPost(t, outbox, tok, key, `{"type":"Undo","object":"`+followID+`"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("undo: %d %s", resp.StatusCode, body)
	}
	undoID := resp.Header.Get("Location")
	if _, err := peer.WaitReceived(30*time.Second, func(a fedipeer.Activity) bool {
		return a.Type == "Undo" && a.ID == undoID && a.Object == followID
	}); err != nil {
		t.Fatal("the peer did not get the Undo: ", err)
	}
	if _, ok, _ := s.fed.Relations().Following(ctx, "alice", bob); ok {
		t.Fatal("still following after the Undo")
	}
}

// Issue 14, locked accounts with the Fedify peer: the peer's Follow of a
// locked pod waits (the inbox keeps it pending); the owner's C2S Accept,
// naming the follower, embeds the peer's Follow, makes the peer a
// follower, and the peer sees its follow accepted; the owner's next
// Create reaches it as a follower.
func TestFederationOutboxFedifyLockedAccept(t *testing.T) {
	peer := fedipeer.Start(t)
	s, base := serveFed(t, func(c *Config) { c.AllowFetch = append(c.AllowFetch, addrPort(t, peer.Origin)) }, "alice")
	ctx := context.Background()
	actor := strings.TrimSuffix(base, "/") + "/.ap/actors/alice"
	bob := peer.ActorIRI("bob")
	records, err := s.store.KV(kv.Federation)
	if err != nil {
		t.Fatal(err)
	}
	if err := federation.SaveSettings(ctx, records, "alice", federation.Settings{Locked: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := peer.Follow("bob", actor); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, ok, err := s.fed.Relations().Pending(ctx, "alice", bob); err != nil || ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the peer's Follow is not pending")
		}
		time.Sleep(50 * time.Millisecond)
	}
	tok, key := ownerToken(t, s, base, "alice")
	resp, body := ownerPost(t, actor+"/outbox", tok, key, `{"type":"Accept","object":"`+bob+`"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("accept: %d %s", resp.StatusCode, body)
	}
	if _, ok, err := s.fed.Relations().Follower(ctx, "alice", bob); err != nil || !ok {
		t.Fatalf("not a follower after the Accept: %v %v", ok, err)
	}
	if err := peer.WaitFollowing(30*time.Second, "bob", actor, "accepted"); err != nil {
		t.Fatal(err)
	}
	resp, body = ownerPost(t, actor+"/outbox", tok, key, `{"type":"Note","content":"to my followers","to":"followers"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	createID := resp.Header.Get("Location")
	if _, err := peer.WaitReceived(30*time.Second, func(a fedipeer.Activity) bool {
		return a.Type == "Create" && a.ID == createID && a.Actor == actor
	}); err != nil {
		t.Fatal("the follower did not get the Create: ", err)
	}
}
