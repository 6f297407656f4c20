package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/naamio/naamio/idp/account"
)

func accountCLI(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	full := append([]string{args[0], "--data", dir}, args[1:]...)
	err := accountCommand(full, strings.NewReader("correct horse battery\n"), &out, &errOut)
	return out.String(), err
}

// Issue 16 item 1: naamio account list, disable and enable on a running
// server (admin socket) and offline. A disabled account's session ends and
// it cannot log in; its pod keeps serving public data; enabled again, it
// logs in (its old session stays ended).
func TestAccountListDisable(t *testing.T) {
	cfg := loopbackConfig(t)
	dir := cfg.DataDir
	for _, u := range []string{"alice", "bob"} {
		if _, err := accountCLI(t, dir, "create", "--base-url", cfg.BaseURL, "--email", u+"@example.org", "--pod", u); err != nil {
			t.Fatal(err)
		}
	}
	// A session alice has before the server starts.
	st, err := openStopped(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := openAccounts(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	a, err := svc.ByEmail(context.Background(), "alice@example.org")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := svc.NewSession(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	// Offline list.
	if out, err := accountCLI(t, dir, "list"); err != nil || !strings.Contains(out, "alice@example.org\tpods=alice\t") ||
		!strings.Contains(out, "bob@example.org\tpods=bob\t") || strings.Contains(out, "disabled") {
		t.Fatalf("account list offline: %q %v", out, err)
	}
	stop := runServe(t, cfg, io.Discard)
	if out, err := accountCLI(t, dir, "disable", "alice@example.org"); err != nil || !strings.Contains(out, "disabled alice@example.org") {
		t.Fatalf("account disable (running): %q %v", out, err)
	}
	out, err := accountCLI(t, dir, "list")
	if err != nil || !strings.Contains(out, "alice@example.org\tpods=alice\tdisabled\t") || strings.Contains(out, "bob@example.org\tpods=bob\tdisabled") {
		t.Fatalf("account list (running): %q %v", out, err)
	}
	// The pod still serves its public profile.
	resp, err := http.Get(cfg.BaseURL + "alice/profile/card")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("public profile of a disabled account: %d", resp.StatusCode)
	}
	stop()
	st, err = openStopped(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err = openAccounts(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.Session(ctx, sess); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("alice's session after disable: %v", err)
	}
	if _, err := svc.Login(ctx, "alice@example.org", "correct horse battery", ""); !errors.Is(err, account.ErrDisabled) {
		t.Fatalf("alice's login after disable: %v", err)
	}
	if _, err := svc.Login(ctx, "bob@example.org", "correct horse battery", ""); err != nil {
		t.Fatalf("bob's login: %v", err)
	}
	st.Close()

	// naamio account enable: offline, alice logs in again (her old session
	// stays ended); the running server enables bob, whom it disabled.
	if out, err := accountCLI(t, dir, "enable", "alice@example.org"); err != nil || !strings.Contains(out, "enabled alice@example.org") {
		t.Fatalf("account enable (offline): %q %v", out, err)
	}
	loginAs := func(email string) error {
		t.Helper()
		st, err := openStopped(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		svc, err := openAccounts(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Session(ctx, sess); !errors.Is(err, account.ErrNoSession) {
			t.Errorf("alice's session from before the disable, after enable: %v", err)
		}
		_, err = svc.Login(ctx, email, "correct horse battery", "")
		return err
	}
	if err := loginAs("alice@example.org"); err != nil {
		t.Fatalf("alice's login after enable: %v", err)
	}
	stop = runServe(t, cfg, io.Discard)
	if out, err := accountCLI(t, dir, "disable", "bob@example.org"); err != nil || !strings.Contains(out, "disabled bob@example.org") {
		t.Fatalf("account disable bob (running): %q %v", out, err)
	}
	if out, err := accountCLI(t, dir, "enable", "bob@example.org"); err != nil || !strings.Contains(out, "enabled bob@example.org") {
		t.Fatalf("account enable (running): %q %v", out, err)
	}
	// alice, enabled offline a moment after her disable: nothing changes,
	// and the command says when apps get tokens for her again.
	if out, err := accountCLI(t, dir, "enable", "alice@example.org"); err != nil || !strings.Contains(out, "alice@example.org is not disabled; apps get tokens for it from ") {
		t.Fatalf("account enable of an enabled account (running): %q %v", out, err)
	}
	if out, err := accountCLI(t, dir, "list"); err != nil || strings.Contains(out, "disabled") {
		t.Fatalf("account list after enable: %q %v", out, err)
	}
	stop()
	if err := loginAs("bob@example.org"); err != nil {
		t.Fatalf("bob's login after enable: %v", err)
	}
	// An account never disabled.
	if _, err := accountCLI(t, dir, "create", "--base-url", cfg.BaseURL, "--email", "carol@example.org", "--pod", "carol"); err != nil {
		t.Fatal(err)
	}
	if out, err := accountCLI(t, dir, "enable", "carol@example.org"); err != nil || out != "carol@example.org is not disabled: nothing changed\n" {
		t.Fatalf("account enable of an account never disabled: %q %v", out, err)
	}
}

// Bad input to naamio account list / disable / enable.
func TestAccountListDisableBadInput(t *testing.T) {
	dir := t.TempDir()
	if _, err := accountCLI(t, dir, "create", "--base-url", "http://127.0.0.1:1/", "--email", "a@example.org", "--pod", "alice"); err != nil {
		t.Fatal(err)
	}
	bad := [][]string{{"list", "extra"}}
	for _, verb := range []string{"disable", "enable"} {
		for _, args := range [][]string{
			{},
			{"a@example.org", "b@example.org"},
			{"not-an-email"},
			{"<script>@x"},
			{strings.Repeat("a", 5000) + "@example.org"},
			{"nobody@example.org"},
			{""},
			{"--no-such-flag", "a@example.org"},
		} {
			bad = append(bad, append([]string{verb}, args...))
		}
	}
	for _, args := range bad {
		if out, err := accountCLI(t, dir, args...); err == nil {
			t.Errorf("account %q accepted: %q", args, out)
		}
	}
	if out, _ := accountCLI(t, dir, "list"); strings.Contains(out, "disabled") {
		t.Fatalf("a bad disable disabled something: %q", out)
	}
	// A bad enable enables nothing.
	if _, err := accountCLI(t, dir, "disable", "a@example.org"); err != nil {
		t.Fatal(err)
	}
	for _, args := range bad {
		if args[0] == "enable" {
			accountCLI(t, dir, args...)
		}
	}
	if out, _ := accountCLI(t, dir, "list"); !strings.Contains(out, "disabled") {
		t.Fatalf("a bad enable enabled something: %q", out)
	}
}
