package badgerstore

import (
	"fmt"
	"sync"

	"github.com/dgraph-io/badger/v4"

	"github.com/naamio/naamio/ldp"
)

var _ ldp.UsageReporter = (*Store)(nil)

// usage accounts for the bytes of resource bodies stored, against an
// optional quota. It lives in memory only: Open computes it by summing the
// sizes of all records (one prefix scan), and each commit adjusts it by its
// size delta, so no write ever touches a shared counter key.
//
// A write that grows the total reserves its growth before it commits and
// settles the reservation afterwards (kept on success, returned on
// failure). The check "used + reserved + growth <= quota" and the
// reservation happen under one mutex, so concurrent writers cannot together
// pass the quota: there is no overshoot. A write that shrinks or keeps the
// total is never refused, even over quota (after the quota was lowered), and
// its decrease counts only once it has committed.
type usage struct {
	quota int64 // 0: none

	mu       sync.Mutex
	used     int64 // committed bytes
	reserved int64 // growth of commits in flight
}

// Usage reports the bytes of bodies stored and the quota (ldp.UsageReporter).
func (s *Store) Usage() ldp.Usage {
	s.usage.mu.Lock()
	defer s.usage.mu.Unlock()
	return ldp.Usage{Used: s.usage.used, Quota: s.usage.quota}
}

// reserve claims growth bytes for a commit about to happen, or returns
// ldp.ErrQuotaExceeded. growth <= 0 claims nothing.
func (u *usage) reserve(growth int64) error {
	if growth <= 0 {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.quota > 0 && u.used+u.reserved+growth > u.quota {
		return fmt.Errorf("%w: %d more bytes would pass the quota of %d (%d used)",
			ldp.ErrQuotaExceeded, growth, u.quota, u.used)
	}
	u.reserved += growth
	return nil
}

// settle ends a reservation made by reserve(delta): on commit the delta
// becomes part of the total, otherwise the reservation is returned.
func (u *usage) settle(delta int64, committed bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if delta > 0 {
		u.reserved -= delta
	}
	if committed {
		u.used += delta
	}
}

// admits reports, while a body is still being read, whether staged bytes
// replacing a resource of credit bytes could still fit. It is an early
// refusal only (the commit's reservation is the real check), so a body far
// over the quota is not streamed to the end first.
func (u *usage) admits(staged, credit int64) error {
	if u.quota <= 0 {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.used+u.reserved+staged-credit > u.quota {
		return fmt.Errorf("%w: the body passes the quota of %d (%d used)", ldp.ErrQuotaExceeded, u.quota, u.used)
	}
	return nil
}

// initUsage sums the body sizes of all records.
func (s *Store) initUsage(quota int64) error {
	var total int64
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixRecord)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			err := item.Value(func(v []byte) error {
				size, err := peekSize(v)
				if err != nil {
					return corrupt(item.Key())
				}
				total += size
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	s.usage.quota = max(quota, 0)
	s.usage.used = total
	return err
}

// sizeAt is the body size of the resource at path (0 when absent), read
// outside any write transaction: the credit a replacement gets while its
// body is staged.
func (s *Store) sizeAt(path string) int64 {
	var size int64
	_ = s.view(func(txn *badger.Txn) error {
		rec, err := getRecord(txn, path, false)
		if err == nil && rec != nil {
			size = rec.size
		}
		return nil
	})
	return size
}
