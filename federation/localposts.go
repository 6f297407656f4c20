package federation

import (
	"context"
	"sync"
	"time"
)

// NodeInfo's usage counts. localPosts: the public posts (Creates) the
// pods' owners published and did not delete, counted from the outbox
// index (op/ in kv.Federation). activeMonth and activeHalfyear: the pods
// whose owner published through the outbox (C2S) in the last 30 and 180
// days (la/<pod> in kv.Federation holds the time of the latest). NodeInfo
// is public and unauthenticated, so the counts are kept for postCountTTL
// rather than made on every request.

const postCountTTL = time.Minute

type postCount struct {
	mu   sync.Mutex
	n    int
	when time.Time
}

// localPosts is Config.LocalPosts unless the caller set one.
func (s *Service) localPosts() (int, bool) {
	s.posts.mu.Lock()
	defer s.posts.mu.Unlock()
	if !s.posts.when.IsZero() && time.Since(s.posts.when) < postCountTTL {
		return s.posts.n, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n := 0
	if err := s.cfg.Records.List(ctx, "op/", func(_ string, v []byte) error {
		if string(v) == "Create" {
			n++
		}
		return nil
	}); err != nil {
		s.log.Warn("counting local posts", "err", err)
		return 0, false
	}
	s.posts.n, s.posts.when = n, time.Now()
	return n, true
}

type activeCount struct {
	mu              sync.Mutex
	month, halfyear int
	when            time.Time
}

func activeKey(pod string) string { return "la/" + pod }

// markActive records that pod's owner published now (at most one write
// a day per pod: the counts are by month).
func (s *Service) markActive(ctx context.Context, pod string) {
	now := time.Now().UTC()
	if v, err := s.cfg.Records.Get(ctx, activeKey(pod)); err == nil {
		if t, err := time.Parse(time.RFC3339, string(v)); err == nil && now.Sub(t) < 24*time.Hour {
			return
		}
	}
	if err := s.cfg.Records.Put(ctx, activeKey(pod), []byte(now.Format(time.RFC3339)), 0); err != nil {
		s.log.Warn("recording an owner's activity", "pod", pod, "err", err)
	}
}

// activeUsers is Config.ActiveUsers unless the caller set one.
func (s *Service) activeUsers() (month, halfyear int, ok bool) {
	s.active.mu.Lock()
	defer s.active.mu.Unlock()
	if !s.active.when.IsZero() && time.Since(s.active.when) < postCountTTL {
		return s.active.month, s.active.halfyear, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := time.Now()
	month, halfyear = 0, 0
	if err := s.cfg.Records.List(ctx, "la/", func(_ string, v []byte) error {
		t, err := time.Parse(time.RFC3339, string(v))
		if err != nil {
			return nil
		}
		if now.Sub(t) <= 30*24*time.Hour {
			month++
		}
		if now.Sub(t) <= 180*24*time.Hour {
			halfyear++
		}
		return nil
	}); err != nil {
		s.log.Warn("counting active users", "err", err)
		return 0, 0, false
	}
	s.active.month, s.active.halfyear, s.active.when = month, halfyear, now
	return month, halfyear, true
}
