package server

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/naamio/naamio/ldp/ldptest"
)

// The running server lists its WebSocketChannel2023 subscription service
// in the storage description, subscribes through it, and delivers a
// write's notification over the socket from the change-log feed, through
// the whole middleware chain (issue 12 item 2).
func TestNotificationsWebSocketChannel2023(t *testing.T) {
	url, _ := startServer(t, nil)
	from := subscribeDoc(t, url)
	receiveCreate(t, url, from, "/doc")
}

// Channels are kept in kv.Channels: after a restart on the same data
// directory the channel's receiveFrom still opens and delivers.
func TestNotificationsChannelSurvivesRestart(t *testing.T) {
	cfg := loopbackConfig(t)
	url := "http://" + cfg.Listen
	stop := serveFor(t, cfg, true)
	from := subscribeDoc(t, url)
	stop()
	stop = serveFor(t, cfg, false)
	defer stop()
	receiveCreate(t, url, from, "/doc")
}

// serveFor runs a server on cfg until the returned function is called.
func serveFor(t *testing.T, cfg Config, public bool) func() {
	t.Helper()
	log, _ := NewLogger(io.Discard, "json", "info")
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if public {
		ldptest.WriteACL(t, s.store, cfg.BaseURL, "/.acl", ldptest.PublicRootACL)
	}
	stop, _ := serveInTest(t, context.Background(), s)
	if !healthy("http://"+cfg.Listen+"/", 200) {
		t.Fatal("server did not become healthy")
	}
	return stop
}

// subscribeDoc finds the subscription service in the storage description
// and subscribes (anonymously: the public may read) to url/doc.
func subscribeDoc(t *testing.T, url string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/.well-known/solid", nil)
	req.Header.Set("Accept", "application/n-triples")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	svc := url + "/.notifications/WebSocketChannel2023/"
	if !strings.Contains(string(b), "<http://www.w3.org/ns/solid/notifications#subscription> <"+svc+">") {
		t.Fatalf("storage description without the subscription service:\n%s", b)
	}
	body := `{"@context":["https://www.w3.org/ns/solid/notification/v1"],"type":"http://www.w3.org/ns/solid/notifications#WebSocketChannel2023","topic":"` + url + `/doc"}`
	resp, err = http.Post(svc, "application/ld+json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var desc struct {
		ReceiveFrom string `json:"receiveFrom"`
	}
	err = json.NewDecoder(resp.Body).Decode(&desc)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("subscribe: %d %v", resp.StatusCode, err)
	}
	return desc.ReceiveFrom
}

// receiveCreate opens from, creates url+path and reads its Create.
func receiveCreate(t *testing.T, url, from, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, from, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	put, _ := http.NewRequest("PUT", url+path, strings.NewReader("hello"))
	put.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(put)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %v %v", resp, err)
	}
	resp.Body.Close()
	_, msg, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var n map[string]any
	if err := json.Unmarshal(msg, &n); err != nil || n["type"] != "Create" || n["object"] != url+path {
		t.Fatalf("notification %s (%v)", msg, err)
	}
}

// loopbackConfig is a server configuration for a restartable test server:
// a free port on 127.0.0.1 (Listen and BaseURL), its own data directory,
// no disk reserve, and an owner.
func loopbackConfig(t testing.TB) Config {
	t.Helper()
	cfg := defaults()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = ln.Addr().String()
	ln.Close()
	cfg.BaseURL = "http://" + cfg.Listen + "/"
	cfg.DataDir = t.TempDir()
	cfg.DiskReserve = 0
	cfg.OwnerWebID = "https://owner.example/profile/card#me"
	return cfg
}
