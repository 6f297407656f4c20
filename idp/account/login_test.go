package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLogin(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, Options{})
	a := mustCreate(t, s, "alice@example.org")
	tests := []struct {
		name, email, pw string
		want            error
	}{
		{"right", "alice@example.org", testPassword, nil},
		{"domain case and spaces", " alice@EXAMPLE.ORG ", testPassword, nil},
		{"wrong password", "alice@example.org", "wrong password", ErrBadLogin},
		{"unknown user", "bob@example.org", testPassword, ErrBadLogin},
		{"local part case", "Alice@example.org", testPassword, ErrBadLogin},
		{"malformed email", "alice", testPassword, ErrBadLogin},
		{"empty password", "alice@example.org", "", ErrBadLogin},
		{"huge password", "alice@example.org", strings.Repeat("x", MaxPasswordBytes+1), ErrBadLogin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Login(ctx, tt.email, tt.pw, "192.0.2.1")
			if tt.want == nil {
				if err != nil || got.ID != a.ID {
					t.Fatalf("Login = %+v, %v", got, err)
				}
				return
			}
			// Exactly the sentinel: nothing in the error tells unknown user
			// from wrong password.
			if err != tt.want || got != nil {
				t.Fatalf("Login = %+v, %v; want exactly %v", got, err, tt.want)
			}
		})
	}
}

func TestLoginUnknownAndWrongLookAlike(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, Options{})
	mustCreate(t, s, "alice@example.org")
	_, errWrong := s.Login(ctx, "alice@example.org", "wrong password", "")
	_, errUnknown := s.Login(ctx, "nobody@example.org", "wrong password", "")
	if errWrong != errUnknown || errWrong.Error() != errUnknown.Error() {
		t.Fatalf("wrong password %q vs unknown user %q", errWrong, errUnknown)
	}
	// The unknown user is checked against a dummy hash of the same cost.
	p, _, _, err := parsePHC(s.dummy)
	if err != nil || p.Memory != s.opts.Argon2.Memory || p.Time != s.opts.Argon2.Time || p.Threads != s.opts.Argon2.Threads {
		t.Fatalf("dummy hash %q does not use the current parameters", s.dummy)
	}
}

