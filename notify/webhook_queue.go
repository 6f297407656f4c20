package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/kv"
)

var _ event.Consumer = (*Webhook)(nil)

// Name is the webhook consumer's durable name on the change-log feed.
func (h *Webhook) Name() string { return "notify-webhook" }

// Handle turns each change into the notifications of the webhook channels
// on its topic (Create, Update, Delete) and its container (Add, Remove),
// and writes them into the channels' durable queues before it returns. It
// never waits for a receiver: the senders (Run) deliver from the queues,
// so a slow or dead receiver never holds back the feed. A batch offered
// again (at-least-once) writes the same keys again.
func (h *Webhook) Handle(ctx context.Context, cs []event.Change) error {
	seen := map[string]*channel{}
	var items []queued
	now := time.Now()
	for _, c := range cs {
		for _, tn := range notesOf(h.svc.ldp, c) {
			chans, err := h.webhooksOn(ctx, tn.topic, seen)
			if err != nil {
				return err
			}
			if len(chans) == 0 {
				continue
			}
			body, err := json.Marshal(tn.n)
			if err != nil {
				return err
			}
			for _, ch := range chans {
				if c.Time.Before(ch.Created) {
					continue // committed before the subscription
				}
				if !h.svc.ldp.MayRead(ctx, ch.agent(), tn.topic) {
					continue // checked again before the send
				}
				if !ch.admit(&h.svc.rate, now) {
					continue // expired, before startAt, or within the rate (admit.go)
				}
				items = append(items, queued{token: ch.Token, bucket: ch.Bucket, seq: c.Seq, Topic: tn.topic, Body: body})
			}
		}
	}
	if len(items) == 0 {
		return nil
	}
	if err := h.queue.put(ctx, items); err != nil {
		return err
	}
	h.enqueued(ctx, items)
	return nil
}

// enqueued counts items into their channels' queues, drops the oldest
// deliveries of a queue above the limit, and wakes the senders.
func (h *Webhook) enqueued(ctx context.Context, items []queued) {
	added, bucket := map[string]int{}, map[string]string{}
	for _, it := range items {
		added[it.token]++
		bucket[it.token] = it.bucket
	}
	for token, k := range added {
		if over := h.sched.add(token, bucket[token], k, h.cfg.MaxQueue); over > 0 {
			n, err := h.queue.trim(ctx, token, h.cfg.MaxQueue)
			if err != nil {
				h.log.Warn("webhook queue trim failed", "err", err)
			} else if n > 0 {
				h.sched.removed(token, n)
				h.log.Warn("webhook queue full: oldest deliveries dropped", "dropped", n, "limit", h.cfg.MaxQueue)
			}
		}
		h.sched.kick(token, bucket[token])
	}
}

