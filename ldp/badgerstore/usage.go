package badgerstore

import (
	"fmt"
	"strings"
	"sync"

	"github.com/dgraph-io/badger/v4"

	"github.com/naamio/naamio/ldp"
)

var _ ldp.UsageReporter = (*Store)(nil)

// usage accounts for the bytes of resource bodies stored, against an
// optional quota for the whole store and optional quotas per pod (issue 16
// item 6). It lives in memory only: Open computes it by summing the sizes
// of all records (one prefix scan), and each commit adjusts it by its size
// delta, so no write ever touches a shared counter key.
//
// A pod, for the accounting, is the first segment of a path that has more
// segments after it: /alice/notes/x counts for "alice" (as does /alice/
// itself); /x and the root's auxiliary resources count for no pod. Every
// plan writes within one pod (a Put's intermediates are its target's
// ancestors below the root, which always exists), so one pod name per
// plan suffices.
//
// A write that grows the total reserves its growth before it commits and
// settles the reservation afterwards (kept on success, returned on
// failure). The checks "used + reserved + growth <= quota", for the store
// and for the pod, and the reservation happen under one mutex, so
// concurrent writers cannot together pass either quota: there is no
// overshoot. A write that shrinks or keeps the total is never refused,
// even over quota (after the quota was lowered), and its decrease counts
// only once it has committed.
type usage struct {
	quota int64 // 0: none

	mu       sync.Mutex
	used     int64 // committed bytes
	reserved int64 // growth of commits in flight
	pods     map[string]*podUsage
	// podDefault is the quota of a pod without one of its own (0: none);
	// podQuota the pods' own (0: none for that pod, whatever the default).
	podDefault int64
	podQuota   map[string]int64
}

type podUsage struct {
	used, reserved int64
}

// podOf is the pod whose quota a path's body counts against ("" for none).
func podOf(path string) string {
	if len(path) < 3 || path[0] != '/' || path[1] == '.' {
		return ""
	}
	i := strings.IndexByte(path[1:], '/')
	if i <= 0 {
		return ""
	}
	return path[1 : 1+i]
}

// Usage reports the bytes of bodies stored and the quota (ldp.UsageReporter).
func (s *Store) Usage() ldp.Usage {
	s.usage.mu.Lock()
	defer s.usage.mu.Unlock()
	return ldp.Usage{Used: s.usage.used, Quota: s.usage.quota}
}

// PodUsage reports the bytes of bodies stored in the pod named pod (its
// root container /pod/ and everything under it) and the pod's quota
// (ldp.PodUsageReporter).
func (s *Store) PodUsage(pod string) ldp.Usage {
	s.usage.mu.Lock()
	defer s.usage.mu.Unlock()
	var used int64
	if p := s.usage.pods[pod]; p != nil {
		used = p.used
	}
	return ldp.Usage{Used: used, Quota: s.usage.quotaOf(pod)}
}

// SetPodQuotas sets the default quota of a pod and each pod's own
// (replacing all earlier ones): 0 means none, a negative size is refused.
// The quotas apply from the next write on; what is stored already stays.
func (s *Store) SetPodQuotas(def int64, own map[string]int64) error {
	if def < 0 {
		return fmt.Errorf("badgerstore: negative default pod quota %d", def)
	}
	m := make(map[string]int64, len(own))
	for pod, q := range own {
		if q < 0 || pod == "" || podOf("/"+pod+"/") != pod {
			return fmt.Errorf("badgerstore: bad pod quota %q: %d", pod, q)
		}
		m[pod] = q
	}
	s.usage.mu.Lock()
	defer s.usage.mu.Unlock()
	s.usage.podDefault, s.usage.podQuota = def, m
	return nil
}

