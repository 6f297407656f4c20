package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/naamio/naamio/ldp/ldptest"
	"github.com/naamio/naamio/notify"
)

// --max-notification-sockets and NAAMIO_MAX_NOTIFICATION_SOCKETS (issue 12
// item 3): a positive count, notify.DefaultMaxSockets by default.
func TestMaxNotificationSocketsConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  string
		want int
		ok   bool
	}{
		{"default", nil, "", notify.DefaultMaxSockets, true},
		{"env", nil, "300", 300, true},
		{"flag beats env", []string{"--max-notification-sockets", "7"}, "300", 7, true},
		{"zero", []string{"--max-notification-sockets", "0"}, "", 0, false},
		{"negative env", nil, "-1", 0, false},
		{"not a number", []string{"--max-notification-sockets", "many"}, "", 0, false},
		{"size suffix", nil, "10k", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseValidated(tc.args, "NAAMIO_MAX_NOTIFICATION_SOCKETS", tc.env)
			if !tc.ok {
				if err == nil {
					t.Fatalf("accepted: %d", c.MaxNotificationSockets)
				}
				return
			}
			if err != nil || c.MaxNotificationSockets != tc.want {
				t.Fatalf("got %d, %v; want %d", c.MaxNotificationSockets, err, tc.want)
			}
		})
	}
}

// The server-wide bound counts the sockets of both protocols: with room
// for one, a solid-0.1 socket leaves none for a WebSocketChannel2023
// socket or another solid-0.1 one (503, Retry-After), and its close makes
// room again (issue 12 item 3).
func TestNotificationSocketsBound(t *testing.T) {
	base, _ := startServer(t, func(c *Config) { c.MaxNotificationSockets = 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	legacyURL := "ws" + strings.TrimPrefix(base, "http") + notify.LegacyPath

	// A channel on a public resource, subscribed anonymously.
	put(t, base+"/doc", "text/turtle", "<#a> <#b> <#c> .")
	resp, body := ldptest.Send(t, nil, http.MethodPost, base+notify.ServicePath, "application/ld+json",
		`{"@context":["https://www.w3.org/ns/solid/notification/v1"],"type":"http://www.w3.org/ns/solid/notifications#WebSocketChannel2023","topic":"`+base+`/doc"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("subscribe: %d %s", resp.StatusCode, body)
	}
	var ch struct{ ReceiveFrom string }
	if err := json.Unmarshal([]byte(body), &ch); err != nil || ch.ReceiveFrom == "" {
		t.Fatalf("channel %s: %v", body, err)
	}

	first, _, err := websocket.Dial(ctx, legacyURL, &websocket.DialOptions{Subprotocols: []string{"solid-0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	for name, url := range map[string]string{"WebSocketChannel2023": ch.ReceiveFrom, "solid-0.1": legacyURL} {
		ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"solid-0.1"}})
		if err == nil {
			ws.CloseNow()
			t.Fatalf("%s: a socket over the bound was opened", name)
		}
		if resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("%s over the bound: %v; want 503 with Retry-After", name, resp)
		}
	}
	_ = first.Close(websocket.StatusNormalClosure, "")
	var ws *websocket.Conn
	for i := 0; ; i++ { // the server notices the close a moment later
		if ws, _, err = websocket.Dial(ctx, ch.ReceiveFrom, nil); err == nil {
			break
		}
		if i == 100 {
			t.Fatalf("no room after the first socket closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ws.CloseNow()
}
