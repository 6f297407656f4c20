package badgerstore

import (
	"context"
	"testing"
	"time"

	"github.com/naamio/naamio/event"
)

// DeleteChanges removes only entries that are both passed (Seq <= upTo) and
// old enough, never the newest entry, and a reopened store numbers its next
// entry after the last one it ever wrote (issue 12 item 1, retention).
func TestDeleteChanges(t *testing.T) {
	ctx := context.Background()
	s, dir := openTemp(t, Options{DiskReserve: -1})
	for _, p := range []string{"/r1", "/r2", "/r3", "/r4"} {
		putString(t, s, p, p)
	}
	all := allChanges(t, s)
	mid := all[len(all)-2].Seq // every entry but the last is passed
	if n, err := s.DeleteChanges(ctx, event.Cursor(mid), all[0].Time); err != nil || n != 0 {
		t.Fatalf("DeleteChanges(older than the first) = %d, %v; want 0", n, err)
	}
	future := time.Now().Add(time.Hour)
	n, err := s.DeleteChanges(ctx, event.Cursor(mid), future)
	if err != nil {
		t.Fatal(err)
	}
	left := allChanges(t, s)
	if n != len(all)-1 || len(left) != 1 || left[0].Seq != all[len(all)-1].Seq {
		t.Fatalf("DeleteChanges(upTo %d) removed %d, left %v; want all but the last", mid, n, left)
	}
	// Everything passed and old: the newest entry still stays.
	if n, err := s.DeleteChanges(ctx, ^event.Cursor(0), future); err != nil || n != 0 {
		t.Fatalf("DeleteChanges(all) = %d, %v; want the newest kept", n, err)
	}
	last := left[0].Seq
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir, Options{DiskReserve: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	putString(t, s2, "/r5", "5")
	after := allChanges(t, s2)
	if len(after) != 2 || after[1].Seq <= last || after[1].Path != "/r5" {
		t.Fatalf("after reopening: %v; want the kept entry then /r5 numbered after %d", after, last)
	}
}

// Retention works in batches: a backlog larger than one transaction's
// share is removed whole.
func TestDeleteChangesBatches(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t, Options{DiskReserve: -1})
	for i := range retentionBatch + 10 {
		putString(t, s, "/b", string(rune('a'+i%26)))
	}
	total := len(allChanges(t, s))
	n, err := s.DeleteChanges(ctx, ^event.Cursor(0), time.Now().Add(time.Hour))
	if err != nil || n != total-1 || len(allChanges(t, s)) != 1 {
		t.Fatalf("DeleteChanges = %d, %v; want %d removed and 1 left", n, err, total-1)
	}
}
