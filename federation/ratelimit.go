package federation

import (
	"sync"
	"time"
)

// domainLimiter is the inbox's flood guard (SECURITY row 43 of issue 14):
// a token bucket per sending domain (the host of the signature's key id),
// so a flood from one domain is refused with 429 while other domains are
// unaffected. It keeps at most max buckets: when full, buckets that have
// refilled (the same as no bucket) are dropped, then arbitrary ones.
type domainLimiter struct {
	rate  float64 // tokens per second
	burst float64
	max   int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newDomainLimiter(rate float64, burst, max int) *domainLimiter {
	return &domainLimiter{rate: rate, burst: float64(burst), max: max, now: time.Now, buckets: map[string]*bucket{}}
}

// allow takes one token of domain's bucket.
func (l *domainLimiter) allow(domain string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[domain]
	if b == nil {
		if len(l.buckets) >= l.max {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[domain] = b
	}
	b.tokens += now.Sub(b.last).Seconds() * l.rate
	if b.tokens > l.burst {
		b.tokens = l.burst
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// evict makes room: every refilled bucket goes; if none has, a quarter of
// the buckets (map order: arbitrary).
func (l *domainLimiter) evict(now time.Time) {
	for d, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, d)
		}
	}
	if len(l.buckets) < l.max {
		return
	}
	n := len(l.buckets) / 4
	for d := range l.buckets {
		if n <= 0 {
			break
		}
		delete(l.buckets, d)
		n--
	}
}

func (l *domainLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
