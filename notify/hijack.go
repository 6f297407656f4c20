package notify

import (
	"bufio"
	"net"
	"net/http"
)

// Buffers of an open socket. A notification socket mostly sits idle: the
// client sends nothing but control frames, and the server writes a few
// hundred bytes at a time, so the 4 KiB reader and writer that net/http
// hands over on Hijack would be most of an idle socket's memory (issue 12
// item 5). A larger message is written past the buffer, directly.
const (
	socketReadBuffer  = 512
	socketWriteBuffer = 1024
)

// smallBuffers wraps w so that the WebSocket library, which reads and
// writes through the bufio.ReadWriter that Hijack returns, gets small
// buffers; the connection's 4 KiB ones are then garbage.
func smallBuffers(w http.ResponseWriter) http.ResponseWriter {
	return &smallHijack{ResponseWriter: w}
}

type smallHijack struct{ http.ResponseWriter }

// Unwrap lets http.ResponseController reach the connection.
func (h *smallHijack) Unwrap() http.ResponseWriter { return h.ResponseWriter }

func (h *smallHijack) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil || brw.Reader.Buffered() > 0 {
		// Bytes the client sent after the handshake are in the
		// connection's reader: keep it (rare; only the memory differs).
		return conn, brw, err
	}
	return conn, bufio.NewReadWriter(bufio.NewReaderSize(conn, socketReadBuffer),
		bufio.NewWriterSize(conn, socketWriteBuffer)), nil
}
