package federation

import (
	"context"
	"errors"
	"testing"

	"github.com/naamio/naamio/event"
)

// TestOutboxEffects: the local effects of the owner's activities on the
// relations (issue 14, C2S): Follow → pending following with the Follow's
// id; Undo of it → forgotten; Block → blocked and no longer a follower;
// Undo of the Block → lifted; Accept of a waiting Follow → a follower;
// Reject → the request dropped, no follower.
func TestOutboxEffects(t *testing.T) {
	f := newOutboxFixture(t)
	p := f.addPod("alice", "Alice")
	ctx := context.Background()
	rel := f.svc.Relations()
	post := func(body string) string {
		t.Helper()
		resp := f.post("alice", p.WebID, "application/activity+json", body)
		if resp.StatusCode != 201 {
			t.Fatalf("%s: %d", body, resp.StatusCode)
		}
		return resp.Header.Get("Location")
	}
	const bob, carol, dave = "https://r.example/users/bob", "https://r.example/users/carol", "https://r.example/users/dave"

	follow := post(`{"type":"Follow","object":"` + bob + `"}`)
	if fd, ok, err := rel.Following(ctx, "alice", bob); err != nil || !ok || fd.State != FollowPending || fd.FollowID != follow {
		t.Fatalf("after Follow: %+v %v %v", fd, ok, err)
	}
	post(`{"type":"Undo","object":"` + follow + `"}`)
	if _, ok, _ := rel.Following(ctx, "alice", bob); ok {
		t.Fatal("still following after Undo")
	}

	if err := rel.AddFollower(ctx, "alice", Follower{Actor: carol, Inbox: carol + "/inbox"}); err != nil {
		t.Fatal(err)
	}
	block := post(`{"type":"Block","object":"` + carol + `"}`)
	if b, _ := rel.Blocked(ctx, "alice", carol); !b {
		t.Fatal("not blocked")
	}
	if _, ok, _ := rel.Follower(ctx, "alice", carol); ok {
		t.Fatal("a blocked actor is still a follower")
	}
	post(`{"type":"Undo","object":"` + block + `"}`)
	if b, _ := rel.Blocked(ctx, "alice", carol); b {
		t.Fatal("still blocked after Undo")
	}

	for _, who := range []string{bob, dave} {
		if err := rel.SetPending(ctx, "alice", Follower{Actor: who, Inbox: who + "/inbox"}, who+"/follows/1"); err != nil {
			t.Fatal(err)
		}
	}
	post(`{"type":"Accept","object":"` + bob + `/follows/1"}`) // by the Follow's id
	post(`{"type":"Reject","object":"` + dave + `"}`)          // by its actor
	if _, ok, _ := rel.Follower(ctx, "alice", bob); !ok {
		t.Fatal("the accepted actor is no follower")
	}
	if _, ok, _ := rel.Follower(ctx, "alice", dave); ok {
		t.Fatal("the rejected actor is a follower")
	}
	for _, who := range []string{bob, dave} {
		if _, ok, _ := rel.Pending(ctx, "alice", who); ok {
			t.Fatalf("%s still pending", who)
		}
	}
	if resp := f.post("alice", p.WebID, "application/activity+json", `{"type":"Accept","object":"`+bob+`"}`); resp.StatusCode != 422 {
		t.Fatalf("a second Accept: %d", resp.StatusCode)
	}
}

// TestOutboxConsumerSendsOnlyServerWrites: the delivery consumer sends
// only activities the server created in an outbox (change-log origin
// naamio:federation, kind Create): an activity-shaped file the owner (or
// an app) writes into <pod>/outbox/ through LDP is never signed and sent,
// nor is the rewrite of a Create by a later Update or Delete.
func TestOutboxConsumerSendsOnlyServerWrites(t *testing.T) {
	f := newOutboxFixture(t)
	p := f.addPod("alice", "Alice")
	ctx := context.Background()
	if err := f.svc.Relations().AddFollower(ctx, "alice", Follower{Actor: "https://r.example/u/c", Inbox: "https://r.example/u/c/inbox"}); err != nil {
		t.Fatal(err)
	}
	resp := f.post("alice", p.WebID, "application/activity+json", `{"type":"Note","content":"x","to":"followers"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("post: %d", resp.StatusCode)
	}
	rt, _ := f.paths.ParseIRI(resp.Header.Get("Location"))
	path := "/alice/outbox/" + rt.ID
	c := f.svc.OutboxConsumer()
	// This service has no delivery queue: a send it attempts fails, which
	// shows that it would have sent.
	if err := c.Handle(ctx, []event.Change{{Seq: 1, Kind: event.Create, Path: path, Origin: OriginFederation}}); !errors.Is(err, errNoDelivery) {
		t.Fatalf("the server's own Create was not sent: %v", err)
	}
	for _, ch := range []event.Change{
		{Seq: 2, Kind: event.Create, Path: path, Origin: p.WebID},
		{Seq: 3, Kind: event.Create, Path: path, Origin: event.OriginAnonymous},
		{Seq: 4, Kind: event.Update, Path: path, Origin: OriginFederation},
		{Seq: 5, Kind: event.Create, Path: "/alice/outbox/", Origin: OriginFederation},
		{Seq: 6, Kind: event.Create, Path: "/alice/inbox/" + rt.ID, Origin: OriginFederation},
	} {
		if err := c.Handle(ctx, []event.Change{ch}); err != nil {
			t.Fatalf("%+v was sent: %v", ch, err)
		}
	}
}