// SECURITY row 34: 100 failed logins for one account or one IP.
func TestLoginRateLimit(t *testing.T) {
	ctx := context.Background()
	lim := RateLimit{Failures: 10, Window: 15 * time.Minute}
	t.Run("one account, many addresses", func(t *testing.T) {
		for _, email := range []string{"alice@example.org", "nobody@example.org"} {
			t.Run(email, func(t *testing.T) {
				s, c := newTestService(t, Options{AccountLimit: lim})
				mustCreate(t, s, "alice@example.org")
				errs := map[error]int{}
				for i := range 100 {
					_, err := s.Login(ctx, email, "wrong password", fmt.Sprintf("198.51.100.%d", i))
					errs[err]++
				}
				if errs[ErrBadLogin] != 10 || errs[ErrRateLimited] != 90 || len(errs) != 2 {
					t.Fatalf("errors = %v; want 10 ErrBadLogin then 90 ErrRateLimited", errs)
				}
				// Even the right password is refused until the window passes.
				if _, err := s.Login(ctx, email, testPassword, "203.0.113.9"); err != ErrRateLimited {
					t.Fatalf("right password while limited = %v", err)
				}
				c.Advance(15*time.Minute - time.Second)
				if _, err := s.Login(ctx, email, testPassword, "203.0.113.9"); err != ErrRateLimited {
					t.Fatalf("just before the window ends = %v", err)
				}
				c.Advance(time.Second)
				_, err := s.Login(ctx, email, testPassword, "203.0.113.9")
				if email == "alice@example.org" && err != nil {
					t.Fatalf("after the window = %v", err)
				}
				if email != "alice@example.org" && err != ErrBadLogin {
					t.Fatalf("unknown user after the window = %v", err)
				}
			})
		}
	})
	t.Run("one address, many accounts", func(t *testing.T) {
		s, c := newTestService(t, Options{IPLimit: lim})
		mustCreate(t, s, "alice@example.org")
		errs := map[error]int{}
		for i := range 100 {
			_, err := s.Login(ctx, fmt.Sprintf("user%d@example.org", i), "wrong password", "192.0.2.7")
			errs[err]++
		}
		if errs[ErrBadLogin] != 10 || errs[ErrRateLimited] != 90 {
			t.Fatalf("errors = %v; want 10 ErrBadLogin then 90 ErrRateLimited", errs)
		}
		if _, err := s.Login(ctx, "alice@example.org", testPassword, "192.0.2.7"); err != ErrRateLimited {
			t.Fatalf("limited address, right password = %v", err)
		}
		// Another address (and the same /64 counts as the same address).
		if _, err := s.Login(ctx, "alice@example.org", testPassword, "192.0.2.8"); err != nil {
			t.Fatalf("other address = %v", err)
		}
		for i := range 10 {
			s.Login(ctx, "x@example.org", "wrong password", fmt.Sprintf("2001:db8:1:2::%x", i+1))
		}
		if _, err := s.Login(ctx, "alice@example.org", testPassword, "2001:db8:1:2:ffff::1"); err != ErrRateLimited {
			t.Fatalf("same /64 = %v", err)
		}
		if _, err := s.Login(ctx, "alice@example.org", testPassword, "2001:db8:1:3::1"); err != nil {
			t.Fatalf("other /64 = %v", err)
		}
		c.Advance(15 * time.Minute)
		if _, err := s.Login(ctx, "alice@example.org", testPassword, "192.0.2.7"); err != nil {
			t.Fatalf("after the window = %v", err)
		}
	})
	t.Run("success clears the account's failures", func(t *testing.T) {
		s, _ := newTestService(t, Options{AccountLimit: lim})
		mustCreate(t, s, "alice@example.org")
		for range 3 {
			for range 9 {
				s.Login(ctx, "alice@example.org", "wrong password", "")
			}
			if _, err := s.Login(ctx, "alice@example.org", testPassword, ""); err != nil {
				t.Fatalf("login after 9 failures = %v", err)
			}
		}
	})
	t.Run("parallel guesses cannot overrun the limit", func(t *testing.T) {
		s, _ := newTestService(t, Options{AccountLimit: lim})
		mustCreate(t, s, "alice@example.org")
		var mu sync.Mutex
		bad := 0
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				_, err := s.Login(ctx, "alice@example.org", "wrong password", "")
				if err == ErrBadLogin {
					mu.Lock()
					bad++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if bad != 10 {
			t.Fatalf("%d passwords checked, want 10", bad)
		}
	})
	t.Run("change password counts", func(t *testing.T) {
		s, _ := newTestService(t, Options{AccountLimit: lim})
		a := mustCreate(t, s, "alice@example.org")
		for range 10 {
			s.ChangePassword(ctx, a.ID, "wrong password", "new password 1")
		}
		if err := s.ChangePassword(ctx, a.ID, testPassword, "new password 1"); !errors.Is(err, ErrRateLimited) {
			t.Fatalf("ChangePassword after 10 failures = %v", err)
		}
		if _, err := s.Login(ctx, a.Email, testPassword, ""); err != ErrRateLimited {
			t.Fatalf("Login after 10 failed changes = %v", err)
		}
	})
}

func TestLoginUpgradesHash(t *testing.T) {
	ctx := context.Background()
	kv := openKV(t)
	old, err := New(ctx, kv, Options{Argon2: cheap})
	if err != nil {
		t.Fatal(err)
	}
	a, err := old.Provision(ctx, NewAccount{Email: "alice@example.org", Password: testPassword}, false)
	if err != nil {
		t.Fatal(err)
	}
	stronger := Argon2Params{Memory: 128, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	s, err := New(ctx, kv, Options{Argon2: stronger})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, a.Email, "wrong password", ""); err != ErrBadLogin {
		t.Fatal(err)
	}
	if rec, _ := s.record(ctx, a.ID); !strings.Contains(rec.Hash, "$m=64,t=1,p=1$") {
		t.Fatalf("failed login changed the hash: %s", rec.Hash)
	}
	if _, err := s.Login(ctx, a.Email, testPassword, ""); err != nil {
		t.Fatal(err)
	}
	rec, _ := s.record(ctx, a.ID)
	if !strings.Contains(rec.Hash, "$m=128,t=2,p=1$") {
		t.Fatalf("hash not upgraded: %s", rec.Hash)
	}
	if _, err := s.Login(ctx, a.Email, testPassword, ""); err != nil {
		t.Fatalf("login after upgrade: %v", err)
	}
}
