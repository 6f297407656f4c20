package account

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/badgerstore"
)

// cheap are Argon2id parameters for tests only; the default stays strong.
var cheap = Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// clock is an injectable, settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func openKV(t testing.TB) kv.KV {
	t.Helper()
	st, err := badgerstore.Open(t.TempDir(), badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	kv, err := st.KV(kv.Accounts)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// newTestService opens a Service on a fresh Badger store with cheap
// hashing and an injected clock (unless opts sets them).
func newTestService(t testing.TB, opts Options) (*Service, *clock) {
	t.Helper()
	c := newClock()
	if opts.Now == nil {
		opts.Now = c.Now
	}
	if opts.Argon2 == (Argon2Params{}) {
		opts.Argon2 = cheap
	}
	s, err := New(context.Background(), openKV(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

const testPassword = "correct horse battery"

func mustCreate(t testing.TB, s *Service, email string) *Account {
	t.Helper()
	a, err := s.Provision(context.Background(), NewAccount{Email: email, Password: testPassword}, false)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
