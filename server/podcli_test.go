package server

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// Bad input to naamio pod release: each is refused with an error, and
// nothing is released.
func TestPodReleaseBadInput(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := accountCommand([]string{"create", "--data", dir, "--base-url", "http://pod.test/", "--email", "a@example.org", "--pod", "alice"},
		strings.NewReader("correct horse battery\n"), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		nil,
		{"remove", "alice"},
		{"release"},
		{"release", "--data", dir},
		{"release", "--data", dir, "a", "b"},
		{"release", "--data", dir, "Alice"},
		{"release", "--data", dir, "../x"},
		{"release", "--data", dir, "admin"},
		{"release", "--data", dir, "alice"},  // a live pod
		{"release", "--data", dir, "nobody"}, // never existed
		{"release", "--data", dir + "/missing", "alice"},
		{"release", "--bogus", "alice"},
	} {
		var out, errOut bytes.Buffer
		if err := podCommand(args, &out, &errOut); err == nil {
			t.Errorf("pod %q: accepted (%s)", args, out.String())
		}
	}
}

// SECURITY.md row 57 (issue 10, item 1): the administrator deletes their
// account; `naamio account create` refuses the name; `naamio pod release`
// removes the old WebID from the root ACL and frees it; the account then
// made with the name gets the same WebID but no Control of the root.
func TestSecurityRow57PodReleaseCommand(t *testing.T) {
	s, base := serveAccounts(t, "dave", "alice")
	ctx := context.Background()
	dave, err := s.id.accounts.ByEmail(ctx, "dave@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.id.provision.DeleteAccount(ctx, dave.ID); err != nil {
		t.Fatal(err)
	}
	dir := s.cfg.DataDir
	closeServer(s)
	create := func() (string, error) {
		var out, errOut bytes.Buffer
		err := accountCommand([]string{"create", "--data", dir, "--base-url", base, "--email", "stranger@example.org", "--pod", "dave"},
			strings.NewReader("correct horse battery\n"), &out, &errOut)
		return strings.TrimSpace(out.String()), err
	}
	if _, err := create(); err == nil || !strings.Contains(err.Error(), "deleted account") {
		t.Fatalf("account create with a deleted pod's name: %v", err)
	}
	var out, errOut bytes.Buffer
	if err := podCommand([]string{"release", "--data", dir, "--base-url", base, "dave"}, &out, &errOut); err != nil {
		t.Fatalf("%v %s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "from /.acl") || !strings.Contains(out.String(), "released dave") {
		t.Fatalf("release said:\n%s", out.String())
	}
	webID, err := create()
	if err != nil || webID != base+"dave/profile/card#me" {
		t.Fatalf("account create after the release: %q %v", webID, err)
	}

	log, _ := NewLogger(io.Discard, "json", "info")
	cfg := s.cfg
	s2, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer closeServer(s2)
	body := readStored(t, s2, "/.acl")
	if strings.Contains(body, webID) {
		t.Fatalf("the root ACL still names the old WebID:\n%s", body)
	}
}

func readStored(t *testing.T, s *Server, p string) string {
	t.Helper()
	_, rc, err := s.store.Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}
