package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Run delivers the queued webhook notifications until ctx is done, with
// cfg.Senders goroutines whatever the number of channels. Each channel's
// deliveries go out one at a time, in commit order. A delivery is done
// when the receiver answers 2xx; anything else (an error, a timeout, a
// refused address, another status) is a failure: the channel is retried
// after a backoff that starts at MinBackoff and doubles up to MaxBackoff,
// and it is deleted with its queue once its receiver has failed for
// DropAfter without a success. What is still queued at shutdown is sent
// after the next start.
func (h *Webhook) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range h.cfg.Senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.sender(ctx)
		}()
	}
	wg.Wait()
	h.sched.stop()
}

func (h *Webhook) sender(ctx context.Context) {
	for {
		st, ok := h.sched.take()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-h.sched.wake:
			}
			continue
		}
		h.deliverNext(ctx, st)
		if ctx.Err() != nil {
			return
		}
	}
}

// deliverNext sends the oldest delivery of st's queue.
func (h *Webhook) deliverNext(ctx context.Context, st *qstate) {
	key, it, ok, err := h.queue.head(ctx, st.token)
	if err != nil {
		h.storeFailed(ctx, st, err)
		return
	}
	if !ok {
		h.sched.empty(st)
		return
	}
	ch, err := h.svc.channels.get(ctx, st.token)
	if isNotFound(err) || (err == nil && time.Now().After(ch.EndAt)) {
		// Unsubscribed or expired: its queue goes too.
		if ch != nil {
			err = h.remove(ctx, ch)
		} else {
			h.sched.forget(st.token)
			err = h.queue.purge(ctx, st.token)
		}
		if err != nil && ctx.Err() == nil {
			h.log.Warn("webhook queue purge failed", "err", err)
		}
		h.sched.done(st, false)
		return
	}
	if err != nil {
		h.storeFailed(ctx, st, err)
		return
	}
	// Read is checked again at each send: an ACL change stops deliveries
	// at once (SECURITY row 63).
	if !h.svc.ldp.MayRead(ctx, ch.agent(), it.Topic) {
		if err := h.queue.deleteKeys(ctx, []string{key}); err != nil {
			h.storeFailed(ctx, st, err)
			return
		}
		h.sched.removed(st.token, 1)
		h.sched.done(st, true)
		return
	}
	if err := h.post(ctx, ch.SendTo, it.Body); err != nil {
		if ctx.Err() != nil {
			h.sched.done(st, false) // shutdown: sent again after the next start
			return
		}
		h.failed(ctx, st, ch, err)
		return
	}
	// Delivered: off the queue, even when shutdown has begun meanwhile
	// (Run returns before the store closes), so it is not sent again.
	ctx = context.WithoutCancel(ctx)
	if err := h.queue.deleteKeys(ctx, []string{key}); err != nil {
		h.storeFailed(ctx, st, err)
		return
	}
	h.sched.removed(st.token, 1)
	if since := h.sched.succeeded(st); !since.IsZero() {
		_ = h.queue.clearFailing(ctx, st.token)
		h.log.Info("webhook receiver recovered", "host", hostOf(ch.SendTo), "failing_for", time.Since(since).Round(time.Second).String())
	}
	h.sched.done(st, true)
}

// post sends one delivery to sendTo.
func (h *Webhook) post(ctx context.Context, sendTo string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sendTo, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/ld+json")
	if err := h.authorize(req, sendTo, time.Now()); err != nil {
		return err
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("receiver answered %d", resp.StatusCode)
	}
	return nil
}

