package auth

import (
	"sync"
	"time"
)

// ttlCache is a size-bounded map whose entries expire. When full, expired
// entries are dropped first, then arbitrary ones; an expired entry is
// also dropped when it is looked up. Safe for concurrent use.
type ttlCache[V any] struct {
	mu  sync.RWMutex
	max int
	m   map[string]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v   V
	exp time.Time
}

func newTTLCache[V any](max int) *ttlCache[V] {
	return &ttlCache[V]{max: max, m: make(map[string]ttlEntry[V])}
}

func (c *ttlCache[V]) get(k string, now time.Time) (V, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if ok && now.Before(e.exp) {
		return e.v, true
	}
	if ok { // expired: drop it, unless it was replaced meanwhile
		c.mu.Lock()
		if cur, still := c.m[k]; still && cur.exp.Equal(e.exp) {
			delete(c.m, k)
		}
		c.mu.Unlock()
	}
	var zero V
	return zero, false
}

func (c *ttlCache[V]) put(k string, v V, exp, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for key, e := range c.m {
			if !now.Before(e.exp) {
				delete(c.m, key)
			}
		}
		for key := range c.m {
			if len(c.m) < c.max {
				break
			}
			delete(c.m, key)
		}
	}
	c.m[k] = ttlEntry[V]{v: v, exp: exp}
}

func (c *ttlCache[V]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
