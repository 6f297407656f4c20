package auth

import (
	"crypto/sha256"
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
	c *ttlCache[*Token]
}

// NewTokenCache returns a cache of at most maxEntries tokens
// (DefaultTokenCacheSize if maxEntries <= 0).
func NewTokenCache(maxEntries int) *TokenCache {
	if maxEntries <= 0 {
		maxEntries = DefaultTokenCacheSize
	}
	return &TokenCache{c: newTTLCache[*Token](maxEntries)}
}

// tokenKey is the cache key of a token: its SHA-256, never the token.
func tokenKey(token string) string {
	k := sha256.Sum256([]byte(token))
	return string(k[:])
}

// copyToken returns a copy the caller may change without touching the cache.
func copyToken(t *Token) *Token {
	cp := *t
	cp.Audience = append([]string(nil), t.Audience...)
	return &cp
}

// Get returns a copy of the cached verified token, if present and not
// expired at now.
func (c *TokenCache) Get(token string, now time.Time) (*Token, bool) {
	t, ok := c.c.get(tokenKey(token), now)
	if !ok {
		return nil, false
	}
	return copyToken(t), true
}

// Put caches a verified token until t.Expiry.
func (c *TokenCache) Put(token string, t *Token, now time.Time) {
	if t == nil || !now.Before(t.Expiry) {
		return
	}
	c.c.put(tokenKey(token), copyToken(t), t.Expiry, now)
}

// Len reports the number of cached tokens.
func (c *TokenCache) Len() int { return c.c.len() }
