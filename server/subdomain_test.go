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

// subdomainServer runs a server whose base URL is http://localhost:PORT/
// with pods alice and bob made by `naamio account create --pod-layout
// subdomain`. Its client dials the server for every host name, as wildcard
// DNS would (alice.localhost:PORT, bob.localhost:PORT).
func subdomainServer(t *testing.T) (*Server, string, string, *http.Client) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	hostPort := "localhost:" + port
	base := "http://" + hostPort + "/"
	dir := t.TempDir()
	for _, u := range []string{"alice", "bob"} {
		var out, errOut bytes.Buffer
		err := accountCommand([]string{"create", "--data", dir, "--base-url", base, "--email", u + "@example.org",
			"--pod", u, "--pod-layout", "subdomain"}, strings.NewReader("correct horse battery\n"), &out, &errOut)
		if err != nil {
			t.Fatalf("%v %s", err, errOut.String())
		}
		if want := "http://" + u + "." + hostPort + "/profile/card#me\n"; out.String() != want {
			t.Fatalf("WebID %q, want %q", out.String(), want)
		}
	}
	log, _ := NewLogger(io.Discard, "json", "info")
	cfg := defaults()
	cfg.DataDir, cfg.DiskReserve, cfg.BaseURL, cfg.PodLayout = dir, 0, base, "subdomain"
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
	dial := &net.Dialer{Timeout: 5 * time.Second}
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dial.DialContext(ctx, network, addr)
		}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s, base, hostPort, client
}

// Pods on hosts of their own: each pod's resources have exactly one IRI,
// on its own origin; the base host keeps the server's endpoints and
// nothing of the pods; the pod's host serves nothing but the pod.
func TestSubdomainPods(t *testing.T) {
	s, base, hostPort, client := subdomainServer(t)
	alice := "http://alice." + hostPort + "/"
	do := func(method, url, token string, key *testissuer.Key, body string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "text/turtle")
		}
		if token != "" {
			proof, err := key.Proof(method, url, token, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "DPoP "+token)
			req.Header.Set("DPoP", proof)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}

	t.Run("profile on the pod's origin", func(t *testing.T) {
		resp, body := do("GET", alice+"profile/card", "", nil, "")
		if resp.StatusCode != 200 {
			t.Fatalf("GET card: %d", resp.StatusCode)
		}
		for _, want := range []string{"<" + alice + "profile/card#me>", "<" + alice + ">", "<" + alice + "inbox/>",
			"<" + strings.TrimSuffix(base, "/") + ">"} {
			if !strings.Contains(body, want) {
				t.Errorf("card lacks %s:\n%s", want, body)
			}
		}
		if got, want := resp.Header.Get("Link"), "<"+alice+".well-known/solid>"; !strings.Contains(got, want) {
			t.Errorf("Link %q lacks %s", got, want)
		}
		resp, body = do("GET", alice+".well-known/solid", "", nil, "")
		if resp.StatusCode != 200 || !strings.Contains(body, "<"+alice+">") || !strings.Contains(body, "Storage") {
			t.Errorf("storage description: %d\n%s", resp.StatusCode, body)
		}
	})
	t.Run("not on the base host", func(t *testing.T) {
		for _, p := range []string{"alice/profile/card", "alice/", "alice/.acl"} {
			if resp, _ := do("GET", base+p, "", nil, ""); resp.StatusCode != 404 {
				t.Errorf("GET %s%s: %d, want 404", base, p, resp.StatusCode)
			}
		}
	})
	t.Run("no server endpoints on the pod's host", func(t *testing.T) {
		for _, p := range []string{".idp/login", ".account/", ".well-known/openid-configuration", ".oidc/jwks"} {
			resp, body := do("GET", alice+p, "", nil, "")
			if resp.StatusCode == 200 || resp.Header.Get("Set-Cookie") != "" || strings.Contains(body, "issuer") {
				t.Errorf("GET %s%s: %d %q", alice, p, resp.StatusCode, body)
			}
		}
		// Writes to the pod's /.well-known/ are refused too: it is the
		// server's on that origin.
		if resp, _ := do("PUT", alice+".well-known/webfinger", "", nil, "<#a> <#b> <#c>."); resp.StatusCode != 404 && resp.StatusCode != 401 {
			t.Errorf("PUT .well-known on pod host: %d", resp.StatusCode)
		}
	})
	t.Run("log in and write through the pod's origin", func(t *testing.T) {
		id, secret, key := scriptCredentials(t, s, "alice@example.org")
		tok := clientCredentialsToken(t, base, id, secret, key)
		if resp, _ := do("PUT", alice+"notes/a.ttl", tok, key, "<#a> <#b> <#c>."); resp.StatusCode != 201 {
			t.Fatalf("PUT: %d", resp.StatusCode)
		}
		resp, body := do("GET", alice+"notes/a.ttl", tok, key, "")
		if resp.StatusCode != 200 || !strings.Contains(body, "<"+alice+"notes/a.ttl#a>") {
			t.Fatalf("GET: %d\n%s", resp.StatusCode, body)
		}
		if resp, _ := do("GET", alice+"notes/a.ttl", "", nil, ""); resp.StatusCode != 401 {
			t.Errorf("anonymous GET: %d, want 401", resp.StatusCode)
		}
		if resp, _ := do("GET", "http://bob."+hostPort+"/", tok, key, ""); resp.StatusCode != 403 {
			t.Errorf("alice on bob's pod: %d, want 403", resp.StatusCode)
		}
		// A proof for the base-host spelling of the same resource does
		// not fit a request to the pod's host.
		req, _ := http.NewRequest("GET", alice+"notes/a.ttl", nil)
		proof, _ := key.Proof("GET", base+"alice/notes/a.ttl", tok, time.Now())
		req.Header.Set("Authorization", "DPoP "+tok)
		req.Header.Set("DPoP", proof)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("proof with the base-host URL: %d, want 401", resp.StatusCode)
		}
	})
	t.Run("account pages show the pod's own URL", func(t *testing.T) {
		if got := s.id.provision.PodURL("alice"); got != alice {
			t.Errorf("PodURL = %q, want %q", got, alice)
		}
	})
}
