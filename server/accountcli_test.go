package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Headless set-up: `naamio account create` makes an account, its pod and,
// on a new store, the root ACL for it; the server then serves the pod.
func TestAccountCreateCommand(t *testing.T) {
	dir := t.TempDir()
	run := func(stdin string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := accountCommand(append([]string{"create", "--data", dir, "--base-url", "http://pod.test/"}, args...), strings.NewReader(stdin), &out, &errOut)
		return strings.TrimSpace(out.String()), err
	}
	if _, err := run("short\n", "--email", "alice@example.org", "--pod", "alice"); err == nil {
		t.Fatal("a too-short password was accepted")
	}
	if _, err := run("correct horse battery\n", "--email", "alice@example.org", "--pod", "admin"); err == nil {
		t.Fatal("a reserved pod name was accepted")
	}
	webID, err := run("correct horse battery\n", "--email", "alice@example.org", "--pod", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if webID != "http://pod.test/alice/profile/card#me" {
		t.Fatalf("WebID %q", webID)
	}
	if _, err := run("correct horse battery\n", "--email", "bob@example.org", "--pod", "alice"); err == nil {
		t.Fatal("a taken pod name was accepted")
	}
	if _, err := run("correct horse battery\n", "--email", "alice@example.org", "--pod", "alice2"); err == nil {
		t.Fatal("a taken email was accepted")
	}

	log, _ := NewLogger(io.Discard, "json", "info")
	cfg := defaults()
	cfg.DataDir = dir
	cfg.DiskReserve = 0
	cfg.BaseURL = "http://pod.test/"
	s, err := New(cfg, log) // no --owner-webid: the account made the root ACL
	if err != nil {
		t.Fatal(err)
	}
	defer closeServer(s)
	srv := httptest.NewServer(s.http.Handler)
	defer srv.Close()
	for p, want := range map[string]int{"/alice/profile/card": 200, "/alice/": 401, "/": 401} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("GET %s = %d, want %d", p, resp.StatusCode, want)
		}
		if want == 200 && !strings.Contains(string(body), "oidcIssuer <http://pod.test>") {
			t.Fatalf("profile lacks the issuer:\n%s", body)
		}
	}
	if !s.pods.IsRoot("/alice/") || s.pods.IsRoot("/bob/") {
		t.Fatal("pod registry")
	}
}

// Without mail, an operator issues a single-use reset link offline.
func TestResetLinkCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := accountCommand([]string{"create", "--data", dir, "--base-url", "http://pod.test/", "--email", "c@example.org", "--pod", "carol"},
		strings.NewReader("correct horse battery\n"), &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	out.Reset()
	if err := accountCommand([]string{"reset-link", "--data", dir, "--base-url", "http://pod.test/", "--email", "c@example.org"}, nil, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	link := strings.TrimSpace(out.String())
	if !strings.HasPrefix(link, "http://pod.test/.idp/reset?token=") || len(link) < len("http://pod.test/.idp/reset?token=")+20 {
		t.Fatalf("link %q", link)
	}
	if err := accountCommand([]string{"reset-link", "--data", dir, "--email", "nobody@example.org"}, nil, &out, &errOut); err == nil {
		t.Fatal("a link for an unknown email")
	}
}
