package server

import (
	"context"
	"log/slog"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/naamio/naamio/notify"
)

// The soft memory limit grows with the open notification sockets, so that
// 10,000 of them do not keep the collector running all the time (issue 12
// item 5), and shrinks back when they close.
func TestMemoryLimitGrowsWithSockets(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev); appliedMemoryLimit.Store(0) })
	base, _ := startServer(t, nil)
	const limit = 1 << 40 // far above what the test uses: the test process must not be squeezed
	applyMemoryLimit(limit, "", slog.New(slog.DiscardHandler))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(base, "http") + notify.LegacyPath
	var open []*websocket.Conn
	for range 128 {
		ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"solid-0.1"}})
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, ws)
	}
	want := int64(limit + 128*socketMemoryShare)
	if got := debug.SetMemoryLimit(-1); got != want {
		t.Fatalf("with 128 sockets the limit is %d, want %d", got, want)
	}
	for _, ws := range open {
		_ = ws.CloseNow()
	}
	for i := 0; debug.SetMemoryLimit(-1) != limit; i++ { // the server notices the closes a moment later
		if i == 200 {
			t.Fatalf("after the sockets closed the limit is %d, want %d", debug.SetMemoryLimit(-1), int64(limit))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
