package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/ldptest"
)

// TestModuleReactorKill9: a reactor event committed to the module's
// durable queue survives a SIGKILL of the server and runs once the server
// is back (issue 13 item 4). The event cannot run before the kill: the
// indexer may not write its index until the ACL is changed, with the
// server down, after the kill.
func TestModuleReactorKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	bin := indexerWasm(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	base := "http://" + listen + "/"
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := accountCommand([]string{"create", "--data", dir, "--base-url", base, "--email", "alice@example.org", "--pod", "alice"},
		strings.NewReader("correct horse battery\n"), &out, &errOut); err != nil {
		t.Fatalf("%v %s", err, errOut.String())
	}
	owner := base + "alice/profile/card#me"
	agent := base + "alice/settings/modules/indexer.json#module"
	// The public may do anything in alice's pod (this test's requests are
	// anonymous); the module may read it, and write only when asked to.
	podACL := func(moduleModes string) {
		st, err := openStopped(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ldptest.WriteACL(t, st, base, "/alice/.acl", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<#owner> a acl:Authorization ; acl:agent <`+owner+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#public> a acl:Authorization ; acl:agentClass foaf:Agent ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#module> a acl:Authorization ; acl:agent <`+agent+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode `+moduleModes+` .`)
	}
	podACL("acl:Read")
	queue := crashQueueEnv + "=" + string(kv.Modules) + " q/"
	child, lines := startCrashChild(t, dir, listen, queue)
	put := func(path, ct string, body []byte, want int) {
		t.Helper()
		req, _ := http.NewRequest("PUT", base+strings.TrimPrefix(path, "/"), bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("PUT %s: %d %s", path, resp.StatusCode, b)
		}
	}
	sum := sha256.Sum256(bin)
	put("/alice/settings/modules/indexer.wasm", "application/wasm", bin, http.StatusCreated)
	put("/alice/settings/modules/indexer.json", "application/json", []byte(`{"name":"indexer","version":"1",
		"wasm":{"url":"indexer.wasm","sha256":"`+hex.EncodeToString(sum[:])+`"},
		"reactors":[{"export":"on_change","container":"../../notes/"}],
		"config":{"index":"`+base+`alice/index/titles.ttl"},"limits":{"timeoutMs":10000}}`), http.StatusCreated)
	put("/alice/notes/a.ttl", "text/turtle", []byte(`<> <http://purl.org/dc/terms/title> "Survivor" .`), http.StatusCreated)
	queued := false
	for !queued && lines.Scan() {
		queued = strings.TrimSpace(lines.Text()) == "QUEUED 1"
	}
	if !queued {
		t.Fatal("the reactor event was never queued")
	}
	_ = child.Process.Signal(syscall.SIGKILL)
	_ = child.Wait()

	podACL("acl:Read, acl:Write")
	startCrashChild(t, dir, listen, queue)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "alice/index/titles.ttl")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), "Survivor") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the queued reactor event did not run after the restart")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
