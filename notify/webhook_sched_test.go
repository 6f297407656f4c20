package notify

import (
	"testing"
	"time"
)

// A delivery queued while a sender is looking at the channel's queue is
// not lost: the kick is remembered and the channel is ready again when
// the sender is done, even when it had found the queue empty.
func TestSchedulerKickWhileBusy(t *testing.T) {
	var s scheduler
	s.init(1)
	s.add("a", 1, 0)
	s.kick("a")
	st, ok := s.take()
	if !ok || st.token != "a" {
		t.Fatalf("take = %v, %v", st, ok)
	}
	s.add("a", 1, 0)
	s.kick("a") // while busy
	if _, ok := s.take(); ok {
		t.Fatal("a busy channel was handed to a second sender")
	}
	s.empty(st) // the sender had looked before the new delivery was written
	if st2, ok := s.take(); !ok || st2.token != "a" {
		t.Fatal("the kick while busy was lost")
	}
}

// An idle channel's state is let go; a failing one waits for its backoff
// and keeps its failure time; a forgotten one is never handed out again.
func TestSchedulerStates(t *testing.T) {
	var s scheduler
	s.init(1)
	s.kick("idle")
	st, _ := s.take()
	s.empty(st)
	if len(s.qs) != 0 {
		t.Fatalf("idle state kept: %v", s.qs)
	}
	s.add("failing", 1, 0)
	s.kick("failing")
	st, _ = s.take()
	since, first := s.failure(st, time.Now())
	if !first || since.IsZero() {
		t.Fatal("first failure not recorded")
	}
	s.retry(st, 30*time.Millisecond, time.Second)
	if _, ok := s.take(); ok {
		t.Fatal("ready before its backoff")
	}
	s.kick("failing") // a new delivery does not cut the backoff short
	if _, ok := s.take(); ok {
		t.Fatal("a kick cut the backoff short")
	}
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if st, ok := s.take(); ok {
			if st.since != since {
				t.Fatal("failure time lost")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready after the backoff")
		}
	}
	s.forget("failing")
	s.kick("gone")
	s.forget("gone")
	if _, ok := s.take(); ok {
		t.Fatal("a forgotten channel was handed out")
	}
}
