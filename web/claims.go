package web

import (
	"crypto/sha256"
	"sync"
	"time"
)

// maxClaims bounds the claim table's memory (about 100 bytes an entry).
const maxClaims = 100_000

// claimTable remembers which browser claimed which authorization request
// (interaction), so that only that browser can log in to it and approve or
// deny it (op.Interaction: "one user cannot complete another's request").
// Keys and browser tokens are kept as SHA-256 hashes.
//
// It lives in memory: a restart forgets the claims, and a browser whose
// claim was forgotten is refused and starts the sign-in again. When full,
// expired entries are swept and then arbitrary ones dropped.
type claimTable struct {
	mu  sync.Mutex
	m   map[[32]byte]claim
	max int
	now func() time.Time
	// lastSweep limits full sweeps to one a minute under a flood.
	lastSweep time.Time
}

type claim struct {
	browser [32]byte
	expires time.Time
}

func newClaimTable(max int, now func() time.Time) *claimTable {
	return &claimTable{m: map[[32]byte]claim{}, max: max, now: now}
}

func claimKey(interaction string) [32]byte {
	return sha256.Sum256([]byte("interaction\x00" + interaction))
}

// bind claims interaction for browser for ttl, or reports false when
// another browser holds a live claim on it.
func (c *claimTable) bind(interaction, browser string, ttl time.Duration) bool {
	k, b, now := claimKey(interaction), sha256.Sum256([]byte(browser)), c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.m[k]; ok && now.Before(cur.expires) {
		return cur.browser == b
	}
	if len(c.m) >= c.max {
		c.makeRoom(now)
	}
	c.m[k] = claim{browser: b, expires: now.Add(ttl)}
	return true
}

// holds reports whether browser holds a live claim on interaction.
func (c *claimTable) holds(interaction, browser string) bool {
	if browser == "" {
		return false
	}
	k, b := claimKey(interaction), sha256.Sum256([]byte(browser))
	c.mu.Lock()
	defer c.mu.Unlock()
	cur, ok := c.m[k]
	return ok && cur.browser == b && c.now().Before(cur.expires)
}

// drop forgets the claim on a finished interaction.
func (c *claimTable) drop(interaction string) {
	k := claimKey(interaction)
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

func (c *claimTable) makeRoom(now time.Time) {
	if now.Sub(c.lastSweep) >= time.Minute || now.Before(c.lastSweep) {
		c.lastSweep = now
		for k, v := range c.m {
			if !now.Before(v.expires) {
				delete(c.m, k)
			}
		}
	}
	for k := range c.m {
		if len(c.m) < c.max {
			break
		}
		delete(c.m, k)
	}
}
