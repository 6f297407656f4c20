package modules

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// runLanes keeps each resource's events in order, runs several resources
// at once (at most reactLanes), and stops a resource at its first
// failure while the others go on.
func TestRunLanes(t *testing.T) {
	var batch []queuedEvent
	for i := 0; i < 10; i++ {
		for _, r := range []string{"a", "b", "c", "d", "e"} {
			q := queuedEvent{key: fmt.Sprintf("%s%02d", r, i)}
			q.p.Event.Object = r
			batch = append(batch, q)
		}
	}
	var mu sync.Mutex
	seen := map[string][]string{}
	var running, most atomic.Int32
	done, failed := runLanes(batch, func() bool { return false }, func(q queuedEvent) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond) // a write's sync, say
		mu.Lock()
		seen[q.p.Event.Object] = append(seen[q.p.Event.Object], q.key)
		mu.Unlock()
		if q.key == "b03" {
			return errors.New("b03 fails")
		}
		return nil
	})
	for r, keys := range seen {
		if !sort.StringsAreSorted(keys) {
			t.Errorf("resource %s ran out of order: %v", r, keys)
		}
	}
	if got := len(seen["b"]); got != 4 {
		t.Errorf("b ran %d events; want 4 (up to its failure)", got)
	}
	if len(failed) != 1 || failed[0].q.key != "b03" {
		t.Errorf("failed = %+v; want b03 only", failed)
	}
	if len(done) != 4*10+3 {
		t.Errorf("%d events done; want 43", len(done))
	}
	if m := most.Load(); m < 2 || m > reactLanes {
		t.Errorf("at most %d ran at once; want 2..%d", m, reactLanes)
	}

	// Stopped: nothing more runs, and a failure then is no failure.
	stop := atomic.Bool{}
	done, failed = runLanes(batch, stop.Load, func(q queuedEvent) error {
		stop.Store(true)
		return errors.New("stopped mid-call")
	})
	if len(done) != 0 || len(failed) != 0 {
		t.Errorf("after stopping: done %v, failed %v", done, failed)
	}
}
