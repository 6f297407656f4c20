package account

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestApprovals(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, Options{})
	a := mustCreate(t, s, "alice@example.org")
	b := mustCreate(t, s, "bob@example.org")
	const app = "https://app.example/client.jsonld"
	if s.Approved(ctx, a.ID, app, []string{"openid"}) {
		t.Fatal("approved before Approve")
	}
	if err := s.Approve(ctx, a.ID, app, []string{"openid", "webid"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Approve(ctx, a.ID, app, []string{"offline_access", "openid"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, acct, client string
		scopes             []string
		want               bool
	}{
		{"subset", a.ID, app, []string{"openid"}, true},
		{"merged", a.ID, app, []string{"openid", "webid", "offline_access"}, true},
		{"none requested", a.ID, app, nil, true},
		{"more scope", a.ID, app, []string{"openid", "profile"}, false},
		{"other client", a.ID, "https://evil.example/id", []string{"openid"}, false},
		{"other account", b.ID, app, []string{"openid"}, false},
		{"bad scope", a.ID, app, []string{"openid webid"}, false},
		{"bad account", "x", app, []string{"openid"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Approved(ctx, tt.acct, tt.client, tt.scopes); got != tt.want {
				t.Fatalf("Approved = %v, want %v", got, tt.want)
			}
		})
	}
	bad := []struct {
		name, acct, client string
		scopes             []string
		want               error
	}{
		{"empty client", a.ID, "", nil, ErrInvalidClient},
		{"huge client", a.ID, strings.Repeat("x", 3000), nil, ErrInvalidClient},
		{"empty scope", a.ID, app, []string{""}, ErrInvalidClient},
		{"no account", newToken(idBytes), app, []string{"openid"}, ErrNotFound},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Approve(ctx, tt.acct, tt.client, tt.scopes); !errors.Is(err, tt.want) {
				t.Fatalf("Approve = %v, want %v", err, tt.want)
			}
		})
	}

	if err := s.Approve(ctx, a.ID, "urn:other", []string{"openid"}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListApproved(ctx, a.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListApproved = %+v, %v", list, err)
	}
	if list[0].ClientID != app || !slices.Equal(list[0].Scopes, []string{"offline_access", "openid", "webid"}) {
		t.Fatalf("ListApproved[0] = %+v", list[0])
	}
	if err := s.Revoke(ctx, a.ID, app); err != nil {
		t.Fatal(err)
	}
	if s.Approved(ctx, a.ID, app, []string{"openid"}) {
		t.Fatal("approved after Revoke")
	}
	if err := s.Revoke(ctx, a.ID, app); err != nil {
		t.Fatalf("revoking twice = %v", err)
	}
	if list, _ := s.ListApproved(ctx, a.ID); len(list) != 1 || list[0].ClientID != "urn:other" {
		t.Fatalf("after revoke: %+v", list)
	}
	if err := s.Revoke(ctx, "bad", app); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Revoke(bad account) = %v", err)
	}
	if err := s.Revoke(ctx, a.ID, ""); err != nil {
		t.Fatalf("Revoke(empty client) = %v", err)
	}
	if _, err := s.ListApproved(ctx, "bad"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ListApproved(bad) = %v", err)
	}
}
