package federation

import (
	"context"
	"sync"
	"time"
)

// NodeInfo's usage.localPosts: the public posts (Creates) the pods'
// owners published and did not delete, counted from the outbox index
// (op/ in kv.Federation). NodeInfo is public and unauthenticated, so the
// count is kept for postCountTTL rather than made on every request.

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
