package notify

import (
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
)

// An idle WebSocketChannel2023 socket costs one goroutine: the HTTP
// handler returns once the socket is open, and there is no per-socket
// ping loop (issue 12 item 5; BenchmarkIdleSocket has the bytes).
func TestIdleSocketOneGoroutine(t *testing.T) {
	const n = 200
	s, addr, paths := channelServer(t, n, nil)
	base := runtime.NumGoroutine()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range n {
		conns = append(conns, rawUpgrade(t, addr, paths[i], ""))
	}
	// Handlers end a moment after their answer: wait (bounded) until
	// the count settles at its bound.
	got := 0
	for range 200 {
		if got = runtime.NumGoroutine() - base; got <= n+5 && s.hub.open() == n {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got > n+5 {
		t.Fatalf("%d idle sockets hold %d goroutines, want at most one each", n, got)
	}
	if open := s.hub.open(); open != n {
		t.Fatalf("%d sockets open, want %d", open, n)
	}
}

// The server-wide socket bound (issue 12 item 3, --max-notification-sockets)
// counts the sockets of both protocols; over it an upgrade is refused with
// 503 and Retry-After, and a socket that closes makes room again.
func TestSocketsBoundBothProtocols(t *testing.T) {
	sockets := NewSockets(2)
	_, addr, paths := channelServer(t, 4, sockets)
	legacyAddr := legacyServer(t, sockets)

	first := rawUpgrade(t, addr, paths[0], "")
	defer first.Close()
	second := rawUpgrade(t, legacyAddr, LegacyPath, legacyProtocol)
	defer second.Close()
	if got := sockets.Open(); got != 2 {
		t.Fatalf("%d sockets counted, want 2", got)
	}
	for _, try := range []struct{ name, addr, path, proto string }{
		{"WebSocketChannel2023", addr, paths[1], ""},
		{"solid-0.1", legacyAddr, LegacyPath, legacyProtocol},
	} {
		c, resp := rawHandshake(t, try.addr, try.path, try.proto)
		c.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s over the bound: %s, Retry-After %q; want 503 with Retry-After",
				try.name, resp.Status, resp.Header.Get("Retry-After"))
		}
	}
	if got := sockets.Open(); got != 2 {
		t.Fatalf("refused upgrades left %d sockets counted, want 2", got)
	}
	// A client that goes frees its place (bounded wait for the server to
	// notice the close).
	first.Close()
	for i := 0; sockets.Open() != 1; i++ {
		if i == 200 {
			t.Fatalf("%d sockets counted after one closed, want 1", sockets.Open())
		}
		time.Sleep(10 * time.Millisecond)
	}
	c, resp := rawHandshake(t, addr, paths[2], "")
	defer c.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade under the bound: %s", resp.Status)
	}
	second.Close()
	for i := 0; sockets.Open() != 1; i++ {
		if i == 200 {
			t.Fatalf("%d sockets counted after the legacy one closed, want 1", sockets.Open())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// legacyServer serves solid-0.1 sockets bounded by sockets on 127.0.0.1.
func legacyServer(t *testing.T, sockets *Sockets) string {
	srv, set := ldptest.Server(t)
	base := srv.URL + "/"
	st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	h := ldptest.PublicHandler(t, st, res, ldp.Config{BaseURL: base})
	l, err := NewLegacy(LegacyOptions{BaseURL: base, Locator: h.Locator(), Access: h, Sockets: sockets})
	if err != nil {
		t.Fatal(err)
	}
	set(l)
	t.Cleanup(l.Shutdown)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestNewSocketsDefault(t *testing.T) {
	if s := NewSockets(0); s.max != DefaultMaxSockets {
		t.Fatalf("NewSockets(0) bounds %d, want %d", s.max, DefaultMaxSockets)
	}
	var none *Sockets // no bound
	if !none.acquire() || none.Open() != 0 {
		t.Fatal("a nil *Sockets must bound nothing")
	}
	none.release()
}

// OnChange reports every step-th socket both ways (the server grows its
// memory limit with it), and never a refused one.
func TestSocketsOnChange(t *testing.T) {
	s := NewSockets(5)
	var seen []int64
	s.OnChange(2, func() { seen = append(seen, s.Open()) })
	for range 6 {
		s.acquire() // the sixth is refused
	}
	for range 5 {
		s.release()
	}
	want := []int64{2, 4, 4, 2, 0}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("OnChange saw %v, want %v", seen, want)
	}
}
