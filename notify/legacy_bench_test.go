package notify

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkLegacyIdleSocket measures the server's memory per open,
// subscribed, idle solid-0.1 socket (heap and goroutine stacks). The
// clients are raw TCP connections that do the handshake by hand, so that
// almost none of the measured memory is theirs.
//
//	go test -run XXX -bench LegacyIdleSocket -benchtime 1x ./notify
func BenchmarkLegacyIdleSocket(b *testing.B) {
	const sockets = 2000
	_, url := legacyPod(b, 0)
	addr := strings.TrimPrefix(url, "http://")
	before := socketMemory()
	conns := make([]net.Conn, 0, sockets)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range sockets {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+
			"Sec-WebSocket-Protocol: solid-0.1\r\n\r\n", LegacyPath, addr)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			b.Fatalf("handshake %d: %v %v", i, resp, err)
		}
		// One masked text frame (mask key 0): "sub /doc<i>".
		payload := fmt.Sprintf("sub /doc%d", i)
		frame := append([]byte{0x81, 0x80 | byte(len(payload)), 0, 0, 0, 0}, payload...)
		if _, err := c.Write(frame); err != nil {
			b.Fatal(err)
		}
	}
	time.Sleep(time.Second) // let every sub be acked
	report(b, before, socketMemory(), sockets)
}
