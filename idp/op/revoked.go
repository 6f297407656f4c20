package op

import (
	"strconv"
	"sync"
	"time"

	"github.com/naamio/naamio/kv"
)

// issuedAccess is an access token issued within a grant or from a code:
// enough to revoke it before it expires.
type issuedAccess struct {
	JTI string `json:"jti"`
	Exp int64  `json:"exp"` // Unix seconds
}

// live drops the entries that have expired by now.
func live(list []issuedAccess, now time.Time) []issuedAccess {
	out := list[:0:0]
	for _, a := range list {
		if a.Exp > now.Unix() {
			out = append(out, a)
		}
	}
	return out
}

// revokedSet is the in-memory copy of the revoked access tokens (kvRevoked):
// the resource server asks it on every request.
type revokedSet struct {
	mu sync.RWMutex
	m  map[string]int64 // jti -> exp (Unix seconds)
}

func (s *revokedSet) has(jti string, now time.Time) bool {
	s.mu.RLock()
	exp, ok := s.m[jti]
	s.mu.RUnlock()
	return ok && exp > now.Unix()
}

// add records list, dropping entries that have expired meanwhile.
func (s *revokedSet) add(list []issuedAccess, now time.Time) {
	if len(list) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]int64{}
	}
	for jti, exp := range s.m {
		if exp <= now.Unix() {
			delete(s.m, jti)
		}
	}
	for _, a := range list {
		s.m[a.JTI] = a.Exp
	}
}

// Revoked reports whether this provider revoked the access token with the
// given jti before its expiry (a code presented twice, a refresh token
// reused, a grant revoked by its account or the client). The resource
// server asks it for every token this issuer signed (auth.AuthOptions.
// Revoked); it answers from memory.
func (p *Provider) Revoked(jti string) bool { return p.revoked.has(jti, p.now()) }

// revokeAccessTx stores the still-live entries of list as revoked, each
// until its token expires, and returns them; the caller adds them to
// p.revoked once the transaction has committed.
func revokeAccessTx(tx kv.Txn, list []issuedAccess, now time.Time) ([]issuedAccess, error) {
	list = live(list, now)
	for _, a := range list {
		ttl := time.Unix(a.Exp, 0).Sub(now) + time.Minute
		if err := tx.Set(kvRevoked+a.JTI, []byte(strconv.FormatInt(a.Exp, 10)), ttl); err != nil {
			return nil, err
		}
	}
	return list, nil
}
