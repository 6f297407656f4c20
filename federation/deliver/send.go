package deliver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/naamio/naamio/internal/safehttp"
	"github.com/naamio/naamio/kv"
)

// fillBatch is how many deliveries of one host are read from the queue at
// a time.
const fillBatch = 32

// Run delivers the queued activities with Config.Workers senders until
// ctx is done, then returns once they have stopped. Call it once. A
// delivery in flight at shutdown stays queued and is sent again after the
// next start.
func (d *Deliverer) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range d.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.sender(ctx)
		}()
	}
	wg.Wait()
	d.sched.stop()
}

func (d *Deliverer) sender(ctx context.Context) {
	for ctx.Err() == nil {
		h, e, fill, excl, ok := d.sched.take()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-d.sched.wake:
			}
			continue
		}
		if fill {
			es, err := d.read(ctx, h.name, excl)
			if err != nil {
				if ctx.Err() == nil {
					d.log.Warn("delivery queue unavailable; retrying", "err", err)
				}
				d.sched.fillFailed(h, d.cfg.MinBackoff)
				continue
			}
			d.sched.filled(h, es)
			continue
		}
		d.deliver(ctx, h, e)
	}
}

// read returns up to fillBatch deliveries of host, oldest first, except
// those in excl (in flight). Deliveries finished before the read began
// are gone from the queue; those finishing during it are in excl.
func (d *Deliverer) read(ctx context.Context, host string, excl map[string]struct{}) ([]entry, error) {
	var es []entry
	err := d.q.List(ctx, keyItem+host+"\x00", func(k string, v []byte) error {
		if _, skip := excl[k]; skip {
			return nil
		}
		var it item
		if err := json.Unmarshal(v, &it); err != nil {
			d.log.Warn("unreadable delivery dropped", "host", host, "err", err)
			_ = d.q.Delete(ctx, k)
			return nil
		}
		es = append(es, entry{key: k, it: it})
		if len(es) == fillBatch {
			return errFull
		}
		return nil
	})
	if errors.Is(err, errFull) {
		err = nil
	}
	return es, err
}

var (
	errFull    = errors.New("batch full")
	errSigning = errors.New("signing failed")
)

// deliver sends e to its inbox and records the outcome.
func (d *Deliverer) deliver(ctx context.Context, h *host, e entry) {
	now := time.Now()
	if age := now.Sub(e.it.Queued); age >= d.cfg.GiveUpAfter {
		d.log.Warn("activity delivery dropped: failing for too long", "host", h.name, "activity", e.it.Activity,
			"queued_for", age.Round(time.Second).String(), "attempts", e.it.Attempts)
		d.outcome("dropped")
		d.drop(ctx, h, e, false)
		return
	}
	a, err := d.activityOf(ctx, e.it.Activity)
	if err != nil {
		d.storeFailed(ctx, h, e, err)
		return
	}
	if a == nil {
		d.outcome("dropped")
		d.drop(ctx, h, e, false) // its activity is gone
		return
	}
	sign, err := d.cfg.SignerFor(ctx, a.Sender)
	if errors.Is(err, ErrUnknownSender) {
		d.log.Warn("activity delivery dropped: its sender is gone", "host", h.name, "activity", e.it.Activity)
		d.outcome("dropped")
		d.drop(ctx, h, e, false)
		return
	}
	if err != nil {
		d.storeFailed(ctx, h, e, err)
		return
	}
	status, retryAfter, err := d.post(ctx, e.it.Inbox, a.Body, sign)
	switch {
	case err == nil && status >= 200 && status <= 299:
		d.outcome("delivered")
		d.drop(ctx, h, e, true)
	case ctx.Err() != nil:
		d.sched.done(h, e.key, untouched, false, 0, 0, 0) // shutdown: sent after the next start
	case errors.Is(err, errSigning):
		d.storeFailed(ctx, h, e, err) // not the peer's failure
	case err != nil && safehttp.IsRefused(err), err == nil && !retryable(status):
		// Permanent: the peer refused it, or the address is not one
		// this server may reach.
		d.log.Warn("activity delivery failed permanently; dropped", "host", h.name, "activity", e.it.Activity,
			"status", status, "err", withoutURL(err))
		d.outcome("dropped")
		d.drop(ctx, h, e, status != 0)
	default:
		d.retry(ctx, h, e, status, retryAfter, err)
	}
}

