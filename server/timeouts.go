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
	// unreadBodyGrace is how long the server goes on reading (and
	// discarding) a request body the handler left unread, after the answer
	// has been sent, before it closes the connection: long enough for a
	// body already on its way to arrive (closing on unread data would reset
	// the connection and could destroy the answer), short enough that a
	// body that never comes holds nothing (SECURITY row 60).
	unreadBodyGrace = time.Second
)

// idleBody re-arms the connection's read deadline before every body read
// and remembers whether the body was read to its end.
type idleBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration
	done    bool // a read returned an error (io.EOF or another)
}

func (b *idleBody) Read(p []byte) (int, error) {
	_ = b.rc.SetReadDeadline(time.Now().Add(b.timeout))
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.done = true
	}
	return n, err
}

// bodyDeadline bounds every request body: reads by the handler get the idle
// deadline, and a body the handler did not read to its end when it answers
// (a request refused before its body was needed: 401, 403, 413, ...) is not
// waited for. Go's server would otherwise read such a body, with no
// deadline, before sending the answer or before closing, so a client that
// sends headers with a Content-Length and then nothing held a socket and a
// goroutine for as long as it liked (SECURITY row 60, issue 10 item 8). The
// answer says "Connection: close" and the connection is closed once the
// answer is sent and the rest of the body has arrived, or unreadBodyGrace
// has passed.
func bodyDeadline(timeout time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body == nil || r.Body == http.NoBody {
				next.ServeHTTP(w, r)
				return
			}
			rc := http.NewResponseController(w)
			b := &idleBody{ReadCloser: r.Body, rc: rc, timeout: timeout}
			r.Body = b
			uw := &unreadBodyWriter{ResponseWriter: w, body: b, rc: rc}
			next.ServeHTTP(uw, r)
			uw.check() // a handler that never wrote answers 200 now
		})
	}
}

// unreadBodyWriter applies bodyDeadline's rule when the answer's header is
// written.
type unreadBodyWriter struct {
	http.ResponseWriter
	body    *idleBody
	rc      *http.ResponseController
	checked bool
}

func (u *unreadBodyWriter) check() {
	if u.checked {
		return
	}
	u.checked = true
	if u.body.done {
		return
	}
	u.ResponseWriter.Header().Set("Connection", "close")
	_ = u.rc.SetReadDeadline(time.Now().Add(unreadBodyGrace))
}

func (u *unreadBodyWriter) WriteHeader(code int) {
	if code >= 200 { // 1xx answers leave the body to come
		u.check()
	}
	u.ResponseWriter.WriteHeader(code)
}

func (u *unreadBodyWriter) Write(p []byte) (int, error) {
	u.check()
	return u.ResponseWriter.Write(p)
}

// Flush keeps streaming answers streaming.
func (u *unreadBodyWriter) Flush() {
	u.check()
	_ = u.rc.Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (u *unreadBodyWriter) Unwrap() http.ResponseWriter { return u.ResponseWriter }
