package account

import (
	"context"
	"errors"
	"testing"
)

type recordingRevoker struct{ revoked []string }

func (r *recordingRevoker) RevokeAccount(_ context.Context, id string) error {
	r.revoked = append(r.revoked, id)
	return nil
}

func (r *recordingRevoker) RevokeCredential(context.Context, string, string) error { return nil }

// Issue 16 item 1: a disabled account cannot log in, start a session or
// use its client credentials; its sessions end; its tokens are revoked;
// List shows every account and which are disabled.
func TestDisableAccount(t *testing.T) {
	ctx := context.Background()
	rv := &recordingRevoker{}
	s, _ := newTestService(t, Options{Revoker: rv})
	a := mustCreate(t, s, "alice@example.org")
	b := mustCreate(t, s, "bob@example.org")
	if err := s.AddPod(ctx, a.ID, "alice", "https://x.example/alice/profile/card#me"); err != nil {
		t.Fatal(err)
	}
	sess, err := s.NewSession(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	credID, secret, err := s.NewClientCredentials(ctx, a.ID, "bot", "https://x.example/alice/profile/card#me")
	if err != nil {
		t.Fatal(err)
	}
	bobSess, _ := s.NewSession(ctx, b.ID)

	if err := s.Disable(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "alice@example.org", testPassword, "192.0.2.1"); !errors.Is(err, ErrDisabled) || !errors.Is(err, ErrBadLogin) {
		t.Fatalf("login of a disabled account: %v", err)
	}
	if _, err := s.Session(ctx, sess); !errors.Is(err, ErrNoSession) {
		t.Fatalf("session of a disabled account: %v", err)
	}
	if _, err := s.NewSession(ctx, a.ID); err == nil {
		t.Fatal("new session for a disabled account")
	}
	if _, _, err := s.CheckClientCredentials(ctx, credID, secret); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("client credentials of a disabled account: %v", err)
	}
	if len(rv.revoked) != 1 || rv.revoked[0] != a.ID {
		t.Fatalf("revoked %v", rv.revoked)
	}
	// bob is untouched.
	if _, err := s.Session(ctx, bobSess); err != nil {
		t.Fatalf("bob's session: %v", err)
	}
	if _, err := s.Login(ctx, "bob@example.org", testPassword, "192.0.2.1"); err != nil {
		t.Fatalf("bob's login: %v", err)
	}
	// Again: no error, nothing changes.
	if err := s.Disable(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Disable(ctx, "no-such-id"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("disable unknown: %v", err)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 2 || list[0].Email != "alice@example.org" || !list[0].Disabled ||
		list[1].Disabled || len(list[0].Pods) != 1 {
		t.Fatalf("List = %+v %v", list, err)
	}

	// Enable: alice logs in, starts sessions and uses her credential
	// again; the session disabling ended stays ended.
	if changed, err := s.Enable(ctx, a.ID); err != nil || !changed {
		t.Fatalf("Enable = %v, %v", changed, err)
	}
	if _, err := s.Login(ctx, "alice@example.org", testPassword, "192.0.2.1"); err != nil {
		t.Fatalf("login after enable: %v", err)
	}
	if _, err := s.NewSession(ctx, a.ID); err != nil {
		t.Fatalf("new session after enable: %v", err)
	}
	if _, err := s.Session(ctx, sess); !errors.Is(err, ErrNoSession) {
		t.Fatalf("the session from before the disable, after enable: %v", err)
	}
	if _, _, err := s.CheckClientCredentials(ctx, credID, secret); err != nil {
		t.Fatalf("client credentials after enable: %v", err)
	}
	if changed, err := s.Enable(ctx, a.ID); err != nil || changed {
		t.Fatalf("Enable of an enabled account = %v, %v", changed, err)
	}
	if _, err := s.Enable(ctx, "no-such-id"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("enable unknown: %v", err)
	}
}
