package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/ldp/ldptest"
	"github.com/naamio/naamio/modules"
)

// runServe runs Serve on cfg (a real listener and admin socket), logging
// to logs, until the returned stop is called or the test ends; it waits
// until the server is healthy.
func runServe(t *testing.T, cfg Config, logs io.Writer) (stop func()) {
	t.Helper()
	log, err := NewLogger(logs, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ldptest.WriteACL(t, s.store, cfg.BaseURL, "/.acl", ldptest.PublicRootACL)
	stop, _ = serveInTest(t, context.Background(), s)
	if !healthy("http://"+cfg.Listen+"/", 250) {
		t.Fatal("server did not become healthy")
	}
	return stop
}

// naamio module works while the server runs, through the admin socket
// (the store itself is locked by the server), with live counters; the
// socket is the server user's alone, goes away with the server, and a
// stale one left by a crash is neither trusted nor in the way.
func TestAdminSocketModuleCommands(t *testing.T) {
	cfg := loopbackConfig(t)
	dir := cfg.DataDir
	stop := runServe(t, cfg, io.Discard)
	sock := adminSocketPath(dir)
	fi, err := os.Lstat(sock)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket: %v %v", fi, err)
	}
	put := func(path, ct string, body []byte) {
		t.Helper()
		req, _ := http.NewRequest("PUT", cfg.BaseURL+strings.TrimPrefix(path, "/"), bytes.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("PUT %s: %d %s", path, resp.StatusCode, b)
		}
	}
	bin, err := os.ReadFile("../modules/testdata/reactor.wasm")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bin)
	agent := cfg.BaseURL + "settings/modules/r.json#module"
	put("/notes/", "", nil)
	put("/notes/.acl", "text/turtle", []byte(`@prefix acl: <http://www.w3.org/ns/auth/acl#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<#public> a acl:Authorization ; acl:agentClass foaf:Agent ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#module> a acl:Authorization ; acl:agent <`+agent+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .`))
	put("/settings/modules/r.wasm", "application/wasm", bin)
	put("/settings/modules/r.json", "application/json", []byte(`{"name":"r","version":"1","wasm":{"url":"r.wasm","sha256":"`+hex.EncodeToString(sum[:])+`"},
		"reactors":[{"export":"on_change","container":"../../notes/"}]}`))
	put("/notes/a.ttl", "text/turtle", []byte(`<#x> <urn:ex:v> 1 .`))

	cli := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		full := append([]string{args[0], "--data", dir}, args[1:]...)
		err := moduleCommand(full, &out, &errOut)
		return out.String(), err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := cli("status", "/settings/modules/r.json")
		if err != nil {
			t.Fatalf("naamio module status while running: %v", err)
		}
		var rec modules.Installed
		if err := json.Unmarshal([]byte(out), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Status.Calls >= 1 && rec.Status.State == modules.StateRunning {
			break // live: the recorded status lags up to 10 s
		}
		if time.Now().After(deadline) {
			t.Fatalf("the running server's status never showed the call: %+v", rec)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out, err := cli("list"); err != nil || !strings.Contains(out, "/settings/modules/r.json") {
		t.Fatalf("module list while running: %q %v", out, err)
	}
	// Bad input to the socket itself.
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	for _, method := range []string{"GET", "POST"} {
		req, _ := http.NewRequest(method, "http://x/v1/modules", strings.NewReader("{}"))
		if resp, err := c.Do(req); err != nil {
			t.Error(err)
		} else if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), "no admin command "+method+" /v1/modules") {
			t.Errorf("%s /v1/modules: %d %s", method, resp.StatusCode, b)
		}
	}
	c.CloseIdleConnections()

	// Stopped: the socket is gone and the commands read the store.
	stop()
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Fatalf("socket left after a clean stop: %v", err)
	}
	if out, err := cli("list"); err != nil || !strings.Contains(out, "/settings/modules/r.json") {
		t.Fatalf("module list, stopped: %q %v", out, err)
	}

	// A crash leaves a socket file nobody listens on: the commands open
	// the store, and the next server replaces it.
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if out, err := cli("list"); err != nil || !strings.Contains(out, "r.json") {
		t.Fatalf("module list with a stale socket: %q %v", out, err)
	}
	stop = runServe(t, cfg, io.Discard)
	if out, err := cli("list"); err != nil || !strings.Contains(out, "r.json") {
		t.Fatalf("module list after the stale socket was replaced: %q %v", out, err)
	}
	stop()

	// Something that is not a socket at that name: the server runs without
	// the admin socket (and says so), and the commands do not talk to it.
	if err := os.WriteFile(sock, []byte("not a socket"), 0o600); err != nil {
		t.Fatal(err)
	}
	stop = runServe(t, cfg, io.Discard)
	if _, err := cli("list"); err == nil || !strings.Contains(err.Error(), "stop the server first") {
		t.Fatalf("module list with a file in the socket's place: %v", err)
	}
	stop()
	if b, _ := os.ReadFile(sock); string(b) != "not a socket" {
		t.Fatal("the server replaced a file that is not a socket")
	}
}
