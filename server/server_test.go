package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/ldp"
)

// lockedBuffer collects log output from the server goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServer runs a real server on a free loopback port with its data in
// a temp dir, and stops it when the test ends. Its root ACL gives the
// public every mode: these tests are about the server's plumbing; access
// control is tested in ldp/ and conformance/.
func startServer(t *testing.T, mod func(*Config)) (string, *lockedBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := defaults()
	cfg.Listen = addr
	cfg.BaseURL = "http://" + addr + "/"
	cfg.DataDir = t.TempDir()
	cfg.DiskReserve = 0
	cfg.OwnerWebID = "https://owner.example/profile/card#me"
	if mod != nil {
		mod(&cfg)
	}
	logs := &lockedBuffer{}
	runServe(t, cfg, logs)
	return "http://" + addr, logs
}

func TestHealthAndRequestLog(t *testing.T) {
	url, logs := startServer(t, nil)
	resp, err := http.Get(url + "/.naamio/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Fatalf("health = %d %s", resp.StatusCode, body)
	}
	id := resp.Header.Get("X-Request-ID")
	if len(id) != 16 {
		t.Fatalf("X-Request-ID %q", id)
	}
	if !strings.Contains(logs.String(), `"request_id":"`+id+`"`) {
		t.Fatalf("request log lacks the request id:\n%s", logs.String())
	}
}

func TestSecretsStayOutOfLogs(t *testing.T) {
	url, logs := startServer(t, nil)
	req, _ := http.NewRequest("GET", url+"/x?access_token=SECRET-QUERY", nil)
	req.Header.Set("Authorization", "DPoP SECRET-TOKEN")
	req.Header.Set("DPoP", "SECRET-PROOF")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if s := logs.String(); strings.Contains(s, "SECRET") {
		t.Fatalf("a secret reached the log:\n%s", s)
	}
}

func TestCORS(t *testing.T) {
	url, _ := startServer(t, nil)
	tests := []struct {
		name, method, origin string
		header               map[string]string
		wantStatus           int
		wantACAO             string
	}{
		{"simple", "GET", "https://app.example", nil, 200, "https://app.example"},
		{"preflight", "OPTIONS", "https://app.example", map[string]string{"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-custom"}, 204, "https://app.example"},
		{"null origin", "GET", "null", nil, 200, ""},
		{"garbage origin", "GET", "::not an origin::", nil, 200, ""},
		{"origin with path", "GET", "https://app.example/path", nil, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, url+"/", nil)
			req.Header.Set("Origin", tc.origin)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus || resp.Header.Get("Access-Control-Allow-Origin") != tc.wantACAO {
				t.Fatalf("status %d ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
			}
			if tc.wantACAO == "" {
				return
			}
			if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
				t.Errorf("Vary lacks Origin: %q", resp.Header.Values("Vary"))
			}
			if tc.method == "OPTIONS" {
				ah := resp.Header.Get("Access-Control-Allow-Headers")
				if !strings.Contains(ah, "Accept") || !strings.Contains(ah, "x-custom") || !strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "PUT") {
					t.Errorf("preflight headers: %v", resp.Header)
				}
				return
			}
			for _, h := range []string{"Link", "ETag", "WAC-Allow", "Accept-Put", "Location", "Allow"} {
				if !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), h) {
					t.Errorf("%s not exposed", h)
				}
			}
		})
	}
}

