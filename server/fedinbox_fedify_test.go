package server

import (
	"testing"
	"time"

	"github.com/naamio/naamio/internal/fedipeer"
)

// Issue 14 with a real Fedify peer: its bob follows alice and is accepted
// (Naamio's Accept, signed with alice's key, is accepted by Fedify: bob's
// following state becomes "accepted"); bob's note mentioning alice
// reaches her inbox (through the shared inbox), and his Update and Delete
// change the stored copy (edited text, then a Tombstone).
func TestInboxFedifyPeer(t *testing.T) {
	peer := fedipeer.Start(t)
	e := &fedEnv{}
	e.s, e.base = serveFed(t, func(c *Config) {
		c.AllowFetch = append(c.AllowFetch, addrPort(t, peer.Origin), addrPort(t, c.BaseURL))
	}, "alice", "bob")
	alice := e.actor("alice")
	const wait = 30 * time.Second

	if _, err := peer.Follow("bob", alice); err != nil {
		t.Fatal(err)
	}
	if err := peer.WaitFollowing(wait, "bob", alice, "accepted"); err != nil {
		t.Fatal(err)
	}
	sent, err := peer.Post("bob", fedipeer.Note{Content: "hello alice", Mention: alice})
	if err != nil {
		t.Fatal(err)
	}
	stored := func() map[string]any {
		for _, it := range e.inboxItems(t, "alice") {
			if o, ok := it["object"].(map[string]any); ok && o["id"] == sent.Note && it["type"] == "Create" {
				return o
			}
		}
		return nil
	}
	if o := stored(); o == nil || o["content"] == nil {
		t.Fatalf("the Create did not reach alice's inbox: %v", e.inboxItems(t, "alice"))
	}
	if _, err := peer.Update("bob", sent.Note, "edited text"); err != nil {
		t.Fatal(err)
	}
	if o := stored(); o == nil || o["content"] != "edited text" {
		t.Fatalf("after the Update: %v", o)
	}
	if _, err := peer.Delete("bob", sent.Note); err != nil {
		t.Fatal(err)
	}
	if o := stored(); o == nil || o["type"] != "Tombstone" {
		t.Fatalf("after the Delete: %v", o)
	}
}
