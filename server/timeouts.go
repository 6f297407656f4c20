package server

import (
	"io"
	"net/http"
	"time"
)

// Connection limits. ReadHeaderTimeout stops slow-header clients; bodies get
// an idle deadline per read instead of a whole-request deadline, so a large
// upload at a steady pace is fine while a chunked body that stops sending
// is cut off (SECURITY row 8).
// The first two are configurable (Config); these are fixed.
const (
	idleTimeout    = 120 * time.Second
	maxHeaderBytes = 64 << 10
	shutdownGrace  = 20 * time.Second
)

// idleBody re-arms the connection's read deadline before every body read.
type idleBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	_ = b.rc.SetReadDeadline(time.Now().Add(b.timeout))
	return b.ReadCloser.Read(p)
}

func bodyDeadline(timeout time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = &idleBody{ReadCloser: r.Body, rc: http.NewResponseController(w), timeout: timeout}
			}
			next.ServeHTTP(w, r)
		})
	}
}