// SECURITY row 8: a chunked body that stops sending is cut off with 408
// after the idle deadline, and other clients are served meanwhile.
func TestStalledBody(t *testing.T) {
	url, _ := startServer(t, func(c *Config) { c.BodyIdleTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "PUT /stall.ttl HTTP/1.1\r\nHost: x\r\nContent-Type: text/turtle\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<#a> \r\n")
	resp, err := http.Get(url + "/.naamio/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("other client not served: %v", err)
	}
	resp.Body.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	status, err := readStatusLine(conn)
	if err != nil {
		t.Fatalf("no answer to the stalled request: %v", err)
	}
	if !strings.Contains(status, " 408 ") {
		t.Fatalf("stalled body answered %q, want 408", status)
	}
	if r, err := http.Get(url + "/stall.ttl"); err != nil || r.StatusCode != 404 {
		t.Fatalf("stalled write left a resource: %v %v", r, err)
	}
}

func readStatusLine(conn net.Conn) (string, error) {
	buf := make([]byte, 0, 64)
	one := make([]byte, 1)
	for len(buf) < 200 {
		if _, err := conn.Read(one); err != nil {
			return string(buf), err
		}
		if one[0] == '\n' {
			break
		}
		buf = append(buf, one[0])
	}
	return string(buf), nil
}

// TestQuotaRefusesWrites: with --quota, a write that would pass it is a
// 507 and a write within it succeeds.
func TestQuotaRefusesWrites(t *testing.T) {
	url, _ := startServer(t, func(c *Config) { c.Quota = 1 << 20 })
	putBin := func(path string, n int) int {
		req, err := http.NewRequest(http.MethodPut, url+path, bytes.NewReader(make([]byte, n)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := putBin("/a.bin", 512<<10); got != http.StatusCreated {
		t.Fatalf("PUT within the quota: %d", got)
	}
	if got := putBin("/b.bin", 600<<10); got != http.StatusInsufficientStorage {
		t.Fatalf("PUT over the quota: %d, want 507", got)
	}
}

// A body cut short of its Content-Length is the client's fault: 400, and
// nothing is stored.
func TestTruncatedBodyIs400(t *testing.T) {
	url, logs := startServer(t, nil)
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "PUT /cut.bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\nonly a little")
	_ = conn.(*net.TCPConn).CloseWrite()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	status, err := readStatusLine(conn)
	if err != nil || !strings.Contains(status, " 400 ") {
		t.Fatalf("cut-short body answered %q (%v), want 400", status, err)
	}
	if r, err := http.Get(url + "/cut.bin"); err != nil || r.StatusCode != 404 {
		t.Fatalf("cut-short body left a resource: %v %v", r, err)
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Fatalf("a client's broken body was logged as a server error:\n%s", logs.String())
	}
}

// Solid Protocol server-root-container-acl: the first start writes a root
// ACL for the configured owner; without one the root stays closed (no ACL:
// every request for it is denied) until an owner appears, and once the
// ACL exists the owner flag is no longer needed.
func TestRootACL(t *testing.T) {
	log, err := NewLogger(io.Discard, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	cfg := defaults()
	cfg.DataDir = t.TempDir()
	cfg.DiskReserve = 0
	s, err := New(cfg, log)
	if err != nil {
		t.Fatalf("New without an owner on a fresh store: %v", err)
	}
	srv := httptest.NewServer(s.http.Handler)
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("GET / without a root ACL = %d, want 401", resp.StatusCode)
	}
	if _, err := s.store.Stat(context.Background(), rootACLPath); !errors.Is(err, ldp.ErrNotFound) {
		t.Fatalf("a root ACL was written without an owner: %v", err)
	}
	closeServer(s)
	const owner = "https://owner.example/profile/card#me"
	cfg.OwnerWebID = owner
	s, err = New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	_, body, err := s.store.Open(context.Background(), rootACLPath)
	if err != nil {
		t.Fatal(err)
	}
	src, _ := io.ReadAll(body)
	body.Close()
	a, err := acl.Parse(src, "http://localhost:8080/.acl")
	if err != nil {
		t.Fatal(err)
	}
	ownerAgent := acl.Agent{WebID: owner, Authenticated: true}
	if m := a.Modes(context.Background(), "http://localhost:8080/", false, ownerAgent, nil); m != acl.All {
		t.Fatalf("owner modes on the root: %v", m)
	}
	if m := a.Modes(context.Background(), "http://localhost:8080/", true, ownerAgent, nil); m != acl.All {
		t.Fatalf("owner modes inherited: %v", m)
	}
	if m := a.Modes(context.Background(), "http://localhost:8080/", false, acl.Agent{}, nil); m != 0 {
		t.Fatalf("public modes on the root: %v", m)
	}
	s.ldp.Close()
	if err := s.store.Close(); err != nil {
		t.Fatal(err)
	}
	cfg.OwnerWebID = ""
	s, err = New(cfg, log)
	if err != nil {
		t.Fatalf("second start without an owner: %v", err)
	}
	s.ldp.Close()
	_ = s.store.Close()
}

// newOwned builds (without serving) a server on a fresh data directory
// whose first start names an owner; the caller closes it with closeServer.
func newOwned(t *testing.T) (*Server, Config) {
	t.Helper()
	log, _ := NewLogger(io.Discard, "json", "info")
	cfg := defaults()
	cfg.DataDir = t.TempDir()
	cfg.DiskReserve = 0
	cfg.OwnerWebID = "https://owner.example/profile/card#me"
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	return s, cfg
}

// closed marks the servers closeServer has closed (it may be called from
// a test and again from its cleanup).
var closed sync.Map

func closeServer(s *Server) {
	if _, done := closed.LoadOrStore(s, true); done {
		return
	}
	s.mods.Close(context.Background())
	s.ldp.Close()
	_ = s.store.Close()
}

// Without credentials every resource is refused with a DPoP challenge.
func TestPrivateByDefault(t *testing.T) {
	s, _ := newOwned(t)
	defer closeServer(s)
	srv := httptest.NewServer(s.http.Handler)
	defer srv.Close()
	for _, p := range []string{"/", "/missing", "/.acl"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "DPoP") {
			t.Fatalf("GET %s = %d %q", p, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
}

// Issue 10 item 14: the preflight answer exposes the same headers as the
// actual response.
func TestCORSPreflightExposesHeaders(t *testing.T) {
	url, _ := startServer(t, nil)
	req, _ := http.NewRequest("OPTIONS", url+"/", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "PUT")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("preflight status %d", resp.StatusCode)
	}
	if got := resp.Header.Get("Access-Control-Expose-Headers"); got != corsExpose {
		t.Fatalf("preflight Access-Control-Expose-Headers = %q, want %q", got, corsExpose)
	}
}

// Issue 10 item 15: the provider's documents answer a credentialed
// cross-origin fetch (as SolidOS sends for the discovery document) with the
// request's origin and Allow-Credentials, never "*", which browsers refuse
// for credentialed requests; without an Origin nothing changes, and the
// endpoints the provider answers without CORS stay without it.
func TestProviderCORSCredentialed(t *testing.T) {
	url, _ := startServer(t, nil)
	const origin = "https://app.example"
	send := func(method, path, origin string, hdr ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, url+path, nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, tc := range []struct {
		method, path string
		hdr          []string
		status       int
	}{
		{"GET", "/.well-known/openid-configuration", nil, 200},
		{"GET", "/.oidc/jwks", nil, 200},
		{"OPTIONS", "/.well-known/openid-configuration", []string{"Access-Control-Request-Method", "GET"}, 204},
		{"OPTIONS", "/.oidc/token", []string{"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "dpop"}, 204},
		{"POST", "/.oidc/token", nil, 0},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp := send(tc.method, tc.path, origin, tc.hdr...)
			if tc.status != 0 && resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != origin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, origin)
			}
			if got := resp.Header.Get("Access-Control-Allow-Credentials"); got != "true" {
				t.Errorf("Access-Control-Allow-Credentials = %q, want true", got)
			}
			if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
				t.Errorf("Vary lacks Origin: %q", resp.Header.Values("Vary"))
			}
		})
	}
	t.Run("no origin", func(t *testing.T) {
		resp := send("GET", "/.well-known/openid-configuration", "")
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
		}
		if resp.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Error("credentials allowed without an Origin")
		}
	})
	for _, bad := range []string{"null", "https://app.example/path", "::garbage::"} {
		t.Run("odd origin "+bad, func(t *testing.T) {
			resp := send("GET", "/.oidc/jwks", bad)
			if resp.Header.Get("Access-Control-Allow-Credentials") != "" || resp.Header.Get("Access-Control-Allow-Origin") == bad {
				t.Errorf("odd origin echoed: %v", resp.Header)
			}
		})
	}
	t.Run("authorization endpoint stays without CORS", func(t *testing.T) {
		resp := send("GET", "/.oidc/auth", origin)
		if resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("authorization endpoint answers CORS: %v", resp.Header)
		}
	})
}
