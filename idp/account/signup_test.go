package account

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/badgerstore"
)

func signup(s *Service, email, ip string) error {
	_, err := s.Create(context.Background(), NewAccount{Email: email, Password: testPassword, RemoteIP: ip})
	return err
}

func TestSignupRateLimit(t *testing.T) {
	ctx := context.Background()
	lim := RateLimit{Failures: 3, Window: time.Hour}

	t.Run("per address and window", func(t *testing.T) {
		s, c := newTestService(t, Options{SignupLimit: lim})
		for i := range 3 {
			if err := signup(s, fmt.Sprintf("u%d@example.org", i), "192.0.2.1"); err != nil {
				t.Fatalf("sign-up %d: %v", i, err)
			}
		}
		// Exactly the sentinel web/ and accountapi map to 429.
		if err := signup(s, "u3@example.org", "192.0.2.1:4321"); err != ErrRateLimited {
			t.Fatalf("4th sign-up = %v, want ErrRateLimited", err)
		}
		if _, err := s.ByEmail(ctx, "u3@example.org"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a limited sign-up created the account: %v", err)
		}
		if err := signup(s, "other@example.org", "198.51.100.7"); err != nil {
			t.Fatalf("another address: %v", err)
		}
		c.Advance(time.Hour - time.Second)
		if err := signup(s, "u3@example.org", "192.0.2.1"); err != ErrRateLimited {
			t.Fatalf("just inside the window = %v, want ErrRateLimited", err)
		}
		c.Advance(time.Second)
		if err := signup(s, "u3@example.org", "192.0.2.1"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})

	t.Run("IPv6 counts per /64", func(t *testing.T) {
		s, _ := newTestService(t, Options{SignupLimit: lim})
		for i := range 3 {
			if err := signup(s, fmt.Sprintf("v%d@example.org", i), fmt.Sprintf("2001:db8:1:2::%x", i+1)); err != nil {
				t.Fatal(err)
			}
		}
		if err := signup(s, "v3@example.org", "[2001:db8:1:2:ffff::9]:443"); err != ErrRateLimited {
			t.Fatalf("same /64 = %v, want ErrRateLimited", err)
		}
		if err := signup(s, "v3@example.org", "2001:db8:1:3::1"); err != nil {
			t.Fatalf("next /64: %v", err)
		}
	})

	t.Run("failed sign-ups count, malformed ones do not", func(t *testing.T) {
		s, _ := newTestService(t, Options{SignupLimit: RateLimit{Failures: 2, Window: time.Hour}})
		const ip = "192.0.2.9"
		if err := signup(s, "a@example.org", ip); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			if err := signup(s, "not an email", ip); !errors.Is(err, ErrInvalidEmail) {
				t.Fatalf("malformed email = %v", err)
			}
			_, err := s.Create(ctx, NewAccount{Email: "b@example.org", Password: "short", RemoteIP: ip})
			if !errors.Is(err, ErrPasswordTooShort) {
				t.Fatalf("short password = %v", err)
			}
		}
		// A taken email counts: sign-up cannot probe many addresses.
		if err := signup(s, "a@example.org", ip); !errors.Is(err, ErrEmailTaken) {
			t.Fatalf("taken email = %v", err)
		}
		if err := signup(s, "c@example.org", ip); err != ErrRateLimited {
			t.Fatalf("third counted sign-up = %v, want ErrRateLimited", err)
		}
	})

	t.Run("registration mode refusals do not count", func(t *testing.T) {
		s, _ := newTestService(t, Options{Registration: RegistrationInvite, SignupLimit: RateLimit{Failures: 1, Window: time.Hour}})
		for range 3 {
			if err := signup(s, "a@example.org", "192.0.2.1"); !errors.Is(err, ErrInviteRequired) {
				t.Fatalf("no invite = %v", err)
			}
		}
		admin, err := s.Provision(ctx, NewAccount{Email: "admin@example.org", Password: testPassword}, true)
		if err != nil {
			t.Fatal(err)
		}
		code, err := s.NewInvite(ctx, admin.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Create(ctx, NewAccount{Email: "a@example.org", Password: testPassword, Invite: code, RemoteIP: "192.0.2.1"}); err != nil {
			t.Fatalf("first sign-up with an invite: %v", err)
		}
	})

	t.Run("no address and Provision are not limited", func(t *testing.T) {
		s, _ := newTestService(t, Options{SignupLimit: RateLimit{Failures: 1, Window: time.Hour}})
		for i := range 3 {
			if err := signup(s, fmt.Sprintf("n%d@example.org", i), ""); err != nil {
				t.Fatal(err)
			}
			mustCreate(t, s, fmt.Sprintf("p%d@example.org", i))
		}
	})

	t.Run("default is 10 per hour", func(t *testing.T) {
		s, c := newTestService(t, Options{})
		if got := s.opts.SignupLimit; got != (RateLimit{Failures: 10, Window: time.Hour, MaxKeys: defaultMaxKeys}) {
			t.Fatalf("default SignupLimit = %+v", got)
		}
		for i := range 10 {
			if err := signup(s, fmt.Sprintf("d%d@example.org", i), "192.0.2.1"); err != nil {
				t.Fatal(err)
			}
		}
		if err := signup(s, "d10@example.org", "192.0.2.1"); err != ErrRateLimited {
			t.Fatalf("11th sign-up = %v, want ErrRateLimited", err)
		}
		c.Advance(time.Hour)
		if err := signup(s, "d10@example.org", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("concurrent sign-ups cannot overrun the limit", func(t *testing.T) {
		s, _ := newTestService(t, Options{SignupLimit: lim})
		const n = 10
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = signup(s, fmt.Sprintf("c%d@example.org", i), "192.0.2.1") })
		}
		wg.Wait()
		ok, limited := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case err == ErrRateLimited:
				limited++
			default:
				t.Fatal(err)
			}
		}
		if ok != 3 || limited != n-3 {
			t.Fatalf("%d created, %d limited; want 3 and %d", ok, limited, n-3)
		}
	})
}