// retryable reports whether a peer's status asks for another try.
func retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// post sends body to inbox, signed, and returns the status and the
// Retry-After the peer asked for.
func (d *Deliverer) post(ctx context.Context, inbox string, body []byte, sign Signer) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/activity+json")
	req.Header.Set("Accept", "application/activity+json, application/ld+json")
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	if err := sign(req, body); err != nil {
		return 0, 0, fmt.Errorf("%w: %w", errSigning, err)
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		return 0, 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, retryAfter(resp.Header.Get("Retry-After"), time.Now()), nil
}

// retryAfter parses a Retry-After value: seconds or an HTTP date (0: none
// or unparsable).
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, int64(365*24*3600))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// drop deletes e from the queue (delivered when ok).
func (d *Deliverer) drop(ctx context.Context, h *host, e entry, ok bool) {
	// Off the queue even when shutdown has begun meanwhile, so a delivered
	// activity is not sent again (Run returns before the store closes).
	ctx = context.WithoutCancel(ctx)
	if err := d.q.Delete(ctx, e.key); err != nil {
		d.storeFailed(ctx, h, e, err)
		return
	}
	if ok {
		if since := d.sched.failingSince(h); !since.IsZero() {
			_ = d.q.Delete(ctx, keyFailing+h.name)
			d.log.Info("activity inbox recovered", "host", h.name, "failing_for", time.Since(since).Round(time.Second).String())
		}
	}
	failing := !d.sched.failingSince(h).IsZero()
	if empty := d.sched.done(h, e.key, removed, ok, 0, 0, 0); empty && failing && !ok {
		_ = d.q.Delete(ctx, keyFailing+h.name) // nothing left to send there
	}
	d.finished(ctx, e.it.Activity)
}

// retry puts e back at the end of its host's queue with one more attempt,
// and the host waits for its backoff (at least the peer's Retry-After,
// at most MaxBackoff).
func (d *Deliverer) retry(ctx context.Context, h *host, e entry, status int, ra time.Duration, err error) {
	ctx = context.WithoutCancel(ctx)
	if d.sched.failingSince(h).IsZero() {
		d.log.Warn("activity delivery failed; retrying with backoff", "host", h.name, "status", status, "err", withoutURL(err))
		if v, err := json.Marshal(time.Now().UTC()); err == nil {
			if err := d.q.Put(ctx, keyFailing+h.name, v, 0); err != nil {
				d.log.Warn("failure mark not saved", "host", h.name, "err", err)
			}
		}
	}
	it := e.it
	it.Attempts++
	v, merr := json.Marshal(it)
	if merr != nil {
		d.storeFailed(ctx, h, e, merr)
		return
	}
	nk := itemKey(h.name, d.seq.Add(1))
	uerr := d.q.Update(ctx, func(tx kv.Txn) error {
		if err := tx.Delete(e.key); err != nil {
			return err
		}
		return tx.Set(nk, v, 0)
	})
	if uerr != nil {
		d.storeFailed(ctx, h, e, uerr)
		return
	}
	d.outcome("retry")
	d.sched.done(h, e.key, requeued, false, min(ra, d.cfg.MaxBackoff), d.cfg.MinBackoff, d.cfg.MaxBackoff)
}

// outcome tells Config.Outcome how an attempt ended.
func (d *Deliverer) outcome(result string) {
	if d.cfg.Outcome != nil {
		d.cfg.Outcome(result)
	}
}

// storeFailed: the queue could not be read or written, or the sender's
// key not found; e stays queued and its host is tried again after
// MinBackoff (this is no failure of the peer).
func (d *Deliverer) storeFailed(ctx context.Context, h *host, e entry, err error) {
	if ctx.Err() == nil {
		d.log.Warn("activity delivery postponed", "host", h.name, "activity", e.it.Activity, "err", err)
	}
	d.sched.done(h, e.key, untouched, false, d.cfg.MinBackoff, 0, 0)
}

// withoutURL is err without the request URL an *url.Error names (the
// log names hosts only).
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