// failed records a failed delivery: the channel is retried after its
// backoff, or deleted once its receiver has failed for DropAfter.
func (h *Webhook) failed(ctx context.Context, st *qstate, ch *channel, err error) {
	now := time.Now()
	since, first := h.sched.failure(st, now)
	if first {
		if serr := h.queue.setFailing(ctx, st.token, since); serr != nil {
			h.log.Warn("webhook failure mark not saved", "err", serr)
		}
		h.log.Warn("webhook delivery failed; retrying with backoff", "host", hostOf(ch.SendTo), "err", withoutURL(err))
	}
	if now.Sub(since) >= h.cfg.DropAfter {
		h.log.Warn("webhook channel dropped: its receiver failed for too long", "host", hostOf(ch.SendTo),
			"topic", ch.Topic, "failing_for", now.Sub(since).Round(time.Second).String(), "err", withoutURL(err))
		if rerr := h.remove(ctx, ch); rerr != nil {
			h.log.Warn("webhook channel removal failed", "err", rerr)
		}
		h.sched.done(st, false)
		return
	}
	h.sched.retry(st, h.cfg.MinBackoff, h.cfg.MaxBackoff)
}

// storeFailed: the store could not be read or written; the channel is
// tried again after the first backoff (this is no failure of its receiver).
func (h *Webhook) storeFailed(ctx context.Context, st *qstate, err error) {
	if ctx.Err() != nil {
		h.sched.done(st, false)
		return
	}
	h.log.Warn("webhook queue unavailable; retrying", "err", err)
	h.sched.after(st, h.cfg.MinBackoff)
}

// hostOf is what the log says of a receiver: its host only, never the
// path or query (webhook URLs often carry secrets).
func hostOf(sendTo string) string {
	if u, err := url.Parse(sendTo); err == nil {
		return u.Host
	}
	return ""
}

// withoutURL is err without the request URL an *url.Error names (the
// sendTo's path and query may hold the receiver's secret).
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// scheduler hands the channels with pending deliveries to the senders:
// one sender per channel at a time, and one per subscriber (the
// channel's bucket, as counted by the per-agent limit), subscribers in
// turn; a failing channel only after its backoff. So a subscriber whose
// receivers hang holds at most one sender, whatever the number of its
// channels, and the other subscribers' deliveries go on.
type scheduler struct {
	mu      sync.Mutex
	qs      map[string]*qstate
	buckets map[string]*bucketq
	ready   []*bucketq // buckets with ready channels and no sender
	wake    chan struct{}
	stopped bool
}

// bucketq is one subscriber's ready channels.
type bucketq struct {
	name   string
	ready  []*qstate
	busy   bool // a sender has one of its channels
	queued bool // in scheduler.ready
}

// qstate is one channel's delivery state.
type qstate struct {
	token   string
	bucket  string
	n       int  // deliveries queued (approximate: it only decides trimming)
	busy    bool // a sender has it
	again   bool // kicked while busy: ready again when the sender is done
	queued  bool // in its bucket's ready list
	gone    bool // forgotten (unsubscribed or dropped)
	timer   *time.Timer
	since   time.Time // first failure since the last success
	backoff time.Duration
}

func (s *scheduler) init(senders int) {
	s.qs = map[string]*qstate{}
	s.buckets = map[string]*bucketq{}
	s.wake = make(chan struct{}, senders)
}

func (s *scheduler) get(token, bucket string) *qstate {
	st := s.qs[token]
	if st == nil {
		st = &qstate{token: token, bucket: bucket}
		s.qs[token] = st
	}
	return st
}

func (s *scheduler) bucket(name string) *bucketq {
	b := s.buckets[name]
	if b == nil {
		b = &bucketq{name: name}
		s.buckets[name] = b
	}
	return b
}

// add counts k more deliveries in the queue of token (a channel of
// bucket) and returns how many it holds above limit (0: no limit).
func (s *scheduler) add(token, bucket string, k, limit int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.get(token, bucket)
	st.n += k
	if limit > 0 && st.n > limit {
		return st.n - limit
	}
	return 0
}

// removed counts k deliveries out of token's queue.
func (s *scheduler) removed(token string, k int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.qs[token]; st != nil {
		st.n = max(st.n-k, 0)
	}
}

// failing restores a failure mark of a previous run.
func (s *scheduler) failing(token, bucket string, since time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.get(token, bucket).since = since
}

// kick makes token ready unless a sender has it or it waits for a retry.
func (s *scheduler) kick(token, bucket string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kickLocked(s.get(token, bucket))
}

