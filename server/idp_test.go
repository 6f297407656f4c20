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
	s, base := serveAccounts(t, "alice", "bob")
	id, secret, key := scriptCredentials(t, s, "alice@example.org")
	if st, _ := tokenRequest(t, base, id, "wrong", key); st != 401 {
		t.Fatalf("wrong secret: %d", st)
	}
	st, access := tokenRequest(t, base, id, secret, key)
	if st != 200 || access == "" {
		t.Fatalf("token: %d", st)
	}
	for p, want := range map[string]int{"/alice/": 200, "/alice/settings/prefs.ttl": 200, "/bob/": 403, "/bob/settings/prefs.ttl": 403} {
		if got := getWith(t, base, p, access, key); got != want {
			t.Errorf("GET %s as alice = %d, want %d", p, got, want)
		}
	}
}

// serveAccounts makes an account with a pod for each name (email
// <name>@example.org, made offline by naamio account create) and serves
// a server on them on 127.0.0.1; it returns the server and its base URL.
func serveAccounts(t testing.TB, names ...string) (*Server, string) {
	t.Helper()
	return serveAccountsLogging(t, io.Discard, names...)
}

// serveAccountsLogging is serveAccounts with the server's JSON log written
// to logs.
func serveAccountsLogging(t testing.TB, logs io.Writer, names ...string) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String() + "/"
	dir := t.TempDir()
	for _, u := range names {
		var out, errOut bytes.Buffer
		if err := accountCommand([]string{"create", "--data", dir, "--base-url", base, "--email", u + "@example.org", "--pod", u},
			strings.NewReader("correct horse battery\n"), &out, &errOut); err != nil {
			t.Fatalf("%v %s", err, errOut.String())
		}
	}
	log, _ := NewLogger(logs, "json", "info")
	cfg := defaults()
	cfg.DataDir, cfg.DiskReserve, cfg.BaseURL = dir, 0, base
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeServer(s) })
	srv := httptest.NewUnstartedServer(s.http.Handler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return s, base
}

// getWith GETs path on base with a DPoP-bound access token and answers
// the status.
func getWith(t *testing.T, base, path, access string, key *testissuer.Key) int {
	t.Helper()
	return sendWith(t, "GET", base, path, "", "", access, key).StatusCode
}

// sendWith sends method to path on base, with a body of media type ct
// ("": none) and, unless access is empty, the access token with a fresh
// DPoP proof made with key. It answers the response, its body closed.
func sendWith(t *testing.T, method, base, path, ct, body, access string, key *testissuer.Key) *http.Response {
	t.Helper()
	u := base + strings.TrimPrefix(path, "/")
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if access != "" {
		proof, err := key.Proof(method, u, access, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "DPoP "+access)
		req.Header.Set("DPoP", proof)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// scriptCredentials makes client credentials for the account with email
// (its first WebID) and a DPoP key to use them with, as a script would.
func scriptCredentials(t testing.TB, s *Server, email string) (id, secret string, key *testissuer.Key) {
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
