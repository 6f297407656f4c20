package deliver

import (
	"sync"
	"time"
)

// sched hands the hosts with pending deliveries to the senders, hosts in
// turn: at most perHost deliveries of one host in flight, none of a host
// waiting for its backoff. A host's deliveries are read from the queue a
// batch at a time (fill), so the memory it takes does not grow with what
// is queued.
//
// A failing host (its last delivery failed) is probed with one delivery
// at a time, and the failing hosts together have at most half of the
// senders (maxProbing): many dead peers, common among a long-lived
// account's followers, leave the rest to the live ones.
type sched struct {
	mu         sync.Mutex
	perHost    int
	maxProbing int
	probing    int // deliveries in flight to failing hosts
	hosts      map[string]*host
	ready      []*host // hosts that may take another delivery, in turn
	parked     []*host // failing hosts waiting for a probing slot
	wake       chan struct{}
	stopped    bool
}

// host is one host's delivery state.
type host struct {
	name     string
	n        int                 // deliveries queued, those in flight included
	inflight map[string]struct{} // keys being sent
	buf      []entry             // read from the queue, not in flight, oldest first
	filling  bool                // a sender is reading the queue into buf
	queued   bool                // in sched.ready
	parked   bool                // in sched.parked
	probes   int                 // deliveries in flight taken while failing
	timer    *time.Timer         // backoff: ready again when it fires
	until    time.Time           // when the timer fires
	asked    bool                // the timer is the peer's Retry-After: a success does not end it
	backoff  time.Duration
	since    time.Time // first failure since the last success
}

// entry is one delivery read from the queue.
type entry struct {
	key string
	it  item
}

func (s *sched) init(workers, perHost int) {
	s.perHost = perHost
	s.maxProbing = max(1, workers/2)
	s.hosts = map[string]*host{}
	s.wake = make(chan struct{}, workers)
}

func (s *sched) get(name string) *host {
	h := s.hosts[name]
	if h == nil {
		h = &host{name: name, inflight: map[string]struct{}{}}
		s.hosts[name] = h
	}
	return h
}

// add counts k more deliveries queued for host name.
func (s *sched) add(name string, k int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.get(name)
	h.n += k
	s.readyLocked(h)
}

// limit is how many deliveries of h may be in flight.
func (s *sched) limit(h *host) int {
	if !h.since.IsZero() {
		return 1 // failing: one probe at a time
	}
	return s.perHost
}

// mayTake reports whether h may take another delivery now; a failing
// host that only lacks a probing slot is parked.
func (s *sched) mayTake(h *host) bool {
	if h.filling || h.timer != nil || s.stopped || len(h.inflight) >= s.limit(h) || h.n <= len(h.inflight) {
		return false
	}
	if !h.since.IsZero() && s.probing >= s.maxProbing {
		if !h.parked {
			h.parked = true
			s.parked = append(s.parked, h)
		}
		return false
	}
	return true
}

// readyLocked puts h in line if it may take another delivery.
func (s *sched) readyLocked(h *host) {
	if h.parked {
		if !h.since.IsZero() {
			return // waits for a probing slot
		}
		h.parked = false // answered meanwhile: its entry in s.parked is skipped
	}
	if h.queued || !s.mayTake(h) {
		return
	}
	h.queued = true
	s.ready = append(s.ready, h)
	s.signal()
}

// unparkLocked readies parked hosts while probing slots are free.
func (s *sched) unparkLocked() {
	for len(s.parked) > 0 && s.probing < s.maxProbing {
		h := s.parked[0]
		s.parked[0] = nil
		s.parked = s.parked[1:]
		if !h.parked {
			continue // unparked already
		}
		h.parked = false
		s.readyLocked(h)
		s.dropIdleLocked(h)
	}
}

