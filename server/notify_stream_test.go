package server

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/notify"
)

// StreamingHTTPChannel2023 through the whole server: resources link their
// stream, a write's notification arrives on it, and shutting the server
// down ends open streams instead of waiting for them (Serve returns
// without the shutdown deadline passing; issue 12 item 2).
func TestNotificationsStreamingHTTPChannel2023(t *testing.T) {
	cfg := loopbackConfig(t)
	base := "http://" + cfg.Listen
	stop := serveFor(t, cfg, true)
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()

	put := func(body string, want int) {
		t.Helper()
		req, _ := http.NewRequest("PUT", base+"/doc", strings.NewReader(body))
		req.Header.Set("Content-Type", "text/plain")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != want {
			t.Fatalf("PUT: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	put("one", http.StatusCreated)
	stream := base + notify.StreamPath + strings.ReplaceAll(url.QueryEscape(base+"/doc"), "+", "%20")
	resp, err := http.Head(base + "/doc")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := "<" + stream + `>; rel="http://www.w3.org/ns/solid/terms#updatesViaStreamingHttp2023"`; !strings.Contains(strings.Join(resp.Header.Values("Link"), ", "), want) {
		t.Fatalf("Link %v lacks %s", resp.Header.Values("Link"), want)
	}

	resp, err = http.Get(stream)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/turtle" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := bufio.NewReader(resp.Body)
	note := func() string {
		t.Helper()
		var b strings.Builder
		for {
			l, err := lines.ReadString('\n')
			if err != nil {
				t.Fatalf("stream: %v after %q", err, b.String())
			}
			b.WriteString(l)
			if strings.HasSuffix(l, " .\n") {
				return b.String()
			}
		}
	}
	if n := note(); !strings.Contains(n, "activitystreams#Update>") {
		t.Fatalf("first notification %q, want the current state (Update)", n)
	}
	put("two", http.StatusNoContent)
	if n := note(); !strings.Contains(n, "activitystreams#Update>") || !strings.Contains(n, "<"+base+"/doc>") {
		t.Fatalf("notification %q, want Update of /doc", n)
	}

	done := make(chan struct{})
	go func() { stop(); close(done) }()
	stopped = true
	select {
	case <-done:
	case <-time.After(shutdownGrace + 5*time.Second):
		t.Fatal("Serve did not return")
	}
	ended := make(chan error, 1)
	go func() {
		rest, err := io.ReadAll(resp.Body)
		if err == nil && len(rest) != 0 {
			err = fmt.Errorf("more notifications: %q", rest)
		}
		ended <- err
	}()
	select {
	case err := <-ended:
		if err != nil {
			t.Fatalf("stream did not end cleanly: %v", err)
		}
	case <-time.After(5 * time.Second):
		resp.Body.Close()
		t.Fatal("stream still open after the server stopped")
	}
}
