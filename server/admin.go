package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// The admin socket: the naamio subcommands reach a running server
// through a Unix socket in its data directory (issue 16, item 1), since
// Badger lets only one process open the store. Nothing of it is on the
// network: the socket file is the server user's alone (mode 0600), and
// on Linux a connection from another user (SO_PEERCRED) is closed
// unanswered, whatever the file's mode. The protocol is JSON over HTTP,
// versioned under /v1/; the commands fall back to opening the store
// directly when no server answers.

// adminSocketName is the socket's file name in the data directory.
const adminSocketName = "admin.sock"

// adminSocketPath is the admin socket of the data directory dir.
func adminSocketPath(dir string) string { return filepath.Join(dir, adminSocketName) }

// adminHandler serves the admin API.
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/modules", func(w http.ResponseWriter, r *http.Request) {
		all, err := s.mods.Installed(r.Context())
		if err != nil {
			adminError(w, http.StatusInternalServerError, err)
			return
		}
		adminJSON(w, all)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		adminError(w, http.StatusNotFound, fmt.Errorf("no admin command %s %s", r.Method, r.URL.Path))
	})
	return mux
}

func adminJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func adminError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// listenAdmin opens the admin socket of dir, replacing a stale socket
// file that a crashed server left (the store's lock means no other
// server uses dir).
func listenAdmin(dir string) (net.Listener, error) {
	path := adminSocketPath(dir)
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s is not a socket: move it away", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: another server answers there", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	// Owner-only. Until the chmod the mode is what the umask left (not
	// the process-wide umask changed here: other goroutines create files
	// meanwhile); connections from other users are refused by the peer
	// check either way, and the data directory itself is the server's.
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	return sameUserOnly{ln.(*net.UnixListener)}, nil
}

// serveAdmin serves the admin API on dir's socket until ctx ends. A
// server whose socket cannot be opened (a path too long for a socket, a
// read-only directory) runs without it, and says so.
func (s *Server) serveAdmin(ctx context.Context) (stop func()) {
	ln, err := listenAdmin(s.cfg.DataDir)
	if err != nil {
		s.log.Warn("admin socket not available: naamio commands need the server stopped", "err", err)
		return func() {}
	}
	srv := &http.Server{Handler: s.adminHandler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	return func() {
		sctx, cancel := context.WithTimeout(ctx, shutdownGrace)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-done
	}
}

// adminGet asks the server running on the data directory dir for path
// and decodes its JSON answer into out. running is false, with no error,
// when no server answers there (the command then opens the store).
func adminGet(dir, path string, out any) (running bool, err error) {
	sock := adminSocketPath(dir)
	if fi, err := os.Lstat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 {
		return false, nil
	}
	c := &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}}}
	defer c.CloseIdleConnections()
	resp, err := c.Get("http://naamio-admin" + path)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
			return false, nil // a stale socket: no server
		}
		return true, fmt.Errorf("admin socket %s: %w", sock, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return true, fmt.Errorf("the running server answered %d: %s", resp.StatusCode, e.Error)
	}
	return true, json.NewDecoder(resp.Body).Decode(out)
}
