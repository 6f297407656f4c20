package account

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestReset(t *testing.T) {
	ctx := context.Background()
	s, c := newTestService(t, Options{})
	a := mustCreate(t, s, "alice@example.org")
	sess, _ := s.NewSession(ctx, a.ID)

	for _, e := range []string{"bob@example.org", "not an email", ""} {
		if tok, err := s.NewResetToken(ctx, e); tok != "" || err != nil {
			t.Fatalf("NewResetToken(%q) = %q, %v; want \"\", nil", e, tok, err)
		}
	}
	tok, err := s.NewResetToken(ctx, "alice@EXAMPLE.org")
	if err != nil || len(tok) != 43 {
		t.Fatalf("NewResetToken = %q, %v", tok, err)
	}
	s.kv.List(ctx, "reset/", func(key string, v []byte) error {
		if strings.Contains(key, tok) || strings.Contains(string(v), tok) {
			t.Error("reset token stored in clear")
		}
		return nil
	})
	const newPW = "brand new password"
	tests := []struct {
		name, tok, pw string
		want          error
	}{
		{"short password keeps the token", tok, "short", ErrPasswordTooShort},
		{"wrong token", "wrong", newPW, ErrBadToken},
		{"empty token", "", newPW, ErrBadToken},
		{"good", tok, newPW, nil},
		{"used", tok, newPW + "2", ErrBadToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Reset(ctx, tt.tok, tt.pw); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Reset = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := s.Login(ctx, a.Email, newPW, ""); err != nil {
		t.Fatalf("login with reset password: %v", err)
	}
	if _, err := s.Session(ctx, sess); !errors.Is(err, ErrNoSession) {
		t.Fatalf("session survived reset: %v", err)
	}

	t.Run("expired", func(t *testing.T) {
		tok, _ := s.NewResetToken(ctx, a.Email)
		c.Advance(time.Hour)
		if err := s.Reset(ctx, tok, "another password"); !errors.Is(err, ErrBadToken) {
			t.Fatalf("expired token = %v", err)
		}
		if err := s.Reset(ctx, tok, "another password"); !errors.Is(err, ErrBadToken) {
			t.Fatalf("expired token again = %v", err)
		}
	})
	t.Run("void after password change", func(t *testing.T) {
		tok1, _ := s.NewResetToken(ctx, a.Email)
		tok2, _ := s.NewResetToken(ctx, a.Email)
		if err := s.Reset(ctx, tok1, "password one"); err != nil {
			t.Fatal(err)
		}
		if err := s.Reset(ctx, tok2, "password two"); !errors.Is(err, ErrBadToken) {
			t.Fatalf("second outstanding token = %v", err)
		}
		tok3, _ := s.NewResetToken(ctx, a.Email)
		if err := s.ChangePassword(ctx, a.ID, "password one", "password three"); err != nil {
			t.Fatal(err)
		}
		if err := s.Reset(ctx, tok3, "password four"); !errors.Is(err, ErrBadToken) {
			t.Fatalf("token from before ChangePassword = %v", err)
		}
	})
	t.Run("concurrent use: once", func(t *testing.T) {
		tok, _ := s.NewResetToken(ctx, a.Email)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range 5 {
			wg.Go(func() {
				if s.Reset(ctx, tok, "raced password") == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if ok != 1 {
			t.Fatalf("token used %d times", ok)
		}
	})
}
