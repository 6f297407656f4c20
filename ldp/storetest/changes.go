package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
)

func testChanges(t *testing.T, s ldp.Store) {
	ctx := context.Background()
	before := lastSeq(t, s)
	for _, p := range []string{"/c1", "/c2", "/c3", "/c4", "/c5"} {
		put(t, s, p, p)
	}
	if err := s.Delete(ctx, ldp.DeleteRequest{Path: "/c2"}); err != nil {
		t.Fatal(err)
	}
	all, err := s.Changes(ctx, event.Cursor(before), 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Create /c1", "Create /c2", "Create /c3", "Create /c4", "Create /c5", "Delete /c2"}
	if !equal(summary(all), want) {
		t.Fatalf("Changes = %v, want %v", summary(all), want)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Seq <= all[i-1].Seq || all[i].Time.Before(all[i-1].Time) {
			t.Fatalf("entries %+v then %+v out of order", all[i-1], all[i])
		}
	}
	page, err := s.Changes(ctx, event.Cursor(all[1].Seq), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].Seq != all[2].Seq || page[1].Seq != all[3].Seq {
		t.Fatalf("Changes(after %d, 2) = %v, want entries 3 and 4", all[1].Seq, page)
	}
	rest, err := s.Changes(ctx, event.Cursor(all[len(all)-1].Seq), 10)
	if err != nil || len(rest) != 0 {
		t.Fatalf("Changes after the last = %v, %v; want none", rest, err)
	}
	if one, err := s.Changes(ctx, event.Cursor(before), 1); err != nil || len(one) != 1 || one[0].Seq != all[0].Seq {
		t.Fatalf("Changes(limit 1) = %v, %v", one, err)
	}
}

// testChangeOrigins: every entry keeps the Origin of the write that caused
// it, the intermediate containers a Put creates and the auxiliary
// resources a Delete removes included (issue 11 item 3).
func testChangeOrigins(t *testing.T, s ldp.Store) {
	ctx := context.Background()
	before := lastSeq(t, s)
	const alice, bob = "https://alice.example/profile/card#me", "https://bob.example/profile/card#me"
	if _, _, err := s.Put(ctx, ldp.PutRequest{Path: "/o/deep/a", Body: strings.NewReader("a"), Origin: alice}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Put(ctx, ldp.PutRequest{Path: "/o/deep/a.meta", Aux: true, RDF: true, Origin: bob}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Put(ctx, ldp.PutRequest{Path: "/o/deep/a", Body: strings.NewReader("b"), Origin: event.OriginAnonymous}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, ldp.DeleteRequest{Path: "/o/deep/a", Aux: []string{"/o/deep/a.meta"}, Origin: event.OriginSetup}); err != nil {
		t.Fatal(err)
	}
	all, err := s.Changes(ctx, event.Cursor(before), 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range all {
		got = append(got, string(c.Kind)+" "+c.Path+" "+c.Origin)
	}
	want := []string{
		"Create /o/ " + alice, "Create /o/deep/ " + alice, "Create /o/deep/a " + alice,
		"Create /o/deep/a.meta " + bob,
		"Update /o/deep/a " + event.OriginAnonymous,
		"Delete /o/deep/a " + event.OriginSetup, "Delete /o/deep/a.meta " + event.OriginSetup,
	}
	if !equal(got, want) {
		t.Fatalf("Changes = %q,\nwant %q", got, want)
	}
}