// load reads the queues and failure marks a previous run left and makes
// every non-empty queue ready (sent once Run starts).
func (h *Webhook) load(ctx context.Context) error {
	counts := map[string]int{}
	err := h.queue.kv.List(ctx, keyQueue, func(k string, _ []byte) error {
		if t, _, ok := strings.Cut(strings.TrimPrefix(k, keyQueue), "\x00"); ok {
			counts[t]++
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Each queue's subscriber, for the senders' turns; a queue whose
	// channel is gone keeps bucket "" and is purged by its first send.
	buckets := map[string]string{}
	for t := range counts {
		if c, err := h.svc.channels.get(ctx, t); err == nil {
			buckets[t] = c.Bucket
		} else if !isNotFound(err) {
			return err
		}
	}
	var stale []string
	err = h.queue.kv.List(ctx, keyFailing, func(k string, v []byte) error {
		var since time.Time
		t := strings.TrimPrefix(k, keyFailing)
		if counts[t] == 0 || json.Unmarshal(v, &since) != nil {
			stale = append(stale, k) // nothing left to send
			return nil
		}
		h.sched.failing(t, buckets[t], since)
		return nil
	})
	if err == nil {
		err = h.queue.deleteKeys(ctx, stale)
	}
	if err != nil {
		return err
	}
	for t, n := range counts {
		h.sched.add(t, buckets[t], n, 0)
		h.sched.kick(t, buckets[t])
	}
	return nil
}

// Keys of the webhook deliveries in kv.DeliveryQueue:
//
//	wq/<token>\x00<seq>   a pending delivery of the channel (queued JSON);
//	                      seq is the change's, 16 hex digits, so a queue
//	                      lists in commit order
//	wf/<token>            when the channel's receiver began to fail
//	                      (JSON time), kept until a delivery succeeds
const (
	keyQueue   = "wq/"
	keyFailing = "wf/"
)

// queued is one pending delivery.
type queued struct {
	token  string
	bucket string // the channel's subscriber (channel.Bucket)
	seq    uint64
	// Topic is the canonical path whose Read the channel's agent needs.
	Topic string `json:"topic"`
	// Body is the notification (JSON-LD).
	Body json.RawMessage `json:"body"`
}

func (q queued) key() string { return queueKey(q.token, q.seq) }

func queueKey(token string, seq uint64) string {
	return fmt.Sprintf("%s%s\x00%016x", keyQueue, token, seq)
}

// queueStore is kv.DeliveryQueue's webhook part.
type queueStore struct{ kv kv.KV }

// maxTxnWrites bounds the writes of one KV transaction.
const maxTxnWrites = 500

// put writes items, maxTxnWrites to a transaction.
func (s queueStore) put(ctx context.Context, items []queued) error {
	for len(items) > 0 {
		chunk := items[:min(len(items), maxTxnWrites)]
		items = items[len(chunk):]
		vals := make([][]byte, len(chunk))
		for i, it := range chunk {
			v, err := json.Marshal(it)
			if err != nil {
				return err
			}
			vals[i] = v
		}
		err := s.kv.Update(ctx, func(tx kv.Txn) error {
			for i, it := range chunk {
				if err := tx.Set(it.key(), vals[i], 0); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

var errStop = errors.New("stop listing")

// head is the oldest pending delivery of token's queue (ok false: none).
func (s queueStore) head(ctx context.Context, token string) (key string, it queued, ok bool, err error) {
	err = s.kv.List(ctx, keyQueue+token+"\x00", func(k string, v []byte) error {
		key, ok = k, true
		if uerr := json.Unmarshal(v, &it); uerr != nil {
			return uerr
		}
		return errStop
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return key, it, ok, err
}

// keys lists the keys of token's queue, oldest first.
func (s queueStore) keys(ctx context.Context, token string) ([]string, error) {
	var ks []string
	err := s.kv.List(ctx, keyQueue+token+"\x00", func(k string, _ []byte) error {
		ks = append(ks, k)
		return nil
	})
	return ks, err
}

func (s queueStore) deleteKeys(ctx context.Context, ks []string) error {
	for len(ks) > 0 {
		chunk := ks[:min(len(ks), maxTxnWrites)]
		ks = ks[len(chunk):]
		err := s.kv.Update(ctx, func(tx kv.Txn) error {
			for _, k := range chunk {
				if err := tx.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// trim deletes the oldest deliveries of token's queue beyond limit and
// returns how many.
func (s queueStore) trim(ctx context.Context, token string, limit int) (int, error) {
	ks, err := s.keys(ctx, token)
	if err != nil || len(ks) <= limit {
		return 0, err
	}
	drop := ks[:len(ks)-limit]
	return len(drop), s.deleteKeys(ctx, drop)
}

// purge deletes token's queue and failure mark.
func (s queueStore) purge(ctx context.Context, token string) error {
	ks, err := s.keys(ctx, token)
	if err != nil {
		return err
	}
	return s.deleteKeys(ctx, append(ks, keyFailing+token))
}

func (s queueStore) setFailing(ctx context.Context, token string, since time.Time) error {
	v, err := json.Marshal(since)
	if err != nil {
		return err
	}
	return s.kv.Put(ctx, keyFailing+token, v, 0)
}

func (s queueStore) clearFailing(ctx context.Context, token string) error {
	return s.kv.Delete(ctx, keyFailing+token)
}
