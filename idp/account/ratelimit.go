package account

import (
	"net/netip"
	"sync"
	"time"
)

// loginLimiter counts failed logins per account (by normalized email, so
// unknown and known emails behave alike) and per remote address, and
// sign-ups per remote address, in memory: limits reset when the process restarts, and each table holds at
// most MaxKeys entries (when full, expired entries are swept and, if that
// is not enough, an arbitrary entry is dropped — a flood of distinct keys
// can thus free a limited one; IPv6 addresses count per /64 to make such
// floods costly).
//
// An attempt is counted when it starts (take) and refunded when it
// succeeds, so parallel guesses cannot overrun the limit.
type loginLimiter struct {
	mu     sync.Mutex
	acct   *window
	ip     *window
	signup *window // sign-ups per address (Options.SignupLimit)
}

type window struct {
	RateLimit
	m         map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	start time.Time
	n     int
}

func newLoginLimiter(acct, ip, signup RateLimit) *loginLimiter {
	return &loginLimiter{
		acct:   &window{RateLimit: acct, m: map[string]*bucket{}},
		ip:     &window{RateLimit: ip, m: map[string]*bucket{}},
		signup: &window{RateLimit: signup, m: map[string]*bucket{}},
	}
}

// take reports whether an attempt for this email and address may go
// ahead and, if so, counts it as a failure until succeed is called. An
// empty key is not limited.
func (l *loginLimiter) take(email, ip string, now time.Time) bool {
	ip = ipKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.acct.limited(email, now) || l.ip.limited(ip, now) {
		return false
	}
	l.acct.add(email, now)
	l.ip.add(ip, now)
	return true
}

// succeed clears the account's failures and refunds the address's
// attempt (but does not clear it: one good password must not reset an
// address that is guessing at other accounts).
func (l *loginLimiter) succeed(email, ip string) {
	ip = ipKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.acct.m, email)
	if b := l.ip.m[ip]; b != nil && b.n > 0 {
		b.n--
	}
}

// takeSignup reports whether a sign-up from this address may go ahead and,
// if so, counts it (until refundSignup gives it back). An empty address
// is not limited.
func (l *loginLimiter) takeSignup(ip string, now time.Time) bool {
	ip = ipKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.signup.limited(ip, now) {
		return false
	}
	l.signup.add(ip, now)
	return true
}

// refundSignup gives back a sign-up counted by takeSignup (one that failed
// through no fault of the client).
func (l *loginLimiter) refundSignup(ip string) {
	ip = ipKey(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.signup.m[ip]; b != nil && b.n > 0 {
		b.n--
	}
}

func (w *window) limited(key string, now time.Time) bool {
	b := w.m[key]
	if key == "" || b == nil {
		return false
	}
	if !now.Before(b.start.Add(w.Window)) {
		delete(w.m, key)
		return false
	}
	return b.n >= w.Failures
}

func (w *window) add(key string, now time.Time) {
	if key == "" {
		return
	}
	if b := w.m[key]; b != nil && now.Before(b.start.Add(w.Window)) {
		b.n++
		return
	}
	if len(w.m) >= w.MaxKeys {
		w.makeRoom(now)
	}
	w.m[key] = &bucket{start: now, n: 1}
}

// makeRoom sweeps expired entries (at most once per minute, so a full
// table does not cost a sweep per attempt), then drops arbitrary ones.
func (w *window) makeRoom(now time.Time) {
	if now.Sub(w.lastSweep) >= time.Minute || now.Before(w.lastSweep) {
		w.lastSweep = now
		for k, b := range w.m {
			if !now.Before(b.start.Add(w.Window)) {
				delete(w.m, k)
			}
		}
	}
	for k := range w.m {
		if len(w.m) < w.MaxKeys {
			break
		}
		delete(w.m, k)
	}
}

// ipKey is the rate-limit key of a remote address: IPv4 as is, IPv6 by
// its /64 (one customer usually holds a whole /64). Anything that does not
// parse is used verbatim, capped in length.
func ipKey(s string) string {
	if s == "" {
		return ""
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		if ap, err2 := netip.ParseAddrPort(s); err2 == nil {
			a, err = ap.Addr(), nil
		}
	}
	if err != nil {
		if len(s) > 64 {
			s = s[:64]
		}
		return "?" + s
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
