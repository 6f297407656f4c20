package account

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSession(t *testing.T) {
	ctx := context.Background()
	s, c := newTestService(t, Options{SessionTTL: time.Hour})
	a := mustCreate(t, s, "alice@example.org")
	tok, err := s.NewSession(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 43 || strings.ContainsAny(tok, "+/=") {
		t.Fatalf("token %q is not 256 bits of base64url", tok)
	}
	s.kv.List(ctx, "sess/", func(key string, v []byte) error {
		if strings.Contains(key, tok) || strings.Contains(string(v), tok) {
			t.Error("session token stored in clear")
		}
		return nil
	})
	if got, err := s.Session(ctx, tok); err != nil || got.ID != a.ID {
		t.Fatalf("Session = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "nope", tok + "x", strings.Repeat("a", 10000)} {
		if _, err := s.Session(ctx, bad); !errors.Is(err, ErrNoSession) {
			t.Errorf("Session(%.20q) = %v", bad, err)
		}
	}
	if _, err := s.NewSession(ctx, newToken(idBytes)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("NewSession for nobody = %v", err)
	}

	c.Advance(time.Hour - time.Second)
	if _, err := s.Session(ctx, tok); err != nil {
		t.Fatalf("just before expiry: %v", err)
	}
	c.Advance(time.Second)
	if _, err := s.Session(ctx, tok); !errors.Is(err, ErrNoSession) {
		t.Fatalf("expired session = %v", err)
	}

	tok2, _ := s.NewSession(ctx, a.ID)
	if err := s.EndSession(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, tok2); !errors.Is(err, ErrNoSession) {
		t.Fatalf("ended session = %v", err)
	}
	if err := s.EndSession(ctx, tok2); err != nil {
		t.Fatalf("ending twice = %v", err)
	}
	if err := s.EndSession(ctx, ""); err != nil {
		t.Fatalf("ending no session = %v", err)
	}
}

func TestEndAllSessions(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, Options{})
	a := mustCreate(t, s, "alice@example.org")
	b := mustCreate(t, s, "bob@example.org")
	t1, _ := s.NewSession(ctx, a.ID)
	t2, _ := s.NewSession(ctx, a.ID)
	tb, _ := s.NewSession(ctx, b.ID)
	if err := s.EndAllSessions(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{t1, t2} {
		if _, err := s.Session(ctx, tok); !errors.Is(err, ErrNoSession) {
			t.Fatalf("session after EndAllSessions = %v", err)
		}
	}
	if _, err := s.Session(ctx, tb); err != nil {
		t.Fatalf("other account's session = %v", err)
	}
	t3, _ := s.NewSession(ctx, a.ID)
	if _, err := s.Session(ctx, t3); err != nil {
		t.Fatalf("new session after EndAllSessions = %v", err)
	}
	if err := s.EndAllSessions(ctx, newToken(idBytes)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("EndAllSessions for nobody = %v", err)
	}
}

func TestSlidingSession(t *testing.T) {
	ctx := context.Background()
	for _, sliding := range []bool{true, false} {
		s, c := newTestService(t, Options{SessionTTL: time.Hour, SlidingSessions: sliding})
		a := mustCreate(t, s, "alice@example.org")
		tok, _ := s.NewSession(ctx, a.ID)
		c.Advance(40 * time.Minute)
		if _, err := s.Session(ctx, tok); err != nil {
			t.Fatal(err)
		}
		c.Advance(40 * time.Minute)
		_, err := s.Session(ctx, tok)
		if sliding && err != nil {
			t.Fatalf("sliding session expired after use: %v", err)
		}
		if !sliding && !errors.Is(err, ErrNoSession) {
			t.Fatalf("fixed session outlived its TTL: %v", err)
		}
	}
}

func TestCookie(t *testing.T) {
	tests := []struct {
		base, name string
		secure     bool
	}{
		{"https://pod.example", "__Host-naamio-session", true},
		{"http://localhost:8443", "naamio-session", false},
		{"", "naamio-session", false},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			s, _ := newTestService(t, Options{BaseURL: tt.base})
			c := s.Cookie("tok")
			if c.Name != tt.name || s.CookieName() != tt.name || c.Value != "tok" || !c.HttpOnly || c.Secure != tt.secure ||
				c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.MaxAge != 14*24*3600 {
				t.Fatalf("cookie = %+v", c)
			}
			if err := c.Valid(); err != nil {
				t.Fatal(err)
			}
			clear := s.ClearCookie()
			if clear.Name != tt.name || clear.Value != "" || clear.MaxAge >= 0 || !clear.HttpOnly {
				t.Fatalf("clear cookie = %+v", clear)
			}
		})
	}
}
