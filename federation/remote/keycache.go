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
	DefaultFailureTTL   = 30 * time.Second
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
	// FailureTTL is how long a failed fetch is remembered and its error
	// answered again without fetching, so that a flood of requests naming
	// a dead or hostile key host does not turn into as many fetches.
	FailureTTL time.Duration
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
	key     *httpsig.PublicKey // nil when the fetch failed
	err     error
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
	if opts.FailureTTL <= 0 {
		opts.FailureTTL = DefaultFailureTTL
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
// a permanent one replaces the cached key. Either is answered again for
// FailureTTL without fetching.
func (c *KeyCache) Key(ctx context.Context, keyID string, refresh bool) (*httpsig.PublicKey, error) {
	c.mu.Lock()
	if e, ok := c.byID[keyID]; ok {
		ent := e.Value.(*cached)
		age := c.opts.Now().Sub(ent.fetched)
		fresh := (!refresh && age < c.opts.TTL) || (refresh && age < c.opts.MinRefresh)
		if ent.err != nil {
			fresh = age < c.opts.FailureTTL
		}
		if fresh {
			c.lru.MoveToFront(e)
			c.mu.Unlock()
			return ent.key, ent.err
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
	if err != nil && errors.Is(err, ErrTemporary) {
		err = fmt.Errorf("%w: %w", httpsig.ErrKeyUnavailable, err)
	}
	if err != nil {
		key = nil
	}
	c.store(keyID, key, err)
	cl.key, cl.err = key, err
	close(cl.done)
}

func (c *KeyCache) store(keyID string, key *httpsig.PublicKey, err error) {
	ent := &cached{id: keyID, key: key, err: err, fetched: c.opts.Now()}
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

// Len is the number of keys (and remembered failures) cached.
func (c *KeyCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
