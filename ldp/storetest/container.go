package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/naamio/naamio/ldp"
)

// testContainerETag: a container's validator covers its listing, so it
// changes (and Modified advances) when a child is added, changed or
// removed; Stat and Open agree.
func testContainerETag(t *testing.T, s ldp.Store) {
	ctx := context.Background()
	put(t, s, "/k/", "")
	prev := stat(t, s, "/k/")
	step := func(what string, write func()) {
		t.Helper()
		write()
		cur := stat(t, s, "/k/")
		if cur.ETag == prev.ETag {
			t.Fatalf("%s: container ETag unchanged (%s)", what, cur.ETag)
		}
		if !cur.Modified.After(prev.Modified) {
			t.Fatalf("%s: Modified %v did not advance past %v", what, cur.Modified, prev.Modified)
		}
		opened, _ := read(t, s, "/k/")
		if opened.ETag != cur.ETag || !opened.Modified.Equal(cur.Modified) {
			t.Fatalf("%s: Open meta %+v differs from Stat %+v", what, opened, cur)
		}
		prev = cur
	}
	step("add child", func() { put(t, s, "/k/a", "1") })
	step("add second child", func() { put(t, s, "/k/b", "2") })
	step("change child", func() { put(t, s, "/k/a", "changed") })
	step("remove child", func() {
		if err := s.Delete(ctx, ldp.DeleteRequest{Path: "/k/b"}); err != nil {
			t.Fatal(err)
		}
	})
	step("add child container", func() { put(t, s, "/k/sub/", "") })
}

// testUnchangedWriteKeepsState: rewriting the same bytes changes neither
// the resource's ETag nor its Modified, and so neither its container's:
// a listing shows child times, and must not change under one validator.
func testUnchangedWriteKeepsState(t *testing.T, s ldp.Store) {
	put(t, s, "/u/doc", "same")
	doc, dir := stat(t, s, "/u/doc"), stat(t, s, "/u/")
	again := put(t, s, "/u/doc", "same")
	if again.ETag != doc.ETag || !again.Modified.Equal(doc.Modified) {
		t.Fatalf("Put of the same bytes returned %+v, was %+v", again, doc)
	}
	if cur := stat(t, s, "/u/doc"); cur.ETag != doc.ETag || !cur.Modified.Equal(doc.Modified) {
		t.Fatalf("same bytes changed the resource: %+v, was %+v", cur, doc)
	}
	if cur := stat(t, s, "/u/"); cur.ETag != dir.ETag || !cur.Modified.Equal(dir.Modified) {
		t.Fatalf("same bytes changed the container: %+v, was %+v", cur, dir)
	}
	changed := put(t, s, "/u/doc", "other")
	if changed.ETag == doc.ETag || !changed.Modified.After(doc.Modified) {
		t.Fatalf("new bytes kept the old state: %+v, was %+v", changed, doc)
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
