package auth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// DefaultTokenCacheSize is the TokenCache size when NewTokenCache is given 0.
const DefaultTokenCacheSize = 10000

// TokenCache remembers verified access tokens by SHA-256 of the token text
// until their exp, so signature verification (and the WebID/issuer checks done
// before Put) are not repeated per request. Only the hash is kept, never the
// token. It is bounded: when full, expired entries are dropped first, then an
// arbitrary entry is evicted (a miss only costs a re-verification).
//
// Put only tokens that passed the whole flow (signature, claims, WebID lists
// the issuer). A hit still needs a fresh DPoP proof and Bind. Safe for
// concurrent use.
type TokenCache struct {
	mu  sync.RWMutex
	max int
	m   map[[sha256.Size]byte]*Token
}

// NewTokenCache returns a cache of at most maxEntries tokens
// (DefaultTokenCacheSize if maxEntries <= 0).
func NewTokenCache(maxEntries int) *TokenCache {
	if maxEntries <= 0 {
		maxEntries = DefaultTokenCacheSize
	}
	return &TokenCache{max: maxEntries, m: make(map[[sha256.Size]byte]*Token)}
}

// Get returns a copy of the cached verified token, if present and not
// expired at now.
func (c *TokenCache) Get(token string, now time.Time) (*Token, bool) {
	k := sha256.Sum256([]byte(token))
	c.mu.RLock()
	t, ok := c.m[k]
	c.mu.RUnlock()
	if !ok {
		return nil, false
	}
	if !now.Before(t.Expiry) {
		c.mu.Lock()
		if c.m[k] == t {
			delete(c.m, k)
		}
		c.mu.Unlock()
		return nil, false
	}
	cp := *t
	cp.Audience = append([]string(nil), t.Audience...)
	return &cp, true
}

// Put caches a verified token until t.Expiry.
func (c *TokenCache) Put(token string, t *Token, now time.Time) {
	if t == nil || !now.Before(t.Expiry) {
		return
	}
	k := sha256.Sum256([]byte(token))
	cp := *t
	cp.Audience = append([]string(nil), t.Audience...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for key, v := range c.m {
			if !now.Before(v.Expiry) {
				delete(c.m, key)
			}
		}
		for key := range c.m {
			if len(c.m) < c.max {
				break
			}
			delete(c.m, key) // random victim: map iteration order is random
		}
	}
	c.m[k] = &cp
}

// Len reports the number of cached tokens.
func (c *TokenCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
