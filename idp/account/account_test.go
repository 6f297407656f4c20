package account

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
)

func TestCreate(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, Options{})
	a, err := s.Create(ctx, NewAccount{Email: " Alice@Example.ORG", Password: testPassword,
		Pods: []string{"alice"}, WebIDs: []string{"https://pod.example/alice/profile/card#me"}})
	if err != nil {
		t.Fatal(err)
	}
	if !validID(a.ID) || a.Email != "Alice@example.org" || a.Admin || a.Created.IsZero() {
		t.Fatalf("account = %+v", a)
	}
	if !slices.Equal(a.Pods, []string{"alice"}) || len(a.WebIDs) != 1 {
		t.Fatalf("pods/webids = %v %v", a.Pods, a.WebIDs)
	}
	tests := []struct {
		name string
		n    NewAccount
		want error
	}{
		{"same email", NewAccount{Email: "Alice@example.org", Password: testPassword}, ErrEmailTaken},
		{"same email, other domain case", NewAccount{Email: "Alice@EXAMPLE.org", Password: testPassword}, ErrEmailTaken},
		{"bad email", NewAccount{Email: "alice", Password: testPassword}, ErrInvalidEmail},
		{"short password", NewAccount{Email: "bob@example.org", Password: "short"}, ErrPasswordTooShort},
		{"long password", NewAccount{Email: "bob@example.org", Password: string(make([]byte, MaxPasswordBytes+1))}, ErrPasswordTooLong},
		{"other email", NewAccount{Email: "bob@example.org", Password: testPassword}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Create(ctx, tt.n)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Create = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestFirstAccountAdmin(t *testing.T) {
	ctx := context.Background()
	for _, on := range []bool{true, false} {
		s, _ := newTestService(t, Options{FirstAccountAdmin: on})
		first := mustCreate(t, s, "first@example.org")
		second, err := s.Create(ctx, NewAccount{Email: "second@example.org", Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		if first.Admin != on || second.Admin {
			t.Fatalf("FirstAccountAdmin=%v: first admin %v, second admin %v", on, first.Admin, second.Admin)
		}
	}
}

// Issue 10, item 6: undoing the first sign-up (its pod could not be made)
// undoes the first-account marker with it, so the next sign-up is the
// administrator; deleting the first account later does not (a stranger
// signing up afterwards must not become an administrator), nor does
// undoing a later account.
func TestUndoFirstSignup(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, Options{FirstAccountAdmin: true})
	create := func(email string) *Account {
		t.Helper()
		a, err := s.Create(ctx, NewAccount{Email: email, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	failed := create("failed@example.org")
	if !failed.Admin {
		t.Fatal("the first account is not an administrator")
	}
	if err := s.Undo(ctx, failed.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, failed.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("undone account: %v", err)
	}
	admin := create("admin@example.org")
	if !admin.Admin {
		t.Fatal("after the first sign-up was undone, the next one is not the administrator")
	}
	later := create("later@example.org")
	if later.Admin {
		t.Fatal("a second administrator")
	}
	if err := s.Undo(ctx, later.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, admin.ID); err != nil {
		t.Fatal(err)
	}
	if stranger := create("stranger@example.org"); stranger.Admin {
		t.Fatal("after the administrator was deleted (or a later sign-up undone), a stranger became administrator")
	}
	if err := s.Undo(ctx, "no-such-account-id-000"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Undo of a missing account: %v", err)
	}
}

// Two sign-ups with one email at once: exactly one wins.
func TestCreateConcurrentSameEmail(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, Options{FirstAccountAdmin: true})
	const n = 8
	errs := make([]error, n)
	accts := make([]*Account, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			accts[i], errs[i] = s.Create(ctx, NewAccount{Email: "race@example.org", Password: testPassword})
		})
	}
	wg.Wait()
	won := 0
	var winner *Account
	for i, err := range errs {
		switch {
		case err == nil:
			won++
			winner = accts[i]
		case !errors.Is(err, ErrEmailTaken):
			t.Fatalf("loser got %v, want ErrEmailTaken", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d sign-ups won, want 1", won)
	}
	got, err := s.ByEmail(ctx, "race@example.org")
	if err != nil || got.ID != winner.ID || !got.Admin {
		t.Fatalf("ByEmail = %+v, %v; want the winner %s as admin", got, err, winner.ID)
	}
}

// Concurrent sign-ups with different emails: one admin only.
func TestCreateConcurrentFirstAdmin(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, Options{FirstAccountAdmin: true})
	const n = 6
	accts := make([]*Account, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			a, err := s.Create(ctx, NewAccount{Email: string(rune('a'+i)) + "@example.org", Password: testPassword})
			if err != nil {
				t.Error(err)
			}
			accts[i] = a
		})
	}
	wg.Wait()
	admins := 0
	for _, a := range accts {
		if a != nil && a.Admin {
			admins++
		}
	}
	if admins != 1 {
		t.Fatalf("%d admins, want 1", admins)
	}
}

func TestRegistrationModes(t *testing.T) {
	ctx := context.Background()
	t.Run("closed", func(t *testing.T) {
		s, _ := newTestService(t, Options{Registration: RegistrationClosed})
		if _, err := s.Create(ctx, NewAccount{Email: "a@example.org", Password: testPassword}); !errors.Is(err, ErrRegistrationClosed) {
			t.Fatalf("Create = %v, want ErrRegistrationClosed", err)
		}
		a, err := s.Provision(ctx, NewAccount{Email: "a@example.org", Password: testPassword}, true)
		if err != nil || !a.Admin {
			t.Fatalf("Provision = %+v, %v", a, err)
		}
	})
	t.Run("open ignores invite", func(t *testing.T) {
		s, _ := newTestService(t, Options{})
		if _, err := s.Create(ctx, NewAccount{Email: "a@example.org", Password: testPassword, Invite: "nonsense"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestGetByEmail(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, Options{})
	a := mustCreate(t, s, "alice@example.org")
	if got, err := s.Get(ctx, a.ID); err != nil || got.Email != a.Email {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if got, err := s.ByEmail(ctx, " alice@EXAMPLE.org "); err != nil || got.ID != a.ID {
		t.Fatalf("ByEmail = %+v, %v", got, err)
	}
	for _, id := range []string{"", "nope", "../acct/x", newToken(idBytes)} {
		if _, err := s.Get(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", id, err)
		}
	}
	for _, e := range []string{"bob@example.org", "not an email", "ALICE@example.org"} {
		if _, err := s.ByEmail(ctx, e); !errors.Is(err, ErrNotFound) {
			t.Errorf("ByEmail(%q) = %v, want ErrNotFound", e, err)
		}
	}
}

func TestAddPodSetAdmin(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, Options{})
	a := mustCreate(t, s, "alice@example.org")
	const webID = "https://pod.example/alice/profile/card#me"
	for range 2 {
		if err := s.AddPod(ctx, a.ID, "alice", webID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddPod(ctx, a.ID, "alice2", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.AddPod(ctx, a.ID, "", webID); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("AddPod empty = %v", err)
	}
	if err := s.AddPod(ctx, newToken(idBytes), "x", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("AddPod unknown = %v", err)
	}
	if err := s.SetAdmin(ctx, a.ID, true); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, a.ID)
	if !slices.Equal(got.Pods, []string{"alice", "alice2"}) || !slices.Equal(got.WebIDs, []string{webID}) || !got.Admin {
		t.Fatalf("account = %+v", got)
	}
	if err := s.SetAdmin(ctx, a.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, a.ID); got.Admin {
		t.Fatal("still admin")
	}
}

func TestChangePassword(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, Options{})
	a := mustCreate(t, s, "alice@example.org")
	const newPW = "a much better passphrase"
	tests := []struct {
		name     string
		old, new string
		want     error
	}{
		{"wrong old", "wrong password", newPW, ErrBadLogin},
		{"too long old", string(make([]byte, MaxPasswordBytes+1)), newPW, ErrBadLogin},
		{"short new", testPassword, "short", ErrPasswordTooShort},
		{"right", testPassword, newPW, nil},
		{"old one no longer", testPassword, newPW, ErrBadLogin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.ChangePassword(ctx, a.ID, tt.old, tt.new)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("ChangePassword = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := s.Login(ctx, a.Email, newPW, ""); err != nil {
		t.Fatalf("login with new password: %v", err)
	}
	if _, err := s.Login(ctx, a.Email, testPassword, ""); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("login with old password: %v", err)
	}
	if err := s.ChangePassword(ctx, newToken(idBytes), newPW, newPW); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, Options{})
	const webID = "https://pod.example/alice/profile/card#me"
	a, err := s.Create(ctx, NewAccount{Email: "alice@example.org", Password: testPassword,
		Pods: []string{"alice", "work"}, WebIDs: []string{webID}})
	if err != nil {
		t.Fatal(err)
	}
	b := mustCreate(t, s, "bob@example.org")
	if err := s.Approve(ctx, b.ID, "https://app.example/id", []string{"openid"}); err != nil {
		t.Fatal(err)
	}
	tok, _ := s.NewSession(ctx, a.ID)
	credID, secret, err := s.NewClientCredentials(ctx, a.ID, "script", webID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Approve(ctx, a.ID, "https://app.example/id", []string{"openid", "webid"}); err != nil {
		t.Fatal(err)
	}
	reset, _ := s.NewResetToken(ctx, a.Email)

	pods, err := s.Delete(ctx, a.ID)
	if err != nil || !slices.Equal(pods, []string{"alice", "work"}) {
		t.Fatalf("Delete = %v, %v", pods, err)
	}
	if _, err := s.Get(ctx, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after delete: %v", err)
	}
	if _, err := s.Login(ctx, a.Email, testPassword, ""); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("Login after delete: %v", err)
	}
	if _, err := s.Session(ctx, tok); !errors.Is(err, ErrNoSession) {
		t.Fatalf("Session after delete: %v", err)
	}
	if _, _, err := s.CheckClientCredentials(ctx, credID, secret); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("credentials after delete: %v", err)
	}
	if err := s.Reset(ctx, reset, "new password here"); !errors.Is(err, ErrBadToken) {
		t.Fatalf("reset after delete: %v", err)
	}
	for _, prefix := range []string{prefixCredBy(a.ID), prefixApproved(a.ID), keyCred(credID)} {
		s.kv.List(ctx, prefix, func(key string, _ []byte) error {
			t.Errorf("left behind: %s", key)
			return nil
		})
	}
	if _, err := s.Delete(ctx, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete = %v", err)
	}
	// The email is free again; bob is untouched.
	mustCreate(t, s, "alice@example.org")
	if !s.Approved(ctx, b.ID, "https://app.example/id", []string{"openid"}) {
		t.Fatal("bob's approval went with alice")
	}
}
