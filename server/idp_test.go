package server

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
)

// A script logs in with client credentials, as the Solid conformance
// harness and @inrupt/solid-client-authn-node do: the server's own OpenID
// Provider issues a DPoP-bound token for the account's WebID, and the
// resource server accepts it through the WebID -> solid:oidcIssuer path
// (read in-process) for exactly what the pod's ACLs allow.
func TestClientCredentialsLogin(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String() + "/"
	dir := t.TempDir()
	for _, u := range []string{"alice", "bob"} {
		var out, errOut bytes.Buffer
		if err := accountCommand([]string{"create", "--data", dir, "--base-url", base, "--email", u + "@example.org", "--pod", u},
			strings.NewReader("correct horse battery\n"), &out, &errOut); err != nil {
			t.Fatalf("%v %s", err, errOut.String())
		}
	}
	log, _ := NewLogger(io.Discard, "json", "info")
	cfg := defaults()
	cfg.DataDir, cfg.DiskReserve, cfg.BaseURL = dir, 0, base
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer closeServer(s)
	srv := httptest.NewUnstartedServer(s.http.Handler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

	id, secret, key := scriptCredentials(t, s, "alice@example.org")
	if st, _ := tokenRequest(t, base, id, "wrong", key); st != 401 {
		t.Fatalf("wrong secret: %d", st)
	}
	st, access := tokenRequest(t, base, id, secret, key)
	if st != 200 || access == "" {
		t.Fatalf("token: %d", st)
	}
	get := func(path string) int {
		req, _ := http.NewRequest("GET", base+strings.TrimPrefix(path, "/"), nil)
		proof, err := key.Proof("GET", base+strings.TrimPrefix(path, "/"), access, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "DPoP "+access)
		req.Header.Set("DPoP", proof)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for p, want := range map[string]int{"/alice/": 200, "/alice/settings/prefs.ttl": 200, "/bob/": 403, "/bob/settings/prefs.ttl": 403} {
		if got := get(p); got != want {
			t.Errorf("GET %s as alice = %d, want %d", p, got, want)
		}
	}
}

// scriptCredentials makes client credentials for the account with email
// (its first WebID) and a DPoP key to use them with, as a script would.
func scriptCredentials(t *testing.T, s *Server, email string) (id, secret string, key *testissuer.Key) {
	t.Helper()
	ctx := context.Background()
	acct, err := s.id.accounts.ByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	id, secret, err = s.id.accounts.NewClientCredentials(ctx, acct.ID, "script", acct.WebIDs[0])
	if err != nil {
		t.Fatal(err)
	}
	if key, err = testissuer.NewKey(); err != nil {
		t.Fatal(err)
	}
	return id, secret, key
}
