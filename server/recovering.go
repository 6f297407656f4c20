package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// beforeStoreOpen, when set (tests only), runs just before the store is
// opened, while the listener already answers "recovering".
var beforeStoreOpen func()

// runServer listens, opens the data directory and serves until ctx is
// done. Opening the store can take a while (Badger replays its log after
// a crash; a migration writes a backup first): meanwhile the listener is
// already up and answers every request 503, /.naamio/ready and
// /.naamio/health with {"status":"recovering"} (issue 16 item 4), so a
// load balancer or an operator sees why the server does not serve yet
// rather than a refused connection. The same socket is then handed to the
// server, connections waiting in its backlog included. With TLS the early
// answer is not given (it would be plain HTTP on the TLS port): the port
// opens once the store is open.
func runServer(ctx context.Context, cfg Config, log *slog.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.tlsEnabled() {
		if beforeStoreOpen != nil {
			beforeStoreOpen()
		}
		s, err := New(cfg, log)
		if err != nil {
			return err
		}
		return s.Serve(ctx)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	h := newHandoff(ln)
	early := &http.Server{Handler: http.HandlerFunc(recovering), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	first := h.listener(false)
	go func() { _ = early.Serve(first) }()
	log.Info("naamio listening; opening the data directory", "listen", ln.Addr().String(), "data", cfg.DataDir)
	if beforeStoreOpen != nil {
		beforeStoreOpen()
	}
	s, err := New(cfg, log)
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = early.Shutdown(sctx) // closes first, not the socket
	cancel()
	if err != nil {
		_ = h.close()
		return err
	}
	return s.ServeListener(ctx, h.listener(true))
}

// recovering answers every request while the store opens.
func recovering(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Retry-After", "5")
	if r.URL.Path == "/.naamio/ready" || r.URL.Path == "/.naamio/health" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"recovering"}` + "\n"))
		return
	}
	http.Error(w, "Service Unavailable: the server is opening its data directory", http.StatusServiceUnavailable)
}

// handoff accepts on one socket and hands the connections to one
// listener after another: the early server's, then the server's.
type handoff struct {
	ln    net.Listener
	conns chan accepted
	quit  chan struct{}
	once  sync.Once
}

type accepted struct {
	c   net.Conn
	err error
}

func newHandoff(ln net.Listener) *handoff {
	h := &handoff{ln: ln, conns: make(chan accepted), quit: make(chan struct{})}
	go func() {
		for {
			c, err := ln.Accept()
			select {
			case h.conns <- accepted{c, err}:
			case <-h.quit:
				if c != nil {
					_ = c.Close()
				}
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
		}
	}()
	return h
}

// close closes the socket and ends the accepting.
func (h *handoff) close() error {
	var err error
	h.once.Do(func() {
		close(h.quit)
		err = h.ln.Close()
	})
	return err
}

// listener is a listener taking the handoff's connections until it is
// closed; closing the last one (owner) closes the socket too.
func (h *handoff) listener(owner bool) net.Listener {
	return &handoffListener{h: h, owner: owner, done: make(chan struct{})}
}

type handoffListener struct {
	h     *handoff
	owner bool
	done  chan struct{}
	once  sync.Once
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case <-l.done:
		return nil, net.ErrClosed
	default:
	}
	select {
	case a := <-l.h.conns:
		return a.c, a.err
	case <-l.done:
		return nil, net.ErrClosed
	case <-l.h.quit:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		if l.owner {
			err = l.h.close()
		}
	})
	return err
}

func (l *handoffListener) Addr() net.Addr { return l.h.ln.Addr() }
