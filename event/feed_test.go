package event

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// Fire never blocks, with or without waiters, and wakes every waiter that
// took the signal before it; a waiter that takes it after waits for the
// next Fire (issue 12 item 1: slow consumers do not slow writes).
func TestSignal(t *testing.T) {
	var s Signal
	s.Fire() // nobody waits: returns at once
	a, b := s.Wait(), s.Wait()
	s.Fire()
	for name, ch := range map[string]<-chan struct{}{"a": a, "b": b} {
		select {
		case <-ch:
		default:
			t.Fatalf("waiter %s not woken", name)
		}
	}
	c := s.Wait()
	select {
	case <-c:
		t.Fatal("a waiter that came after Fire was woken by it")
	default:
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				s.Fire()
			}
		})
	}
	wg.Wait()
	<-c
}

// The committer fires the signal on every commit: it costs a lock and, when
// a feed waits, one channel.
func BenchmarkSignalFire(b *testing.B) {
	var s Signal
	b.Run("idle", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.Fire()
		}
	})
	b.Run("waiter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = s.Wait()
			s.Fire()
		}
	})
}

// A failing batch is retried after a backoff that starts short and is
// bounded: lo, doubling, at most hi.
func TestNextBackoff(t *testing.T) {
	ms := time.Millisecond
	var got []time.Duration
	cur := time.Duration(0)
	for range 7 {
		cur = nextBackoff(cur, 10*ms, 100*ms)
		got = append(got, cur)
	}
	want := []time.Duration{10 * ms, 20 * ms, 40 * ms, 80 * ms, 100 * ms, 100 * ms, 100 * ms}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("backoffs %v, want %v", got, want)
	}
	if d := nextBackoff(0, 0, 0); d != DefaultMinBackoff {
		t.Fatalf("first default backoff %v, want %v", d, DefaultMinBackoff)
	}
	if d := nextBackoff(time.Hour, 0, 0); d != DefaultMaxBackoff {
		t.Fatalf("default backoff after an hour %v, want %v", d, DefaultMaxBackoff)
	}
}
