package server

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Issue 16 item 4: "a readiness state says when the store is ... recovering".
// While the data directory is being opened (Badger replays its log after a
// crash; a migration writes its backup first), the listener is already up
// and says so: /.naamio/ready and /.naamio/health answer 503
// {"status":"recovering"} with Retry-After, any other request 503, instead
// of refusing connections. Once the store is open, the same listener
// serves everything. The store's opening is held here by the test hook
// beforeStoreOpen.
func TestReadyWhileRecovering(t *testing.T) {
	cfg := loopbackConfig(t)
	release := make(chan struct{})
	entered := make(chan struct{})
	beforeStoreOpen = func() { close(entered); <-release }
	t.Cleanup(func() { beforeStoreOpen = nil })
	log, err := NewLogger(io.Discard, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runServer(ctx, cfg, log) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("runServer: %v", err)
		}
	}()
	<-entered
	base := "http://" + cfg.Listen
	get := func(path string) (int, string, http.Header) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s while recovering: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	for _, path := range []string{"/.naamio/ready", "/.naamio/health"} {
		code, body, h := get(path)
		if code != 503 || strings.TrimSpace(body) != `{"status":"recovering"}` || h.Get("Retry-After") == "" || h.Get("Content-Type") != "application/json" {
			t.Errorf("%s while recovering: %d %q %v", path, code, body, h)
		}
	}
	for _, path := range []string{"/", "/alice/notes", "/.well-known/openid-configuration", "/" + strings.Repeat("x", 5000)} {
		// The answer never echoes what was asked.
		if code, body, h := get(path); code != 503 || h.Get("Retry-After") == "" || strings.Contains(body, "xxxx") || strings.Contains(body, "alice") {
			t.Errorf("%s while recovering: %d %q", path[:min(len(path), 40)], code, body)
		}
	}
	close(release)
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body, _ := get("/.naamio/ready")
		if code == 200 && strings.Contains(body, `"ready"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after the store opened: %d %q", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, _, _ := get("/.naamio/health"); code != 200 {
		t.Fatalf("health once open: %d", code)
	}
}

// A configuration that cannot work is refused before anything listens:
// the address stays free.
func TestRunServerBadConfigListensNothing(t *testing.T) {
	cfg := loopbackConfig(t)
	cfg.BaseURL = "ftp://nowhere/"
	log, _ := NewLogger(io.Discard, "json", "info")
	if err := runServer(context.Background(), cfg, log); err == nil {
		t.Fatal("a bad base URL was accepted")
	}
	if resp, err := http.Get("http://" + cfg.Listen + "/.naamio/ready"); err == nil {
		resp.Body.Close()
		t.Fatalf("something answered on %s: %d", cfg.Listen, resp.StatusCode)
	}
}
