package account

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestInvites(t *testing.T) {
	ctx := context.Background()
	s, c := newTestService(t, Options{Registration: RegistrationInvite, InviteTTL: 24 * time.Hour})
	admin, err := s.Provision(ctx, NewAccount{Email: "admin@example.org", Password: testPassword}, true)
	if err != nil {
		t.Fatal(err)
	}
	user := mustCreate(t, s, "user@example.org")
	if _, err := s.NewInvite(ctx, user.ID); !errors.Is(err, ErrNotAdmin) {
		t.Fatalf("NewInvite by non-admin = %v", err)
	}
	if _, err := s.NewInvite(ctx, newToken(idBytes)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("NewInvite by nobody = %v", err)
	}
	code, err := s.NewInvite(ctx, admin.ID)
	if err != nil || len(code) < 20 {
		t.Fatalf("NewInvite = %q, %v", code, err)
	}
	s.kv.List(ctx, "invite/", func(key string, v []byte) error {
		if key == "invite/"+code || string(v) == code {
			t.Error("invite code stored in clear")
		}
		return nil
	})
	signup := func(email, invite string) error {
		_, err := s.Create(ctx, NewAccount{Email: email, Password: testPassword, Invite: invite})
		return err
	}
	tests := []struct {
		name, email, invite string
		want                error
	}{
		{"no code", "a@example.org", "", ErrInviteRequired},
		{"wrong code", "a@example.org", "wrong", ErrBadInvite},
		{"huge code", "a@example.org", string(make([]byte, 1000)), ErrBadInvite},
		{"email taken keeps the code", "user@example.org", code, ErrEmailTaken},
		{"good code", "a@example.org", code, nil},
		{"code used", "b@example.org", code, ErrBadInvite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := signup(tt.email, tt.invite); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Create = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		code, _ := s.NewInvite(ctx, admin.ID)
		c.Advance(24 * time.Hour)
		if err := signup("late@example.org", code); !errors.Is(err, ErrBadInvite) {
			t.Fatalf("Create with expired code = %v", err)
		}
	})
}
