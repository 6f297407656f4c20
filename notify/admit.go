package notify

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
)

// What the features ask of each send, for every channel type (the
// sender of each type calls admit before it sends, and stateNotification
// when its receiver is connected).

// expired reports whether the channel's endAt has passed.
func (c *channel) expired(now time.Time) bool { return !now.Before(c.EndAt) }

// due reports whether now is inside the channel's window: not before its
// startAt (notify:startAt), not after its endAt (notify:endAt).
func (c *channel) due(now time.Time) bool {
	return !now.Before(c.StartAt) && !c.expired(now)
}

// admit reports whether the channel may be sent a notification now: it
// is due, and, when it has a rate (notify:rate), it was sent none within
// that interval. An admitted notification counts as sent. Notifications
// a rate holds back are dropped, not coalesced, as the reference server
// drops them: the next change after the interval is sent, and a receiver
// that must know the latest state subscribes again with state.
func (c *channel) admit(g *rateGate, now time.Time) bool {
	if !c.due(now) {
		return false
	}
	return c.Rate <= 0 || g.allow(c.Token, c.Rate, now)
}

// rateGate remembers when each channel with a rate was last sent a
// notification (in memory: after a restart a channel may be sent one
// notification early).
type rateGate struct {
	mu    sync.Mutex
	last  map[string]rateEntry
	adds  int
	sweep int // sweep stale entries every this many additions
}

type rateEntry struct {
	at   time.Time
	rate time.Duration
}

func (g *rateGate) allow(token string, rate time.Duration, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last == nil {
		g.last = map[string]rateEntry{}
	}
	if e, ok := g.last[token]; ok && now.Sub(e.at) < e.rate {
		return false
	}
	g.last[token] = rateEntry{now, rate}
	g.adds++
	if g.adds >= max(g.sweep, 1024) {
		// Entries whose interval has passed say nothing: drop them, so the
		// map holds only channels sent something within their rate.
		for k, e := range g.last {
			if now.Sub(e.at) >= e.rate {
				delete(g.last, k)
			}
		}
		g.adds, g.sweep = 0, len(g.last)
	}
	return true
}

// forget drops a channel's entry (it was deleted).
func (g *rateGate) forget(token string) {
	g.mu.Lock()
	delete(g.last, token)
	g.mu.Unlock()
}

// stateNotification is the notification a channel with a state
// (notify:state) is sent as soon as its receiver is connected, when the
// topic's current state differs from it: Update while the topic exists,
// Delete once it does not, with the current state, as the reference
// server sends it. ok is false when the states are the same, the
// subscriber may no longer Read the topic, or the state cannot be read.
// Once it is sent the channel forgets its state (clearState), as the
// reference server does, so a later connection is not sent it again.
func (s *Service) stateNotification(ctx context.Context, c *channel) (msg []byte, ok bool) {
	if c.State == "" || !s.ldp.MayRead(ctx, c.agent(), c.Topic) {
		return nil, false
	}
	n, ok := s.current(ctx, c.Topic)
	if !ok || ldp.SameState(c.State, n.State) {
		return nil, false
	}
	msg, err := json.Marshal(n)
	return msg, err == nil
}

// clearState forgets the channel's state once it was acted on (in one
// transaction, so a channel deleted meanwhile is not written back).
func (s *Service) clearState(ctx context.Context, c *channel) {
	err := s.channels.kv.Update(ctx, func(tx kv.Txn) error {
		v, err := tx.Get(keyChannel + c.Token)
		if err != nil {
			return err
		}
		var cur channel
		if err := json.Unmarshal(v, &cur); err != nil {
			return err
		}
		ttl := time.Until(cur.EndAt)
		if ttl <= 0 {
			return nil // expired: a record without a TTL would live for ever
		}
		cur.State = ""
		if v, err = json.Marshal(&cur); err != nil {
			return err
		}
		return tx.Set(keyChannel+c.Token, v, ttl)
	})
	if err != nil && !isNotFound(err) {
		s.log.WarnContext(ctx, "could not clear a channel's state", "err", err)
	}
}

// connected is told of a socket registered for its channel: it queues
// the channel's state notification, if any (notify:state).
func (s *Service) connected(ctx context.Context, k *socket) {
	if msg, ok := s.stateNotification(ctx, k.ch); ok {
		k.offer(msg)
		s.clearState(ctx, k.ch)
	}
}