// SetPodQuota sets one pod's own quota (0: none); a negative q removes
// it, so that the default applies again.
func (s *Store) SetPodQuota(pod string, q int64) error {
	if pod == "" || podOf("/"+pod+"/") != pod {
		return fmt.Errorf("badgerstore: bad pod name %q", pod)
	}
	s.usage.mu.Lock()
	defer s.usage.mu.Unlock()
	if q < 0 {
		delete(s.usage.podQuota, pod)
		return nil
	}
	if s.usage.podQuota == nil {
		s.usage.podQuota = map[string]int64{}
	}
	s.usage.podQuota[pod] = q
	return nil
}

// quotaOf is pod's quota (u.mu held).
func (u *usage) quotaOf(pod string) int64 {
	if pod == "" {
		return 0
	}
	if q, ok := u.podQuota[pod]; ok {
		return q
	}
	return u.podDefault
}

// pod returns pod's counters, creating them (u.mu held).
func (u *usage) pod(pod string) *podUsage {
	p := u.pods[pod]
	if p == nil {
		if u.pods == nil {
			u.pods = map[string]*podUsage{}
		}
		p = &podUsage{}
		u.pods[pod] = p
	}
	return p
}

// reserve claims growth bytes in pod for a commit about to happen, or
// returns ldp.ErrQuotaExceeded. growth <= 0 claims nothing.
func (u *usage) reserve(pod string, growth int64) error {
	if growth <= 0 {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.quota > 0 && u.used+u.reserved+growth > u.quota {
		return fmt.Errorf("%w: %d more bytes would pass the quota of %d (%d used)",
			ldp.ErrQuotaExceeded, growth, u.quota, u.used)
	}
	if pod != "" {
		p := u.pod(pod)
		if q := u.quotaOf(pod); q > 0 && p.used+p.reserved+growth > q {
			return fmt.Errorf("%w: %d more bytes would pass the pod's quota of %d (%d used)",
				ldp.ErrQuotaExceeded, growth, q, p.used)
		}
		p.reserved += growth
	}
	u.reserved += growth
	return nil
}

// settle ends a reservation made by reserve(pod, delta): on commit the
// delta becomes part of the totals, otherwise the reservation is returned.
func (u *usage) settle(pod string, delta int64, committed bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	var p *podUsage
	if pod != "" {
		p = u.pod(pod)
	}
	if delta > 0 {
		u.reserved -= delta
		if p != nil {
			p.reserved -= delta
		}
	}
	if committed {
		u.used += delta
		if p != nil {
			p.used += delta
		}
	}
}

// admits reports, while a body for pod is still being read, whether
// staged bytes replacing a resource of credit bytes could still fit. It is
// an early refusal only (the commit's reservation is the real check), so a
// body far over a quota is not streamed to the end first.
func (u *usage) admits(pod string, staged, credit int64) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.quota > 0 && u.used+u.reserved+staged-credit > u.quota {
		return fmt.Errorf("%w: the body passes the quota of %d (%d used)", ldp.ErrQuotaExceeded, u.quota, u.used)
	}
	if q := u.quotaOf(pod); q > 0 {
		var used, reserved int64
		if p := u.pods[pod]; p != nil {
			used, reserved = p.used, p.reserved
		}
		if used+reserved+staged-credit > q {
			return fmt.Errorf("%w: the body passes the pod's quota of %d (%d used)", ldp.ErrQuotaExceeded, q, used)
		}
	}
	return nil
}

// limited reports whether a write to path is under any quota (for the
// credit of a replacement, read only then).
func (u *usage) limited(path string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.quota > 0 || u.quotaOf(podOf(path)) > 0
}

// initUsage sums the body sizes of all records, in all and per pod.
func (s *Store) initUsage(quota int64) error {
	var total int64
	pods := map[string]*podUsage{}
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
				if pod := podOf(string(item.Key()[len(prefixRecord):])); pod != "" {
					p := pods[pod]
					if p == nil {
						p = &podUsage{}
						pods[pod] = p
					}
					p.used += size
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	s.usage.mu.Lock()
	s.usage.quota = max(quota, 0)
	s.usage.used = total
	s.usage.pods = pods
	s.usage.mu.Unlock()
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
