package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/ldptest"
)

const (
	webhookCrashDirEnv    = "NAAMIO_WEBHOOK_CRASH_DIR"
	webhookCrashListenEnv = "NAAMIO_WEBHOOK_CRASH_LISTEN"
	webhookCrashAllowEnv  = "NAAMIO_WEBHOOK_CRASH_ALLOW"
	// crashQueueEnv names the queue the child counts: "<kv namespace>
	// <key prefix>" (default: the webhook deliveries).
	crashQueueEnv = "NAAMIO_CRASH_QUEUE"
)

// TestWebhookCrashChild is the child half of TestWebhookKill9 and
// TestModuleReactorKill9: a server that serves until it is killed,
// printing "QUEUED <n>" whenever the number of records in its durable
// queue (webhook deliveries, or reactor events) changes.
func TestWebhookCrashChild(t *testing.T) {
	dir := os.Getenv(webhookCrashDirEnv)
	if dir == "" {
		t.Skip("child process of TestWebhookKill9 only")
	}
	cfg := defaults()
	cfg.Listen = os.Getenv(webhookCrashListenEnv)
	cfg.BaseURL = "http://" + cfg.Listen + "/"
	cfg.DataDir = dir
	cfg.DiskReserve = 0
	cfg.OwnerWebID = "https://owner.example/profile/card#me"
	if allow := os.Getenv(webhookCrashAllowEnv); allow != "" {
		cfg.AllowFetch = []netip.AddrPort{netip.MustParseAddrPort(allow)}
	}
	log, _ := NewLogger(io.Discard, "json", "info")
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ldptest.WriteACL(t, s.store, cfg.BaseURL, "/.acl", ldptest.PublicRootACL)
	ns, prefix := kv.DeliveryQueue, "wq/"
	if v := os.Getenv(crashQueueEnv); v != "" {
		n, p, _ := strings.Cut(v, " ")
		ns, prefix = kv.Namespace(n), p
	}
	q, err := s.store.KV(ns)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		last := -1
		for {
			n := 0
			_ = q.List(context.Background(), prefix, func(string, []byte) error { n++; return nil })
			if n != last {
				fmt.Printf("QUEUED %d\n", n)
				last = n
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	_ = s.Serve(context.Background())
}

// TestWebhookKill9: webhook deliveries written to the durable queue
// survive a SIGKILL of the server: the receiver was down when the server
// was killed with three deliveries queued, and after the restart it gets
// all three, verified, in commit order (issue 12 items 2 and 4).
func TestWebhookKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	rc := newHookReceiver(t)
	rc.down.Store(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	url := "http://" + listen
	dir := t.TempDir()
	start := func() (*exec.Cmd, *bufio.Scanner) {
		return startCrashChild(t, dir, listen, webhookCrashAllowEnv+"="+rc.addr().String())
	}
	child, lines := start()
	subscribeHook(t, url, "/doc", rc.url())
	putText(t, url+"/doc", "one", http.StatusCreated)
	putText(t, url+"/doc", "two", http.StatusNoContent)
	putText(t, url+"/doc", "three", http.StatusNoContent)
	queued := false
	for !queued && lines.Scan() {
		queued = strings.TrimSpace(lines.Text()) == "QUEUED 3"
	}
	if !queued {
		t.Fatal("the three deliveries were never queued")
	}
	_ = child.Process.Signal(syscall.SIGKILL)
	_ = child.Wait()

	rc.down.Store(false)
	start()
	got := rc.wait(t, 3)
	for i, typ := range []string{"Create", "Update", "Update"} {
		if got[i]["type"] != typ {
			t.Fatalf("after the kill got %v, want Create, Update, Update", got)
		}
	}
	if got[1]["id"] == got[2]["id"] {
		t.Fatalf("a delivery came twice instead of the third: %v", got)
	}
}

// startCrashChild runs TestWebhookCrashChild in a child process serving
// dir on listen, with the extra environment env, and returns it once it
// is healthy, with its output's lines.
func startCrashChild(t *testing.T, dir, listen string, env ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWebhookCrashChild$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), webhookCrashDirEnv+"="+dir, webhookCrashListenEnv+"="+listen), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for range 500 {
		if resp, err := http.Get("http://" + listen + "/.naamio/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, bufio.NewScanner(out)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("child server did not become healthy")
	return nil, nil
}
