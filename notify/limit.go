package notify

import (
	"net/http"
	"strconv"
	"sync/atomic"
)

// DefaultMaxSockets is the default server-wide bound on open notification
// sockets of both protocols (issue 12 item 3). An idle socket costs about
// 10 KiB of the server's memory and one goroutine (docs/performance.md),
// so the default bounds them near 200 MiB.
const DefaultMaxSockets = 20000

// socketRetryAfter is the Retry-After (seconds) of a refused upgrade.
const socketRetryAfter = 30

// Sockets bounds the notification sockets open at once, shared by the
// WebSocketChannel2023 service and the solid-0.1 endpoint, so that
// clients cannot open sockets until the server runs out of memory or file
// descriptors. Over the bound an upgrade is answered 503 with Retry-After.
// A nil *Sockets bounds nothing.
type Sockets struct {
	max  int64
	open atomic.Int64
	step int64
	f    func()
}

// OnChange calls f whenever the number of open sockets becomes a multiple
// of step, on the goroutine that opened or closed the socket (f reads
// Open; it must be quick). The server grows its soft memory limit with
// the sockets this way. Call it before the sockets are served.
func (s *Sockets) OnChange(step int, f func()) {
	if step > 0 {
		s.step, s.f = int64(step), f
	}
}

func (s *Sockets) changed(n int64) {
	if s.f != nil && n%s.step == 0 {
		s.f()
	}
}

// NewSockets bounds the open sockets to max (DefaultMaxSockets when max
// is 0 or less).
func NewSockets(max int) *Sockets {
	if max <= 0 {
		max = DefaultMaxSockets
	}
	return &Sockets{max: int64(max)}
}

// Open is the number of sockets open now.
func (s *Sockets) Open() int64 {
	if s == nil {
		return 0
	}
	return s.open.Load()
}

// acquire counts one more socket, or is false when the bound is reached.
func (s *Sockets) acquire() bool {
	if s == nil {
		return true
	}
	n := s.open.Add(1)
	if n > s.max {
		s.open.Add(-1)
		return false
	}
	s.changed(n)
	return true
}

func (s *Sockets) release() {
	if s != nil {
		s.changed(s.open.Add(-1))
	}
}

// refuseSocket answers an upgrade over the bound.
func refuseSocket(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(socketRetryAfter))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte("too many notification sockets are open; retry later\n"))
}
