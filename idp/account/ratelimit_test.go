package account

import (
	"fmt"
	"testing"
	"time"
)

func TestIPKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"192.0.2.1", "192.0.2.1"},
		{"192.0.2.1:5678", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2::9]:443", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not-an-ip", "?not-an-ip"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ipKey(tt.in); got != tt.want {
				t.Fatalf("ipKey(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLimiterBounded(t *testing.T) {
	lim := RateLimit{Failures: 2, Window: time.Minute, MaxKeys: 10}
	l := newLoginLimiter(lim, lim, lim)
	now := time.Unix(1000, 0)
	for i := range 100 {
		l.take(fmt.Sprintf("u%d", i), fmt.Sprintf("10.0.0.%d", i), now)
	}
	if len(l.acct.m) > 10 || len(l.ip.m) > 10 {
		t.Fatalf("tables hold %d and %d keys, bound 10", len(l.acct.m), len(l.ip.m))
	}
	// Expired entries are swept before live ones are dropped.
	later := now.Add(2 * time.Minute)
	l.take("fresh", "", later)
	l.take("fresh", "", later)
	for i := range 9 {
		l.take(fmt.Sprintf("v%d", i), "", later)
	}
	if l.take("fresh", "", later) {
		t.Fatal("a live limited key was dropped while expired ones remained")
	}
}

func TestLimiterEmptyKeys(t *testing.T) {
	lim := RateLimit{Failures: 1, Window: time.Minute, MaxKeys: 10}
	l := newLoginLimiter(lim, lim, lim)
	now := time.Unix(1000, 0)
	for range 5 {
		if !l.take("", "", now) {
			t.Fatal("empty keys are limited")
		}
	}
}
