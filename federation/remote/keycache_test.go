package remote

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naamio/naamio/federation/httpsig"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestKeyCacheCachesAndExpires(t *testing.T) {
	k, _ := testKeys(t)
	p := newPeer(t)
	p.put("/users/bob", 200, as2, p.actorDoc("/users/bob", &k.PublicKey))
	clk := &clock{t: time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)}
	c := NewKeyCache(fetcherFor(t, 0, p.addr(t)), KeyCacheOptions{TTL: time.Hour, Now: clk.now})
	keyID := p.URL + "/users/bob#main-key"
	for i := 0; i < 3; i++ {
		if _, err := c.Key(context.Background(), keyID, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.hitsOf("/users/bob"); n != 1 {
		t.Fatalf("%d fetches for 3 lookups, want 1", n)
	}
	clk.add(time.Hour + time.Second)
	if _, err := c.Key(context.Background(), keyID, false); err != nil {
		t.Fatal(err)
	}
	if n := p.hitsOf("/users/bob"); n != 2 {
		t.Fatalf("%d fetches after the TTL, want 2", n)
	}
}

// SECURITY row 44: refresh fetches again (rotation), but not twice within
// MinRefresh, so bad signatures cannot drive fetches.
func TestKeyCacheRefresh(t *testing.T) {
	k, k2 := testKeys(t)
	p := newPeer(t)
	p.put("/users/bob", 200, as2, p.actorDoc("/users/bob", &k.PublicKey))
	clk := &clock{t: time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)}
	c := NewKeyCache(fetcherFor(t, 0, p.addr(t)), KeyCacheOptions{MinRefresh: time.Minute, Now: clk.now})
	keyID := p.URL + "/users/bob#main-key"
	if _, err := c.Key(context.Background(), keyID, false); err != nil {
		t.Fatal(err)
	}
	p.put("/users/bob", 200, as2, p.actorDoc("/users/bob", &k2.PublicKey)) // rotated
	got, err := c.Key(context.Background(), keyID, true)
	if err != nil || !got.Key.Equal(&k.PublicKey) || p.hitsOf("/users/bob") != 1 {
		t.Fatalf("a refresh right after a fetch fetched again (%d fetches, %v)", p.hitsOf("/users/bob"), err)
	}
	clk.add(2 * time.Minute)
	got, err = c.Key(context.Background(), keyID, true)
	if err != nil || !got.Key.Equal(&k2.PublicKey) || p.hitsOf("/users/bob") != 2 {
		t.Fatalf("refresh: %d fetches, rotated key %v, %v", p.hitsOf("/users/bob"), err == nil && got.Key.Equal(&k2.PublicKey), err)
	}
	got, err = c.Key(context.Background(), keyID, false)
	if err != nil || !got.Key.Equal(&k2.PublicKey) || p.hitsOf("/users/bob") != 2 {
		t.Fatal("the refreshed key was not cached")
	}
}

func TestKeyCacheBounded(t *testing.T) {
	k, _ := testKeys(t)
	p := newPeer(t)
	c := NewKeyCache(fetcherFor(t, 0, p.addr(t)), KeyCacheOptions{Size: 3})
	for i := 0; i < 5; i++ {
		path := fmt.Sprintf("/users/u%d", i)
		p.put(path, 200, as2, p.actorDoc(path, &k.PublicKey))
		if _, err := c.Key(context.Background(), p.URL+path+"#main-key", false); err != nil {
			t.Fatal(err)
		}
		if i == 2 { // touch u0 so that u1 is the least recently used
			if _, err := c.Key(context.Background(), p.URL+"/users/u0#main-key", false); err != nil {
				t.Fatal(err)
			}
		}
	}
	if c.Len() != 3 {
		t.Fatalf("%d keys cached, want 3", c.Len())
	}
	// Now u4, u3, u0 from the most recent: u1 and u2 were evicted.
	for _, c2 := range []struct {
		path     string
		wantHits int
	}{{"/users/u0", 1}, {"/users/u4", 1}, {"/users/u1", 2}} {
		path, wantHits := c2.path, c2.wantHits
		if _, err := c.Key(context.Background(), p.URL+path+"#main-key", false); err != nil {
			t.Fatal(err)
		}
		if n := p.hitsOf(path); n != wantHits {
			t.Errorf("%s fetched %d times, want %d", path, n, wantHits)
		}
	}
}

