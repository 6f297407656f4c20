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
	s.add("a", "x", 1, 0)
	s.kick("a", "x")
	st, ok := s.take()
	if !ok || st.token != "a" {
		t.Fatalf("take = %v, %v", st, ok)
	}
	s.add("a", "x", 1, 0)
	s.kick("a", "x") // while busy
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
	s.kick("idle", "x")
	st, _ := s.take()
	s.empty(st)
	if len(s.qs) != 0 || len(s.buckets) != 0 {
		t.Fatalf("idle state kept: %v %v", s.qs, s.buckets)
	}
	s.add("failing", "x", 1, 0)
	s.kick("failing", "x")
	st, _ = s.take()
	since, first := s.failure(st, time.Now())
	if !first || since.IsZero() {
		t.Fatal("first failure not recorded")
	}
	s.retry(st, 30*time.Millisecond, time.Second)
	if _, ok := s.take(); ok {
		t.Fatal("ready before its backoff")
	}
	s.kick("failing", "x") // a new delivery does not cut the backoff short
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
	s.kick("gone", "x")
	s.forget("gone")
	if _, ok := s.take(); ok {
		t.Fatal("a forgotten channel was handed out")
	}
}

// One sender per subscriber: while one of a subscriber's channels is
// being sent, its other channels wait and other subscribers' go first.
func TestSchedulerOneSenderPerSubscriber(t *testing.T) {
	var s scheduler
	s.init(4)
	for _, tok := range []string{"m1", "m2", "m3"} {
		s.add(tok, "many", 1, 0)
		s.kick(tok, "many")
	}
	s.add("o1", "other", 1, 0)
	s.kick("o1", "other")
	first, _ := s.take()
	second, ok := s.take()
	if first.bucket != "many" || !ok || second.bucket != "other" {
		t.Fatalf("took %v then %v, want one of each subscriber", first, second)
	}
	if st, ok := s.take(); ok {
		t.Fatalf("a second channel of a busy subscriber was handed out: %v", st)
	}
	s.done(first, false)
	if st, ok := s.take(); !ok || st.token != "m2" {
		t.Fatalf("after the first: %v, %v; want m2", st, ok)
	}
}
