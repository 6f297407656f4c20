package remote

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/naamio/naamio/federation/httpsig"
)

// Defaults of KeyCacheOptions.
const (
	DefaultKeyCacheSize = 10000
	DefaultKeyTTL       = 24 * time.Hour
	DefaultMinRefresh   = time.Minute
)

// KeyCacheOptions configures a KeyCache; zero fields take the defaults.
type KeyCacheOptions struct {
	// Size is the most keys kept; the least recently used goes first.
	Size int
	// TTL is how long a fetched key is used before it is fetched again.
	TTL time.Duration
	// MinRefresh: a refresh asked for a key fetched less than this long
	// ago answers with that key instead of fetching again, so a stream of
	// bad signatures cannot make the cache fetch in a loop.
	MinRefresh time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// KeyCache is an httpsig.KeyResolver: an in-memory, bounded, expiring
// cache of keys fetched with FetchKey. Concurrent requests for the same
// key share one fetch. It is safe for concurrent use.
type KeyCache struct {
	fetch func(ctx context.Context, keyID string) (*httpsig.PublicKey, error)
	opts  KeyCacheOptions

	mu       sync.Mutex
	lru      *list.List // of *cached, most recent first
	byID     map[string]*list.Element
	inflight map[string]*call
}

var _ httpsig.KeyResolver = (*KeyCache)(nil)

type cached struct {
	id      string
	key     *httpsig.PublicKey
	fetched time.Time
}

// call is one fetch in progress that others wait for.
type call struct {
	done    chan struct{}
	key     *httpsig.PublicKey
	err     error
	waiters int // callers sharing this fetch (tests look at it)
}

// NewKeyCache returns a cache that fetches keys with f.
func NewKeyCache(f *Fetcher, opts KeyCacheOptions) *KeyCache {
	return newKeyCache(f.FetchKey, opts)
}

func newKeyCache(fetch func(context.Context, string) (*httpsig.PublicKey, error), opts KeyCacheOptions) *KeyCache {
	if opts.Size <= 0 {
		opts.Size = DefaultKeyCacheSize
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultKeyTTL
	}
	if opts.MinRefresh <= 0 {
		opts.MinRefresh = DefaultMinRefresh
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &KeyCache{
		fetch:    fetch,
		opts:     opts,
		lru:      list.New(),
		byID:     map[string]*list.Element{},
		inflight: map[string]*call{},
	}
}

// Key implements httpsig.KeyResolver. A temporary fetch failure matches
// both ErrTemporary and httpsig.ErrKeyUnavailable (SECURITY row 44: 503);
// a permanent one drops the key from the cache.
func (c *KeyCache) Key(ctx context.Context, keyID string, refresh bool) (*httpsig.PublicKey, error) {
	c.mu.Lock()
	if e, ok := c.byID[keyID]; ok {
		ent := e.Value.(*cached)
		age := c.opts.Now().Sub(ent.fetched)
		if (!refresh && age < c.opts.TTL) || (refresh && age < c.opts.MinRefresh) {
			c.lru.MoveToFront(e)
			c.mu.Unlock()
			return ent.key, nil
		}
	}
	cl, ok := c.inflight[keyID]
	if !ok {
		cl = &call{done: make(chan struct{})}
		c.inflight[keyID] = cl
		go c.run(keyID, cl)
	}
	cl.waiters++
	c.mu.Unlock()

	select {
	case <-cl.done:
		return cl.key, cl.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", httpsig.ErrKeyUnavailable, ctx.Err())
	}
}

// run fetches a key for everyone waiting on cl. The fetch is not tied to
// one caller's context (another caller may still want it); the Fetcher's
// client bounds it with its own timeout.
func (c *KeyCache) run(keyID string, cl *call) {
	key, err := c.fetch(context.Background(), keyID)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.inflight, keyID)
	switch {
	case err == nil:
		c.store(keyID, key)
	case errors.Is(err, ErrTemporary):
		err = fmt.Errorf("%w: %w", httpsig.ErrKeyUnavailable, err)
	default:
		c.drop(keyID)
	}
	cl.key, cl.err = key, err
	close(cl.done)
}

func (c *KeyCache) store(keyID string, key *httpsig.PublicKey) {
	ent := &cached{id: keyID, key: key, fetched: c.opts.Now()}
	if e, ok := c.byID[keyID]; ok {
		e.Value = ent
		c.lru.MoveToFront(e)
		return
	}
	c.byID[keyID] = c.lru.PushFront(ent)
	for c.lru.Len() > c.opts.Size {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.byID, last.Value.(*cached).id)
	}
}

func (c *KeyCache) drop(keyID string) {
	if e, ok := c.byID[keyID]; ok {
		c.lru.Remove(e)
		delete(c.byID, keyID)
	}
}

// Len is the number of keys cached.
func (c *KeyCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