// SECURITY row 44: a temporary failure is httpsig.ErrKeyUnavailable (503);
// a permanent one is not, and drops the cached key.
func TestKeyCacheFailures(t *testing.T) {
	k, _ := testKeys(t)
	p := newPeer(t)
	clk := &clock{t: time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)}
	c := NewKeyCache(fetcherFor(t, 0, p.addr(t)), KeyCacheOptions{Now: clk.now})
	keyID := p.URL + "/users/bob#main-key"

	p.put("/users/bob", 503, "text/plain", []byte("down"))
	_, err := c.Key(context.Background(), keyID, false)
	if !errors.Is(err, httpsig.ErrKeyUnavailable) || !errors.Is(err, ErrTemporary) {
		t.Fatalf("503: err = %v, want ErrKeyUnavailable", err)
	}

	// The failure is remembered for FailureTTL: no fetch per request.
	p.put("/users/bob", 200, as2, p.actorDoc("/users/bob", &k.PublicKey))
	for i := 0; i < 3; i++ {
		if _, err := c.Key(context.Background(), keyID, i == 2); !errors.Is(err, httpsig.ErrKeyUnavailable) {
			t.Fatalf("within FailureTTL: %v", err)
		}
	}
	if n := p.hitsOf("/users/bob"); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
	clk.add(DefaultFailureTTL + time.Second)
	if _, err := c.Key(context.Background(), keyID, false); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Hour)
	p.put("/users/bob", 410, as2, []byte("{}"))
	_, err = c.Key(context.Background(), keyID, true)
	if !errors.Is(err, ErrNotFound) || errors.Is(err, httpsig.ErrKeyUnavailable) {
		t.Fatalf("410: err = %v", err)
	}
	if got, err := c.Key(context.Background(), keyID, false); got != nil || !errors.Is(err, ErrNotFound) {
		t.Error("a gone key stayed cached")
	}
}

// Concurrent lookups of one key share one fetch.
func TestKeyCacheSharesFetches(t *testing.T) {
	k, _ := testKeys(t)
	release := make(chan struct{})
	var fetches atomic.Int32
	c := newKeyCache(func(ctx context.Context, keyID string) (*httpsig.PublicKey, error) {
		fetches.Add(1)
		<-release
		return &httpsig.PublicKey{ID: keyID, Owner: "https://peer.example/users/bob", Key: &k.PublicKey}, nil
	}, KeyCacheOptions{})
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Key(context.Background(), "https://peer.example/users/bob#main-key", false)
			errs <- err
		}()
	}
	// Wait until all n callers are waiting on the one fetch, then let it end.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		c.mu.Lock()
		cl := c.inflight["https://peer.example/users/bob#main-key"]
		waiting := cl != nil && cl.waiters == n
		c.mu.Unlock()
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the callers never all waited on one fetch")
		}
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if fetches.Load() != 1 {
		t.Fatalf("%d fetches for %d concurrent lookups", fetches.Load(), n)
	}
}

// A caller whose context ends stops waiting, with a temporary error.
func TestKeyCacheCallerGivesUp(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c := newKeyCache(func(ctx context.Context, keyID string) (*httpsig.PublicKey, error) {
		<-release
		return nil, errors.New("late")
	}, KeyCacheOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Key(ctx, "https://peer.example/k", false); !errors.Is(err, httpsig.ErrKeyUnavailable) {
		t.Fatalf("err = %v", err)
	}
}
