package badgerstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
)

// TestChangeLogOrderUnderLoad hammers the store with concurrent writers
// (creations in shared containers, replacements, deletes) while a poller
// follows the log with a cursor. If an entry ever became visible before a
// lower one, the poller's cursor would skip the lower one, so what the
// poller collected must equal the final log exactly.
func TestChangeLogOrderUnderLoad(t *testing.T) {
	s, _ := openTemp(t, Options{})
	const writers, perWriter = 8, 150
	var done atomic.Bool
	var polled []event.Change
	pollErr := make(chan error, 1)
	go func() {
		var cur event.Cursor
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) {
			finished := done.Load() // read before the last poll
			cs, err := s.Changes(context.Background(), cur, 37)
			if err != nil {
				pollErr <- err
				return
			}
			polled = append(polled, cs...)
			if len(cs) > 0 {
				cur = event.Cursor(cs[len(cs)-1].Seq)
			} else if finished {
				pollErr <- nil
				return
			}
		}
		pollErr <- fmt.Errorf("poller timed out")
	}()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				if err := hammerStep(s, w, i); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	done.Store(true)
	if err := <-pollErr; err != nil {
		t.Fatal(err)
	}
	final := allChanges(t, s)
	if len(polled) != len(final) {
		t.Fatalf("poller saw %d entries, log has %d: an entry became visible before a lower one", len(polled), len(final))
	}
	for i := range final {
		if polled[i] != final[i] {
			t.Fatalf("entry %d: poller saw %+v, log has %+v", i, polled[i], final[i])
		}
		if i > 0 && (final[i].Seq <= final[i-1].Seq || final[i].Time.Before(final[i-1].Time)) {
			t.Fatalf("log out of order at %d: %+v then %+v", i, final[i-1], final[i])
		}
	}
	if s.LastSeq() != final[len(final)-1].Seq {
		t.Fatalf("LastSeq %d, last entry %d", s.LastSeq(), final[len(final)-1].Seq)
	}
}

// hammerStep is one writer operation: mostly creations in a few shared
// containers (some new), plus replacements and deletes.
func hammerStep(s *Store, w, i int) error {
	ctx := context.Background()
	path := fmt.Sprintf("/h%d/w%d-%d", i%3, w, i)
	switch i % 5 {
	case 3: // replace the previous one
		path = fmt.Sprintf("/h%d/w%d-%d", (i-1)%3, w, i-1)
	case 4: // delete it
		return s.Delete(ctx, ldp.DeleteRequest{Path: fmt.Sprintf("/h%d/w%d-%d", (i-2)%3, w, i-2)})
	}
	_, _, err := s.Put(ctx, ldp.PutRequest{Path: path, Body: &patternReader{n: int64(i % 7 * 300)}})
	return err
}

func TestNotify(t *testing.T) {
	s, _ := openTemp(t, Options{})
	ch := s.Notify()
	select {
	case <-ch:
		t.Fatal("notified before any write")
	default:
	}
	before := s.LastSeq()
	putString(t, s, "/n", "x")
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no notification after a commit")
	}
	if s.LastSeq() <= before {
		t.Fatalf("LastSeq %d did not advance past %d", s.LastSeq(), before)
	}
	cs, err := s.Changes(context.Background(), event.Cursor(s.LastSeq()-1), 10)
	if err != nil || len(cs) != 1 || cs[0].Path != "/n" {
		t.Fatalf("Changes after LastSeq-1 = %v, %v", cs, err)
	}
}
