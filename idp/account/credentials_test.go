package account

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestClientCredentials(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, Options{})
	const webID = "https://pod.example/alice/profile/card#me"
	a, err := s.Create(ctx, NewAccount{Email: "alice@example.org", Password: testPassword, WebIDs: []string{webID}})
	if err != nil {
		t.Fatal(err)
	}
	b := mustCreate(t, s, "bob@example.org")

	creates := []struct {
		name, acct, cname, webID string
		want                     error
	}{
		{"not own webid", a.ID, "x", "https://pod.example/bob/profile/card#me", ErrWebIDNotOwned},
		{"other account", b.ID, "x", webID, ErrWebIDNotOwned},
		{"empty name", a.ID, "", webID, ErrInvalidName},
		{"long name", a.ID, strings.Repeat("n", 300), webID, ErrInvalidName},
		{"no account", newToken(idBytes), "x", webID, ErrNotFound},
	}
	for _, tt := range creates {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := s.NewClientCredentials(ctx, tt.acct, tt.cname, tt.webID); !errors.Is(err, tt.want) {
				t.Fatalf("NewClientCredentials = %v, want %v", err, tt.want)
			}
		})
	}
	id, secret, err := s.NewClientCredentials(ctx, a.ID, "my script", webID)
	if err != nil {
		t.Fatal(err)
	}
	id2, secret2, _ := s.NewClientCredentials(ctx, a.ID, "other", webID)
	s.kv.List(ctx, "cred/", func(key string, v []byte) error {
		if strings.Contains(string(v), secret) || strings.Contains(string(v), secret2) {
			t.Error("client secret stored in clear")
		}
		return nil
	})
	gotW, gotA, err := s.CheckClientCredentials(ctx, id, secret)
	if err != nil || gotW != webID || gotA != a.ID {
		t.Fatalf("CheckClientCredentials = %q, %q, %v", gotW, gotA, err)
	}
	checks := []struct{ name, id, secret string }{
		{"wrong secret", id, secret2},
		{"empty secret", id, ""},
		{"swapped", id2, secret},
		{"unknown id", newToken(idBytes), secret},
		{"malformed id", "../acct/" + a.ID, secret},
	}
	for _, tt := range checks {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := s.CheckClientCredentials(ctx, tt.id, tt.secret); err != ErrBadCredentials {
				t.Fatalf("CheckClientCredentials = %v, want ErrBadCredentials", err)
			}
		})
	}

	list, err := s.ListClientCredentials(ctx, a.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListClientCredentials = %+v, %v", list, err)
	}
	for _, c := range list {
		if c.WebID != webID || c.Created.IsZero() || (c.ID != id && c.ID != id2) {
			t.Fatalf("listed %+v", c)
		}
	}
	if l, _ := s.ListClientCredentials(ctx, b.ID); len(l) != 0 {
		t.Fatalf("bob has %v", l)
	}
	if err := s.DeleteClientCredentials(ctx, b.ID, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting another's credential = %v", err)
	}
	if err := s.DeleteClientCredentials(ctx, a.ID, id); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteClientCredentials(ctx, a.ID, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting twice = %v", err)
	}
	if _, _, err := s.CheckClientCredentials(ctx, id, secret); err != ErrBadCredentials {
		t.Fatalf("deleted credential = %v", err)
	}
	if l, _ := s.ListClientCredentials(ctx, a.ID); len(l) != 1 || l[0].ID != id2 {
		t.Fatalf("after delete: %+v", l)
	}
}