func (s *sched) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take gives a sender the next delivery of the next ready host (fill
// false), or a host whose queue it must read first (fill true; excl are
// the keys in flight, which the read skips). ok is false when no host is
// ready.
func (s *sched) take() (h *host, e entry, fill bool, excl map[string]struct{}, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.ready) > 0 {
		h = s.ready[0]
		s.ready[0] = nil
		s.ready = s.ready[1:]
		h.queued = false
		if h.parked || !s.mayTake(h) {
			continue
		}
		if len(s.ready) > 0 {
			s.signal() // more work: another sender looks
		}
		if len(h.buf) == 0 {
			h.filling = true
			excl = make(map[string]struct{}, len(h.inflight))
			for k := range h.inflight {
				excl[k] = struct{}{}
			}
			return h, entry{}, true, excl, true
		}
		e = h.buf[0]
		h.buf[0] = entry{}
		h.buf = h.buf[1:]
		h.inflight[e.key] = struct{}{}
		if !h.since.IsZero() {
			h.probes++
			s.probing++
		}
		s.readyLocked(h) // behind the other ready hosts
		return h, e, false, nil, true
	}
	return nil, entry{}, false, nil, false
}

// filled ends a fill of h with what was read.
func (s *sched) filled(h *host, es []entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h.filling = false
	h.buf = es
	if len(es) == 0 {
		h.n = len(h.inflight) // nothing else in the queue
	}
	s.readyLocked(h)
	s.dropIdleLocked(h)
}

// fillFailed ends a fill of h that could not read the queue: h is
// tried again after delay.
func (s *sched) fillFailed(h *host, delay time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h.filling = false
	s.afterLocked(h, delay)
}

// outcome of one delivery for the scheduler.
type outcome int

const (
	removed   outcome = iota // off the queue: delivered or dropped
	requeued                 // failed, back in the queue: the host backs off
	untouched                // not tried (shutdown, store error): still queued
)

// done: the sender is finished with e of h. For requeued, the host waits
// delay (at least its next backoff). It reports whether h has nothing
// left to send.
func (s *sched) done(h *host, key string, o outcome, ok bool, delay, lo, hi time.Duration) (empty bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(h.inflight, key)
	if h.probes > 0 {
		h.probes--
		s.probing--
		defer s.unparkLocked()
	}
	switch o {
	case removed:
		h.n = max(h.n-1, len(h.inflight))
	case requeued:
		h.backoff = min(max(h.backoff*2, lo), hi)
		if h.since.IsZero() {
			h.since = time.Now()
		}
		if d := max(delay, h.backoff); h.timer == nil || time.Now().Add(d).After(h.until) {
			h.asked = delay > 0 && delay >= h.backoff
			s.afterLocked(h, d)
		}
	case untouched:
		if delay > 0 && (h.timer == nil || time.Now().Add(delay).After(h.until)) {
			h.asked = false
			s.afterLocked(h, delay)
		}
	}
	if ok {
		// The host answers: its backoff ends, unless it asked for the
		// pause (Retry-After).
		h.backoff, h.since = 0, time.Time{}
		if h.timer != nil && !h.asked {
			h.timer.Stop()
			h.timer = nil
		}
	}
	s.readyLocked(h)
	s.dropIdleLocked(h)
	return h.n == 0 && len(h.inflight) == 0
}

// afterLocked makes h ready again after d, or when its pending timer
// fires if that is later.
func (s *sched) afterLocked(h *host, d time.Duration) {
	if s.stopped {
		return
	}
	until := time.Now().Add(d)
	if h.timer != nil {
		if h.until.After(until) {
			return
		}
		h.timer.Stop()
	}
	h.until = until
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if h.timer == t {
			h.timer = nil
			s.readyLocked(h)
		}
	})
	h.timer = t
}

// failing restores a failure mark of a previous run.
func (s *sched) failing(name string, since time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.get(name).since = since
}

// failingSince is when h's unbroken run of failures began (zero: none).
func (s *sched) failingSince(h *host) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return h.since
}

// dropIdleLocked lets an idle host's state go (a new delivery makes a new
// one), so hosts that come and go leave nothing behind.
func (s *sched) dropIdleLocked(h *host) {
	if h.n == 0 && len(h.inflight) == 0 && !h.filling && !h.queued && !h.parked && h.timer == nil && s.hosts[h.name] == h {
		delete(s.hosts, h.name)
	}
}

// stop cancels every pending backoff (Run has ended).
func (s *sched) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	for _, h := range s.hosts {
		if h.timer != nil {
			h.timer.Stop()
			h.timer = nil
		}
	}
}
