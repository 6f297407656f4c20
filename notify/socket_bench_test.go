package notify

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
)

// BenchmarkIdleSocket measures the server's memory per open, idle
// WebSocketChannel2023 socket (heap and goroutine stacks; issue 12
// item 5: under 20 KiB). The channels are written to the store directly;
// the clients are raw TCP connections that do the handshake by hand, so
// that almost none of the measured memory is theirs (their net.Conn, a
// few hundred bytes each, is counted with the server's).
// bench/notify.sh measures the same from outside, in a server process.
//
//	go test -run XXX -bench IdleSocket -benchtime 1x ./notify
func BenchmarkIdleSocket(b *testing.B) {
	const sockets = 2000
	s, addr, paths := channelServer(b, sockets, nil)
	before := socketMemory()
	conns := make([]net.Conn, 0, sockets)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range sockets {
		conns = append(conns, rawUpgrade(b, addr, paths[i], ""))
	}
	time.Sleep(time.Second)
	after := socketMemory()
	report(b, before, after, sockets)
	if n := s.hub.open(); n != sockets {
		b.Fatalf("%d sockets open, want %d", n, sockets)
	}
}

// channelServer is a real server on 127.0.0.1 with the service, its
// address, and the receiveFrom paths of n channels on 100 topics written
// to the store directly.
func channelServer(tb testing.TB, n int, sockets *Sockets) (*Service, string, []string) {
	srv, set := ldptest.Server(tb)
	base := srv.URL + "/"
	st, res := ldptest.OpenStore(tb, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	h := ldptest.PublicHandler(tb, st, res, ldp.Config{BaseURL: base})
	ch, err := st.KV(kv.Channels)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := New(Config{LDP: h, Channels: ch, Sockets: sockets})
	if err != nil {
		tb.Fatal(err)
	}
	set(s)
	tb.Cleanup(s.Close)
	paths := make([]string, n)
	for i := range paths {
		c := &channel{Token: newToken(), Secret: newToken(), Topic: fmt.Sprintf("/doc%d", i%100),
			Created: time.Now(), EndAt: time.Now().Add(time.Hour), Bucket: "-bench"}
		if err := s.channels.put(context.Background(), c); err != nil {
			tb.Fatal(err)
		}
		paths[i] = ServicePath + c.Token + "?auth=" + c.Secret
	}
	return s, strings.TrimPrefix(srv.URL, "http://"), paths
}

// rawUpgrade opens a WebSocket on path by hand (subprotocol proto if not
// empty) and returns the connection once the server has switched.
func rawUpgrade(tb testing.TB, addr, path, proto string) net.Conn {
	tb.Helper()
	c, resp := rawHandshake(tb, addr, path, proto)
	if resp.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		tb.Fatalf("handshake of %s: %s", path, resp.Status)
	}
	return c
}

// rawHandshake sends a WebSocket handshake for path and returns the
// connection and the server's answer.
func rawHandshake(tb testing.TB, addr, path, proto string) (net.Conn, *http.Response) {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	extra := ""
	if proto != "" {
		extra = "Sec-WebSocket-Protocol: " + proto + "\r\n"
	}
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n", path, addr, extra)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		c.Close()
		tb.Fatalf("handshake of %s: %v", path, err)
	}
	return c, resp
}

// memory is the heap and stack memory in use after a collection.
type memory struct{ heap, stack uint64 }

func socketMemory() memory {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return memory{m.HeapInuse, m.StackInuse}
}

// report gives the memory per socket between before and after, in all
// and as heap and goroutine stacks.
func report(b *testing.B, before, after memory, sockets int) {
	per := func(a, b uint64) float64 { return (float64(a) - float64(b)) / float64(sockets) }
	b.ReportMetric(per(after.heap+after.stack, before.heap+before.stack), "B/socket")
	b.ReportMetric(per(after.heap, before.heap), "heap-B/socket")
	b.ReportMetric(per(after.stack, before.stack), "stack-B/socket")
	b.ReportMetric(float64(runtime.NumGoroutine())/float64(sockets), "goroutines/socket")
}

// BenchmarkFanout is the server's cost of one change on a topic with 10
// open sockets (issue 12 item 5: 500 writes/s reach 10,000 channels):
// Handle, the access check per socket, and the writes to the sockets,
// whose clients read and discard.
//
//	go test -run XXX -bench Fanout -cpuprofile cpu.out ./notify
func BenchmarkFanout(b *testing.B) {
	const sockets, topics = 1000, 100
	s, addr, paths := channelServer(b, sockets, nil)
	var got atomic.Int64
	for i := range sockets {
		c := rawUpgrade(b, addr, paths[i], "")
		defer c.Close()
		go func() {
			n, _ := io.Copy(io.Discard, c)
			got.Add(n)
		}()
	}
	for s.hub.open() != sockets {
		time.Sleep(10 * time.Millisecond)
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		_ = s.Handle(ctx, []event.Change{{Seq: uint64(i + 1), Kind: event.Update,
			Path: fmt.Sprintf("/doc%d", i%topics), ETag: `"e"`, Time: time.Now()}})
	}
	// Wait (bounded) until every socket's queue is written.
	for range 1000 {
		busy := false
		for _, k := range s.hub.on("/doc0") {
			k.mu.Lock()
			busy = busy || k.writing
			k.mu.Unlock()
		}
		if !busy {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	if s.hub.open() != sockets {
		b.Fatalf("%d sockets open, want %d: queues overflowed", s.hub.open(), sockets)
	}
}
