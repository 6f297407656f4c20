package event

import (
	"context"
	"sync"
	"time"
)

// Consumer reacts to committed changes. notify/, federation/ and modules/
// each register one (or more) with the Feed; the Feed calls Handle with
// the entries after the consumer's durable cursor, in commit order, and
// moves the cursor past them only once Handle returned nil. A crash
// between Handle and the cursor's save offers the batch again, so Handle
// must be idempotent (at-least-once delivery).
type Consumer interface {
	// Name is the consumer's durable identity: its cursor is kept under
	// it. Renaming a consumer starts it over from the oldest entry kept.
	Name() string
	// Handle processes cs (never empty, Seq ascending). An error means
	// "not handled": the same entries are offered again after a backoff.
	Handle(ctx context.Context, cs []Change) error
}

// Cursors keeps each consumer's cursor durably. The server implements it
// on a KV namespace (kv.Cursors).
type Cursors interface {
	// Load returns the saved cursor of name, or 0 (ok false) if none.
	Load(ctx context.Context, name string) (c Cursor, ok bool, err error)
	// Save stores c as name's cursor; it is durable when Save returns.
	Save(ctx context.Context, name string, c Cursor) error
}

// Signal wakes feeds when the store commits. Fire never blocks and never
// allocates for nobody: the committer calls it on every commit
// (badgerstore.Options.OnCommit), so a slow or stuck consumer cannot slow
// writes. The zero Signal is ready to use.
type Signal struct {
	mu    sync.Mutex
	ch    chan struct{}
	taken bool // someone waits on ch: Fire closes it
}

// Fire wakes every feed waiting on the signal.
func (s *Signal) Fire() {
	s.mu.Lock()
	if s.taken {
		close(s.ch)
		s.ch, s.taken = nil, false
	}
	s.mu.Unlock()
}

// Wait returns a channel that is closed by the next Fire. Take it before
// reading the log, so a commit between the read and the wait is not missed.
func (s *Signal) Wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	s.taken = true
	return s.ch
}

// Feed defaults.
const (
	DefaultBatch      = 100
	DefaultPoll       = time.Minute
	DefaultMinBackoff = 50 * time.Millisecond
	DefaultMaxBackoff = 10 * time.Second
)

// Feed runs consumers over the change log: the one consumer loop.
type Feed struct {
	Log     Log
	Cursors Cursors
	// Wake is fired on every commit; nil means the feed only polls.
	Wake *Signal
	// Batch is the most entries one Handle gets (0: DefaultBatch).
	Batch int
	// Poll is how long an idle feed waits without a wake-up before it
	// reads the log again, a safety net only (0: DefaultPoll).
	Poll time.Duration
	// MinBackoff and MaxBackoff bound the wait before a failed batch (or
	// a failed read or save) is tried again; it doubles from the first
	// to the second (0: the defaults).
	MinBackoff, MaxBackoff time.Duration
	// Problems, when set, is told of every failure (a Handle error, a log
	// read or cursor save that failed); the feed retries on its own.
	Problems func(consumer string, err error)
}

// Run feeds c until ctx is done, starting after c's saved cursor (from the
// oldest entry kept when it has none). It returns ctx's error. One Run per
// consumer name at a time: two would save the same cursor.
func (f *Feed) Run(ctx context.Context, c Consumer) error {
	name := c.Name()
	r := runner{f: f, name: name}
	var cur Cursor
	for {
		saved, _, err := f.Cursors.Load(ctx, name)
		if err == nil {
			cur = saved
			break
		}
		if !r.fail(ctx, err) {
			return ctx.Err()
		}
	}
	for {
		var wake <-chan struct{}
		if f.Wake != nil {
			wake = f.Wake.Wait()
		}
		cs, err := f.Log.Changes(ctx, cur, f.batch())
		if err == nil && len(cs) > 0 {
			err = c.Handle(ctx, cs)
			if err == nil {
				next := Cursor(cs[len(cs)-1].Seq)
				// The batch is handled: save that even when shutdown has
				// begun meanwhile (the worker group waits for Run before
				// the store closes), so a clean stop offers nothing again.
				// A failed save only means the batch may be offered again
				// after a restart (at-least-once).
				if serr := f.Cursors.Save(context.WithoutCancel(ctx), name, next); serr != nil && ctx.Err() == nil {
					r.report(serr)
				}
				cur = next
				r.backoff = 0
				continue
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			if !r.fail(ctx, err) {
				return ctx.Err()
			}
			continue
		}
		r.backoff = 0
		if !idle(ctx, wake, f.poll()) {
			return ctx.Err()
		}
	}
}

// Passed is the cursor every one of names has passed: the lowest saved
// cursor, 0 if any has none. With no names, every entry is passed.
func (f *Feed) Passed(ctx context.Context, names ...string) (Cursor, error) {
	min := ^Cursor(0)
	for _, n := range names {
		c, ok, err := f.Cursors.Load(ctx, n)
		if err != nil {
			return 0, err
		}
		if !ok {
			c = 0
		}
		if c < min {
			min = c
		}
	}
	return min, nil
}

func (f *Feed) batch() int {
	if f.Batch > 0 {
		return f.Batch
	}
	return DefaultBatch
}

func (f *Feed) poll() time.Duration {
	if f.Poll > 0 {
		return f.Poll
	}
	return DefaultPoll
}

// runner is one Run's failure state.
type runner struct {
	f       *Feed
	name    string
	backoff time.Duration
}

func (r *runner) report(err error) {
	if r.f.Problems != nil {
		r.f.Problems(r.name, err)
	}
}

// fail reports err and waits the next backoff; false when ctx ended.
func (r *runner) fail(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	r.report(err)
	r.backoff = nextBackoff(r.backoff, r.f.MinBackoff, r.f.MaxBackoff)
	return idle(ctx, nil, r.backoff)
}

// nextBackoff is the wait after one more failure, when the last wait was
// cur (0 after a success): lo, then doubling, never above hi (lo, hi <= 0:
// the defaults).
func nextBackoff(cur, lo, hi time.Duration) time.Duration {
	if lo <= 0 {
		lo = DefaultMinBackoff
	}
	if hi <= 0 {
		hi = DefaultMaxBackoff
	}
	next := max(cur*2, lo)
	return min(next, max(hi, lo))
}

// idle waits for wake, d or ctx; false when ctx ended.
func idle(ctx context.Context, wake <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-t.C:
	}
	return true
}