// A sign-up that fails because of the server is given back.
func TestSignupRateLimitRefundsServerFailure(t *testing.T) {
	st, err := badgerstore.Open(t.TempDir(), badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	kv, err := st.KV(kv.Accounts)
	if err != nil {
		t.Fatal(err)
	}
	c := newClock()
	s, err := New(context.Background(), kv, Options{Argon2: cheap, Now: c.Now, SignupLimit: RateLimit{Failures: 1, Window: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	err = signup(s, "a@example.org", "192.0.2.1")
	if err == nil || errors.Is(err, ErrRateLimited) || clientFault(context.Background(), err) {
		t.Fatalf("sign-up on a closed store = %v, want a server error", err)
	}
	if b := s.limits.signup.m[ipKey("192.0.2.1")]; b == nil || b.n != 0 {
		t.Fatalf("failed sign-up still counted: %+v", b)
	}
}

func TestSessionInfoAuthTime(t *testing.T) {
	ctx := context.Background()
	for _, sliding := range []bool{false, true} {
		t.Run(fmt.Sprintf("sliding=%v", sliding), func(t *testing.T) {
			s, c := newTestService(t, Options{SessionTTL: time.Hour, SlidingSessions: sliding})
			a := mustCreate(t, s, "alice@example.org")
			c.Advance(time.Minute)
			loggedIn := c.Now()
			tok, err := s.NewSession(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			c.Advance(40 * time.Minute) // past half: a sliding session is renewed
			info, err := s.SessionInfo(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			if info.Account.ID != a.ID || !info.AuthTime.Equal(loggedIn) {
				t.Fatalf("SessionInfo = %+v; want account %s, auth time %v", info, a.ID, loggedIn)
			}
			wantExp := loggedIn.Add(time.Hour)
			if sliding {
				wantExp = c.Now().Add(time.Hour)
			}
			if !info.Expires.Equal(wantExp) {
				t.Fatalf("Expires = %v, want %v", info.Expires, wantExp)
			}
			c.Advance(30 * time.Minute)
			info, err = s.SessionInfo(ctx, tok)
			switch {
			case !sliding && !errors.Is(err, ErrNoSession):
				t.Fatalf("fixed session after its TTL = %+v, %v", info, err)
			case sliding && (err != nil || !info.AuthTime.Equal(loggedIn)):
				t.Fatalf("renewed session = %+v, %v; the auth time must stay %v", info, err, loggedIn)
			}
			if _, err := s.SessionInfo(ctx, "nope"); !errors.Is(err, ErrNoSession) {
				t.Fatalf("unknown token = %v", err)
			}
		})
	}
}
