package ldp

import (
	"context"
	"errors"
	"testing"
	"time"
)

// SECURITY row 15: the RDF memory budget never grants more than its size,
// serves waiters first come, first served, and a waiter that gives up
// does not block the ones behind it.
func TestSecurityRow15MemBudget(t *testing.T) {
	ctx := context.Background()
	b := newMemBudget(100)
	if got, err := b.acquire(ctx, 500, time.Second); err != nil || got != 100 {
		t.Fatalf("oversized request: got %d, %v; want the whole budget", got, err)
	}
	if _, err := b.acquire(ctx, 1, 50*time.Millisecond); !errors.Is(err, errBusy) {
		t.Fatalf("spent budget: %v, want errBusy", err)
	}
	b.release(100)
	if got, _ := b.acquire(ctx, 60, time.Second); got != 60 {
		t.Fatal("60 of 100")
	}
	// A large waiter (50) queues at the head; a small one (10) behind it
	// must not overtake it, though it would fit. The test waits for each
	// to be queued (not for a time), so a busy machine cannot reorder them.
	queued := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			b.mu.Lock()
			k := len(b.waiters)
			b.mu.Unlock()
			if k == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d waiters queued, want %d", k, n)
			}
		}
	}
	bigDone := make(chan error, 1)
	go func() { _, err := b.acquire(ctx, 50, 500*time.Millisecond); bigDone <- err }()
	queued(1)
	smallDone := make(chan error, 1)
	go func() { _, err := b.acquire(ctx, 10, 10*time.Second); smallDone <- err }()
	// The small one is granted only once the large one has left the
	// queue, giving up after its 500 ms.
	if err := <-smallDone; err != nil {
		t.Fatalf("small waiter after the large one left: %v", err)
	}
	b.mu.Lock()
	left := len(b.waiters)
	b.mu.Unlock()
	if left != 0 {
		t.Fatal("small waiter overtook the large one: it was granted while the large one waited")
	}
	if err := <-bigDone; !errors.Is(err, errBusy) {
		t.Fatalf("large waiter: %v", err)
	}
	b.mu.Lock()
	used := b.used
	b.mu.Unlock()
	if used != 70 {
		t.Fatalf("used %d, want 70", used)
	}
}
