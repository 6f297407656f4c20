package federation

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/event"
)

// Only /<pod>/profile/card, with a valid pod name, is a WebID profile the
// consumer reacts to (issue 14, the actor's Update); every other spelling
// is ignored.
func TestParseProfilePath(t *testing.T) {
	ok := map[string]string{"/alice/profile/card": "alice", "/a-1/profile/card": "a-1"}
	for p, want := range ok {
		if got, yes := parseProfilePath(p); !yes || got != want {
			t.Errorf("%q: %q %v, want %q", p, got, yes, want)
		}
	}
	for _, p := range []string{"", "/", "/profile/card", "alice/profile/card", "/alice/profile/card/",
		"/alice/profile/card.acl", "/alice/profile/card$.ttl", "/Alice/profile/card", "/al ice/profile/card",
		"/alice/x/profile/card", "/../profile/card", "/-alice/profile/card", "/%61lice/profile/card",
		"/<script>/profile/card", "/" + strings.Repeat("a", 600) + "/profile/card", "/alice/profile/card\x00"} {
		if pod, yes := parseProfilePath(p); yes {
			t.Errorf("%q accepted as pod %q", p, pod)
		}
	}
}

// A profile change of a pod that does not exist (or no longer does) is
// handled (skipped), not retried forever; a Delete of the profile sends
// nothing and does not wait.
func TestProfileConsumerSkipsUnknownPods(t *testing.T) {
	f := newFixture(t)
	c := f.svc.ProfileConsumer()
	now := time.Now()
	err := c.Handle(context.Background(), []event.Change{
		{Seq: 1, Kind: event.Update, Path: "/nobody/profile/card", Time: now.Add(-time.Hour)},
		{Seq: 2, Kind: event.Update, Path: "/alice/notes/x", Time: now},
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.Handle(context.Background(), []event.Change{{Seq: 3, Kind: event.Delete, Path: "/nobody/profile/card", Time: now}}); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > DefaultProfileQuiet {
		t.Fatal("a Delete waited for the quiet period")
	}
}

// The outbox's order: an outbox id's own time, else published.
func TestEntryTime(t *testing.T) {
	if got := entryTime("00063a1b2c3d4e5f6a7b8c", nil); got.UnixMicro() != 0x00063a1b2c3d4e {
		t.Fatalf("id time: %v", got)
	}
	if got := entryTime("accept-x", map[string]any{"published": "2026-01-02T03:04:05Z"}); !got.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Fatalf("published: %v", got)
	}
	for _, a := range []map[string]any{nil, {"published": "yesterday"}, {"published": 5}} {
		if got := entryTime("accept-x", a); !got.IsZero() {
			t.Fatalf("%v: %v", a, got)
		}
	}
}
