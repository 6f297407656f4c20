package deliver

import (
	"testing"
	"time"
)

// taker takes deliveries, filling a host's buffer from its entries
// when asked.
type taker struct {
	s       *sched
	entries map[string][]entry
}

func (tk *taker) take(t *testing.T) (*host, entry, bool) {
	t.Helper()
	for range 10 {
		h, e, fill, _, ok := tk.s.take()
		if !ok || !fill {
			return h, e, ok
		}
		tk.s.filled(h, tk.entries[h.name])
		tk.entries[h.name] = nil
	}
	t.Fatal("filling forever")
	return nil, entry{}, false
}

// Per host at most perHost in flight; hosts take turns.
func TestSchedPerHostAndTurns(t *testing.T) {
	var s sched
	s.init(8, 2)
	s.add("a", 3)
	s.add("b", 1)
	tk := &taker{s: &s, entries: map[string][]entry{"a": {{key: "a1"}, {key: "a2"}, {key: "a3"}}, "b": {{key: "b1"}}}}
	h, e, ok := tk.take(t)
	if !ok || h.name != "a" || e.key != "a1" {
		t.Fatalf("first: %v %v %v", h, e, ok)
	}
	h2, e2, ok := tk.take(t)
	if !ok || h2.name != "b" || e2.key != "b1" {
		t.Fatalf("second: %v %v; want b's turn", h2, e2)
	}
	h3, e3, ok := tk.take(t)
	if !ok || e3.key != "a2" {
		t.Fatalf("third: %v %v", h3, e3)
	}
	if _, _, _, _, ok := s.take(); ok {
		t.Fatal("a third delivery of a, or b's second, was handed out")
	}
	s.done(h, e.key, removed, true, 0, 0, 0)
	if _, e4, ok := tk.take(t); !ok || e4.key != "a3" {
		t.Fatalf("after a1: %v %v", e4, ok)
	}
}

// A failure backs the host off; a success of another delivery in flight
// ends the backoff, but not the pause a Retry-After asked for, and a
// shorter backoff does not cut that pause short.
func TestSchedBackoffAndRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name      string
		askFor    time.Duration
		readySoon bool
	}{{"backoff", 0, true}, {"retry-after", time.Hour, false}} {
		t.Run(tc.name, func(t *testing.T) {
			var s sched
			s.init(8, 2)
			s.add("a", 3)
			tk := &taker{s: &s, entries: map[string][]entry{"a": {{key: "1"}, {key: "2"}, {key: "3"}}}}
			_, e1, _ := tk.take(t)
			h, e2, _ := tk.take(t)
			s.done(h, e1.key, requeued, false, tc.askFor, time.Hour, time.Hour)
			if _, _, _, _, ok := s.take(); ok {
				t.Fatal("a backing-off host was handed out")
			}
			s.done(h, e2.key, removed, true, 0, 0, 0)
			_, _, _, _, ok := s.take()
			if ok != tc.readySoon {
				t.Fatalf("ready after a success: %v, want %v", ok, tc.readySoon)
			}
		})
	}
	var s sched
	s.init(8, 2)
	s.add("a", 3)
	tk := &taker{s: &s, entries: map[string][]entry{"a": {{key: "1"}, {key: "2"}, {key: "3"}}}}
	_, e1, _ := tk.take(t)
	h, e2, _ := tk.take(t)
	s.done(h, e1.key, requeued, false, time.Hour, time.Millisecond, time.Hour)
	s.done(h, e2.key, requeued, false, 0, time.Millisecond, time.Hour)
	time.Sleep(20 * time.Millisecond)
	if _, _, _, _, ok := s.take(); ok {
		t.Fatal("a shorter backoff cut a Retry-After short")
	}
	s.stop()
}