func (s *scheduler) kickLocked(st *qstate) {
	if st.busy {
		st.again = true // the sender may have looked before the new delivery was written
		return
	}
	if st.queued || st.gone || st.timer != nil || s.stopped {
		return
	}
	st.queued = true
	b := s.bucket(st.bucket)
	b.ready = append(b.ready, st)
	s.readyLocked(b)
}

// readyLocked puts b in line for a sender if it has ready channels and
// none is being sent.
func (s *scheduler) readyLocked(b *bucketq) {
	if b.busy || b.queued || len(b.ready) == 0 || s.stopped {
		return
	}
	b.queued = true
	s.ready = append(s.ready, b)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take gives a sender the next ready channel of the next subscriber.
func (s *scheduler) take() (*qstate, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.ready) > 0 {
		b := s.ready[0]
		s.ready[0] = nil
		s.ready = s.ready[1:]
		b.queued = false
		for len(b.ready) > 0 {
			st := b.ready[0]
			b.ready[0] = nil
			b.ready = b.ready[1:]
			st.queued = false
			if st.gone {
				continue
			}
			st.busy, b.busy = true, true
			if len(s.ready) > 0 {
				// More work: make sure another sender looks.
				select {
				case s.wake <- struct{}{}:
				default:
				}
			}
			return st, true
		}
		s.dropIdleLocked(b)
	}
	return nil, false
}

// releaseLocked: the sender is finished with st; its subscriber may be
// served again.
func (s *scheduler) releaseLocked(st *qstate) {
	st.busy = false
	if b := s.buckets[st.bucket]; b != nil {
		b.busy = false
		s.readyLocked(b)
		s.dropIdleLocked(b)
	}
}

func (s *scheduler) dropIdleLocked(b *bucketq) {
	if !b.busy && !b.queued && len(b.ready) == 0 && s.buckets[b.name] == b {
		delete(s.buckets, b.name)
	}
}

// done: the sender is finished with st; again makes it ready for its
// next delivery.
func (s *scheduler) done(st *qstate, again bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	again = again || st.again
	st.again = false
	s.releaseLocked(st)
	if again {
		s.kickLocked(st)
	}
}

// empty: st's queue had nothing left when the sender looked. Unless a
// delivery was queued meanwhile, the state is let go (a new delivery
// makes a new one), so channels that come and go leave nothing behind.
func (s *scheduler) empty(st *qstate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.n = 0
	s.releaseLocked(st)
	if st.again {
		st.again = false
		s.kickLocked(st)
		return
	}
	if st.since.IsZero() && s.qs[st.token] == st {
		delete(s.qs, st.token)
	}
}

// succeeded resets st's failure state and returns when its failures had
// begun (zero if it was not failing).
func (s *scheduler) succeeded(st *qstate) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	since := st.since
	st.since, st.backoff = time.Time{}, 0
	return since
}

// failure records a failure at now: since is when the unbroken run of
// failures began, first whether it began now.
func (s *scheduler) failure(st *qstate, now time.Time) (since time.Time, first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.since.IsZero() {
		st.since, first = now, true
	}
	return st.since, first
}

// retry makes st ready again after its next backoff: lo, doubling, at
// most hi.
func (s *scheduler) retry(st *qstate, lo, hi time.Duration) {
	s.mu.Lock()
	st.backoff = min(max(st.backoff*2, lo), hi)
	d := st.backoff
	s.mu.Unlock()
	s.after(st, d)
}

// after makes st ready again after d.
func (s *scheduler) after(st *qstate, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.again = false // the timer makes it ready
	s.releaseLocked(st)
	if st.gone || s.stopped {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if st.timer == t {
			st.timer = nil
			s.kickLocked(st)
		}
	})
	st.timer = t
}

// forget drops token's state (unsubscribed or dropped).
func (s *scheduler) forget(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.qs[token]; st != nil {
		st.gone = true
		if st.timer != nil {
			st.timer.Stop()
			st.timer = nil
		}
		delete(s.qs, token)
	}
}

// stop cancels every pending retry (Run has ended).
func (s *scheduler) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	for _, st := range s.qs {
		if st.timer != nil {
			st.timer.Stop()
			st.timer = nil
		}
	}
}
