package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/fedipeer"
)

// Issue 14 deliverable 2, both ways with a real Fedify peer, each effect
// checked on the other side: the peer follows the pod owner (accepted) and
// gets her C2S post as a follower; its Like, Announce and reply of that
// post reach her inbox, and its Undo of the Like marks the stored Like;
// she follows the peer (accepted) and its followers-only post reaches her;
// Fedify's RFC 9421 signatures are accepted (it remembers RFC 9421 for
// Naamio's origin, not the cavage fallback); a Block from the peer ends
// both relations, and her Block reaches the peer.
func TestFederationFedifyBothWays(t *testing.T) {
	peer := fedipeer.Start(t)
	e := &fedEnv{}
	e.s, e.base = serveFed(t, func(c *Config) {
		c.AllowFetch = append(c.AllowFetch, addrPort(t, peer.Origin), addrPort(t, c.BaseURL))
	}, "alice")
	ctx := context.Background()
	rel := e.s.fed.Relations()
	alice := e.actor("alice")
	outbox := alice + "/outbox"
	bob := peer.ActorIRI("bob")
	tok, key := ownerToken(t, e.s, e.base, "alice")
	const wait = 30 * time.Second
	post := func(body string) string {
		t.Helper()
		resp, b := ownerPost(t, outbox, tok, key, body)
		if resp.StatusCode != 201 {
			t.Fatalf("C2S %s: %d %s", body, resp.StatusCode, b)
		}
		return resp.Header.Get("Location")
	}
	inboxHas := func(what string, match func(it map[string]any) bool) map[string]any {
		t.Helper()
		var found map[string]any
		waitFor(t, what, func() bool {
			for _, it := range e.inboxItems(t, "alice") {
				if match(it) {
					found = it
					return true
				}
			}
			return false
		})
		return found
	}
	idOf := func(v any) string {
		if m, ok := v.(map[string]any); ok {
			v = m["id"]
		}
		s, _ := v.(string)
		return s
	}

	// The peer follows alice; her public post reaches it as a follower.
	if _, err := peer.Follow("bob", alice); err != nil {
		t.Fatal(err)
	}
	if err := peer.WaitFollowing(wait, "bob", alice, "accepted"); err != nil {
		t.Fatal(err)
	}
	create := post(`{"type":"Note","content":"a post from a pod","to":"Public","cc":"followers"}`)
	if _, err := peer.WaitReceived(wait, func(a fedipeer.Activity) bool { return a.Type == "Create" && a.ID == create }); err != nil {
		t.Fatal("the peer did not get alice's post: ", err)
	}
	note := alice + "/objects/" + create[strings.LastIndex(create, "/")+1:]

	// Its Like, Announce and reply reach alice's inbox; its Undo of the
	// Like marks the stored Like.
	like, err := peer.Like("bob", note)
	if err != nil {
		t.Fatal(err)
	}
	inboxHas("the Like", func(it map[string]any) bool {
		return it["type"] == "Like" && it["actor"] == bob && idOf(it["object"]) == note
	})
	if _, err := peer.Announce("bob", note); err != nil {
		t.Fatal(err)
	}
	inboxHas("the Announce", func(it map[string]any) bool {
		return it["type"] == "Announce" && it["actor"] == bob && idOf(it["object"]) == note
	})
	reply, err := peer.Post("bob", fedipeer.Note{Content: "a reply from the peer", InReplyTo: note})
	if err != nil {
		t.Fatal(err)
	}
	inboxHas("the reply", func(it map[string]any) bool {
		o, _ := it["object"].(map[string]any)
		return it["type"] == "Create" && o != nil && o["id"] == reply.Note && o["inReplyTo"] == note
	})
	if _, err := peer.Undo("bob", like.ID); err != nil {
		t.Fatal(err)
	}
	inboxHas("the Like marked undone", func(it map[string]any) bool {
		b, _ := json.Marshal(it)
		return it["id"] == like.ID && strings.Contains(string(b), "undoneBy")
	})

	// alice follows the peer (Fedify accepts) and gets its followers-only post.
	follow := post(`{"type":"Follow","object":"` + bob + `"}`)
	waitFor(t, "alice's follow accepted", func() bool {
		f, ok, err := rel.Following(ctx, "alice", bob)
		return err == nil && ok && f.FollowID == follow && f.State == "accepted"
	})
	theirs, err := peer.Post("bob", fedipeer.Note{Content: "for my followers", To: "followers"})
	if err != nil {
		t.Fatal(err)
	}
	inboxHas("the peer's followers-only post", func(it map[string]any) bool {
		return it["type"] == "Create" && idOf(it["object"]) == theirs.Note
	})

	// Fedify knocked with RFC 9421 and kept it: Naamio accepted that form.
	if spec, err := peer.SignatureSpec(strings.TrimSuffix(e.base, "/")); err != nil || spec != fedipeer.SigRFC9421 {
		t.Fatalf("signature form Fedify remembered for Naamio: %q %v; want %s", spec, err, fedipeer.SigRFC9421)
	}

	// The peer blocks alice: both relations end at Naamio.
	if _, err := peer.Block("bob", alice); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the peer's Block ends both relations", func() bool {
		_, following, _ := rel.Following(ctx, "alice", bob)
		n, _ := rel.CountFollowers(ctx, "alice")
		return !following && n == 0
	})
	// alice blocks the peer: the peer gets her Block.
	block := post(`{"type":"Block","object":"` + bob + `"}`)
	if _, err := peer.WaitReceived(wait, func(a fedipeer.Activity) bool {
		return a.Type == "Block" && a.ID == block && a.Actor == alice && a.Object == bob
	}); err != nil {
		t.Fatal("the peer did not get alice's Block: ", err)
	}
}
