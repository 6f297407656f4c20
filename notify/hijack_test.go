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

// A client may send its first frame right behind the handshake, before
// the answer: those bytes are already in net/http's reader when the
// connection is hijacked, and smallBuffers must not lose them (it keeps
// the connection's own buffers then).
func TestSmallBuffersKeepBytesSentWithTheHandshake(t *testing.T) {
	addr := legacyServer(t, nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	payload := "sub /doc"
	frame := append([]byte{0x81, 0x80 | byte(len(payload)), 0, 0, 0, 0}, payload...)
	hs := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Protocol: solid-0.1\r\n\r\n", LegacyPath, addr)
	if _, err := c.Write(append([]byte(hs), frame...)); err != nil { // one write: both arrive together
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	for _, want := range []string{"protocol solid-0.1", "ack http://" + addr + "/doc"} {
		got, err := readTextFrame(br)
		if err != nil || got != want {
			t.Fatalf("got %q (%v), want %q", got, err, want)
		}
	}
}

// readTextFrame reads one unmasked server frame of under 126 bytes.
func readTextFrame(br *bufio.Reader) (string, error) {
	var h [2]byte
	if _, err := br.Read(h[:1]); err != nil {
		return "", err
	}
	b, err := br.ReadByte()
	if err != nil {
		return "", err
	}
	h[1] = b
	n := int(h[1] & 0x7f)
	if n >= 126 {
		return "", fmt.Errorf("frame of %d bytes", n)
	}
	p := make([]byte, n)
	for i := range p {
		if p[i], err = br.ReadByte(); err != nil {
			return "", err
		}
	}
	return strings.TrimSpace(string(p)), nil
}
