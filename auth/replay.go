package auth

import (
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultReplayCapacity is the replay cache size when NewReplayCache is given
// zero. At 5,000 DPoP requests/s and a ±60 s window about 300k entries are
// live; an entry costs roughly 40–50 bytes, so the default is ~25 MB at most.
const DefaultReplayCapacity = 1 << 19

const replayShards = 64

// ReplayCache remembers DPoP proof jtis so that a proof is accepted once.
//
// Design (SECURITY.md row 27: the cache cannot be flushed by volume):
//   - Key: the first 16 bytes of SHA-256(thumbprint ‖ 0x00 ‖ jti), so a jti
//     is scoped to the key that signed it and every entry has a fixed size
//     whatever the jti length. A 128-bit collision would only make an honest
//     proof look replayed; it can never make a replay look fresh.
//   - Value: the proof's Expires (iat + window). After that instant the proof
//     itself is refused by the iat check, so the entry is no longer needed.
//   - Nothing unexpired is ever evicted. Expired entries are swept lazily per
//     shard. The total number of entries is capped; when the cap is reached
//     and a sweep frees nothing, new proofs are refused with
//     ErrReplayCacheFull (fail closed) until entries expire — at most
//     2×window later. Volume can therefore cause refusals, never a replay.
//
// It is safe for concurrent use.
type ReplayCache struct {
	max    int64
	count  atomic.Int64
	shards [replayShards]replayShard
	// lastFullSweep (unix nanos) rate-limits the full sweep done when the
	// cache is at capacity to once per second.
	lastFullSweep atomic.Int64
}

type replayShard struct {
	mu        sync.Mutex
	m         map[[16]byte]int64 // key -> expiry (unix nanos)
	nextSweep int64
}

// NewReplayCache returns a cache holding at most maxEntries unexpired jtis
// (DefaultReplayCapacity if maxEntries <= 0).
func NewReplayCache(maxEntries int) *ReplayCache {
	if maxEntries <= 0 {
		maxEntries = DefaultReplayCapacity
	}
	c := &ReplayCache{max: int64(maxEntries)}
	for i := range c.shards {
		c.shards[i].m = make(map[[16]byte]int64)
	}
	return c
}

// Len reports the number of entries held (expired ones not yet swept
// included).
func (c *ReplayCache) Len() int { return int(c.count.Load()) }

// Use records p's jti (scoped by p.Thumbprint) until p.Expires. It returns
// an error matching ErrReplay if the jti was already recorded and has not
// expired, and ErrReplayCacheFull if the cache is full of unexpired entries.
func (c *ReplayCache) Use(p *Proof, now time.Time) error {
	if p == nil {
		return proofErr("nil proof")
	}
	return c.use(p.Thumbprint, p.JTI, p.Expires, now)
}

func (c *ReplayCache) use(scope, jti string, expires, now time.Time) error {
	h := sha256.New()
	h.Write([]byte(scope))
	h.Write([]byte{0})
	h.Write([]byte(jti))
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	var key [16]byte
	copy(key[:], sum[:16])

	n := now.UnixNano()
	exp := expires.UnixNano()
	s := &c.shards[key[0]%replayShards]

	s.mu.Lock()
	if e, ok := s.m[key]; ok {
		if e >= n {
			s.mu.Unlock()
			return &authError{sentinel: ErrReplay, reason: "jti already used"}
		}
		// Expired entry for the same key: reuse its slot.
		s.m[key] = exp
		s.mu.Unlock()
		return nil
	}
	if n >= s.nextSweep {
		// Amortised housekeeping: each shard sweeps itself at most once a
		// second, so stale entries do not accumulate up to the cap.
		s.sweepLocked(n, &c.count)
		s.nextSweep = n + int64(time.Second)
	}
	s.mu.Unlock()

	// Reserve a slot. At capacity, sweep expired entries (at most once a
	// second) and try again; if still full, refuse: never evict a live entry.
	if c.count.Add(1) > c.max {
		c.count.Add(-1)
		c.sweepAll(n)
		if c.count.Add(1) > c.max {
			c.count.Add(-1)
			return &authError{sentinel: ErrReplayCacheFull, reason: "replay cache at capacity"}
		}
	}

	s.mu.Lock()
	if e, ok := s.m[key]; ok && e >= n {
		// A concurrent request with the same proof won the race.
		s.mu.Unlock()
		c.count.Add(-1)
		return &authError{sentinel: ErrReplay, reason: "jti already used"}
	} else if ok {
		c.count.Add(-1) // overwriting an expired entry: no new slot
	}
	s.m[key] = exp
	s.mu.Unlock()
	return nil
}

// sweepAll removes expired entries from every shard, at most once per second
// (so a flood at capacity does not turn every request into a full scan).
func (c *ReplayCache) sweepAll(n int64) {
	last := c.lastFullSweep.Load()
	if n-last < int64(time.Second) || !c.lastFullSweep.CompareAndSwap(last, n) {
		return
	}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.sweepLocked(n, &c.count)
		s.mu.Unlock()
	}
}

func (s *replayShard) sweepLocked(n int64, count *atomic.Int64) {
	removed := 0
	for k, e := range s.m {
		if e < n {
			delete(s.m, k)
			removed++
		}
	}
	if removed > 0 {
		count.Add(int64(-removed))
	}
}
