package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/naamio/naamio/idp/account"
)

// The admin socket: the naamio subcommands reach a running server
// through a Unix socket in its data directory (issue 16, item 1), since
// Badger lets only one process open the store. Nothing of it is on the
// network: the socket file is the server user's alone (mode 0600), and
// on Linux a connection from another user (SO_PEERCRED) is closed
// unanswered, whatever the file's mode. The protocol is HTTP, versioned
// under /v1/ (POST /v1/run, below); the commands fall back to opening
// the store directly when no server answers.

// adminSocketName is the socket's file name in the data directory.
const adminSocketName = "admin.sock"

// adminSocketPath is the admin socket of the data directory dir.
func adminSocketPath(dir string) string { return filepath.Join(dir, adminSocketName) }

// adminHandler serves the admin API: POST /v1/run runs a command
// (admincmd.go) in the server.
func (s *Server) adminHandler(running *sync.WaitGroup) http.Handler {
	mux := http.NewServeMux()
	slots := make(chan struct{}, maxAdminCommands)
	accounts := sync.OnceValues(func() (*account.Service, error) {
		return openAccounts(context.Background(), s.store)
	})
	mux.HandleFunc("POST /v1/run", func(w http.ResponseWriter, r *http.Request) {
		running.Add(1)
		defer running.Done()
		s.adminRunCommand(w, r, slots, func(context.Context) (*account.Service, error) { return accounts() })
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		adminError(w, http.StatusNotFound, fmt.Errorf("no admin command %s %s", r.Method, r.URL.Path))
	})
	return mux
}

func adminError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// The protocol of POST /v1/run. The request body is one line of JSON
// (adminRequest, at most maxAdminRequest bytes), then the command's
// standard input, which the CLI sends only once the server asks for it
// (a stdin frame). The answer is 200 and a stream of frames: a kind byte,
// a 4-byte big-endian length, that many bytes. The last is an exit
// frame; a stream that ends without one means the command was cut off.
const (
	frameStdout = 'o' // bytes for the CLI's standard output
	frameStderr = 'e' // bytes for its standard error
	frameStdin  = 'i' // the command reads its standard input: send it
	frameExit   = 'x' // the end: JSON {"error": "..."}, "" for success

	maxAdminRequest = 64 << 10
	maxAdminFrame   = 1 << 20
	// maxAdminCommands run at a time; more wait for a slot.
	maxAdminCommands = 4
)

// adminRequest names the command, its arguments as the user typed them
// (after the command's name) and the values of the environment
// variables the command reads (command.env; a password among them: the
// request is never logged).
type adminRequest struct {
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	Env     map[string]string `json:"env,omitempty"`
	// TTY: the CLI's standard error is a terminal (progress reports).
	TTY bool `json:"tty,omitempty"`
	// InputSize is the size of the command's input when the CLI reads it
	// from a regular file (0: unknown), for the time left of its progress.
	InputSize int64 `json:"inputSize,omitempty"`
}

type adminExit struct {
	Error string `json:"error"`
}

// adminRunCommand runs one command for the CLI. The log names the
// command and its outcome, never its arguments, input or output.
func (s *Server) adminRunCommand(w http.ResponseWriter, r *http.Request, slots chan struct{}, accounts func(context.Context) (*account.Service, error)) {
	br := bufio.NewReaderSize(r.Body, maxAdminRequest)
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		adminError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("the request is over %d bytes", maxAdminRequest))
		return
	}
	var req adminRequest
	if err == nil {
		err = json.Unmarshal(line, &req)
	}
	if err != nil {
		adminError(w, http.StatusBadRequest, errors.New("the request is not one line of JSON"))
		return
	}
	c := lookupCommand(req.Command)
	if c == nil {
		adminError(w, http.StatusNotFound, fmt.Errorf("no admin command %q (is the server older than this naamio?)", req.Command))
		return
	}
	for name := range req.Env {
		if !slices.Contains(c.env, name) {
			adminError(w, http.StatusBadRequest, fmt.Errorf("%s does not read the environment variable %q", c.name, name))
			return
		}
	}
	select {
	case slots <- struct{}{}:
		defer func() { <-slots }()
	case <-r.Context().Done():
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	rc := http.NewResponseController(w)
	_ = rc.EnableFullDuplex() // stdin is read after the answer has begun
	w.Header().Set("Content-Type", "application/x-naamio-frames")
	w.WriteHeader(http.StatusOK)
	fw := &frameWriter{w: w, rc: rc, broken: cancel}
	stdout, stderr := fw.stream(frameStdout), fw.stream(frameStderr)
	run, _, _, err := parseCommand(c, cmdDefaults{baseURL: s.cfg.BaseURL, podLayout: s.cfg.PodLayout}, req.Args, stderr)
	if err == nil {
		env := s.liveEnv(func(name string) string { return req.Env[name] }, accounts)
		env.tty = req.TTY
		env.inputSize = max(req.InputSize, 0)
		err = run(ctx, env, &askedStdin{fw: fw, r: br}, stdout, stderr)
	}
	var exit adminExit
	if err != nil {
		exit.Error = err.Error()
	}
	b, _ := json.Marshal(exit)
	_ = fw.frame(frameExit, b)
	if fw.err != nil {
		// The CLI went away (killed, interrupted, its connection cut)
		// before the command finished: what it wrote is incomplete (a
		// backup's FILE.partial). The operator sees it among the warnings;
		// neither the arguments nor the command's error (it may quote
		// them) are logged.
		s.log.Warn("admin command aborted", "command", c.name, "ok", false,
			"err", "the naamio command went away before it finished: its output is incomplete")
		return
	}
	s.log.Info("admin command", "command", c.name, "ok", err == nil)
}

// frameWriter writes frames to the CLI, each flushed at once (progress
// lines arrive as they are written). After a failed write (the CLI has
// gone) every write fails and the command's context is cancelled.
type frameWriter struct {
	mu     sync.Mutex
	w      io.Writer
	rc     *http.ResponseController
	err    error
	broken func()
}

func (f *frameWriter) frame(kind byte, p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	var head [5]byte
	head[0] = kind
	binary.BigEndian.PutUint32(head[1:], uint32(len(p)))
	_, err := f.w.Write(head[:])
	if err == nil && len(p) > 0 {
		_, err = f.w.Write(p)
	}
	if err == nil {
		err = f.rc.Flush()
	}
	if err != nil {
		f.err = fmt.Errorf("the naamio command has gone: %w", err)
		f.broken()
	}
	return f.err
}

type frameStream struct {
	f    *frameWriter
	kind byte
}

func (f *frameWriter) stream(kind byte) io.Writer { return frameStream{f, kind} }

func (s frameStream) Write(p []byte) (int, error) {
	for n := 0; n < len(p); {
		chunk := p[n:min(len(p), n+maxAdminFrame)]
		if err := s.f.frame(s.kind, chunk); err != nil {
			return n, err
		}
		n += len(chunk)
	}
	return len(p), nil
}

// askedStdin is the CLI's standard input, asked for on the first read.
type askedStdin struct {
	fw    *frameWriter
	r     io.Reader
	asked bool
}

func (a *askedStdin) Read(p []byte) (int, error) {
	if !a.asked {
		a.asked = true
		if err := a.fw.frame(frameStdin, nil); err != nil {
			return 0, err
		}
	}
	return a.r.Read(p)
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
// read-only directory) runs without it, and says so. stop returns once
// no command runs any more: the store may be closed then. Commands still
// running after shutdownGrace are cancelled.
func (s *Server) serveAdmin(ctx context.Context) (stop func()) {
	ln, err := listenAdmin(s.cfg.DataDir)
	if err != nil {
		s.log.Warn("admin socket not available: naamio commands need the server stopped", "err", err)
		return func() {}
	}
	base, cancel := context.WithCancel(ctx)
	var running sync.WaitGroup
	srv := &http.Server{Handler: s.adminHandler(&running), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return base },
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	return func() {
		sctx, scancel := context.WithTimeout(ctx, shutdownGrace)
		defer scancel()
		if srv.Shutdown(sctx) != nil {
			cancel()
			_ = srv.Close()
		}
		cancel()
		<-done
		running.Wait()
	}
}

// adminRun runs c with args in the server running on the data
// directory dir, copying its output to stdout and stderr and sending
// stdin when the command reads it. running is false, with no error, when
// no server answers there (the command then opens the store itself).
func adminRun(ctx context.Context, dir string, c *command, args []string, stdin io.Reader, stdout, stderr io.Writer) (running bool, err error) {
	sock := adminSocketPath(dir)
	if fi, err := os.Lstat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 {
		return false, nil
	}
	env := map[string]string{}
	for _, name := range c.env {
		if v := os.Getenv(name); v != "" {
			env[name] = v
		}
	}
	head, err := json.Marshal(adminRequest{Command: c.name, Args: args, Env: env, TTY: isTerminal(stderr), InputSize: inputSize(stdin)})
	if err != nil {
		return false, err
	}
	if len(head) >= maxAdminRequest {
		return false, fmt.Errorf("%s: the arguments are over %d bytes", c.name, maxAdminRequest)
	}
	cl := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			d := net.Dialer{Timeout: 5 * time.Second}
			return d.DialContext(ctx, "unix", sock)
		}}}
	defer cl.CloseIdleConnections()
	pr, pw := io.Pipe()
	defer pw.Close()
	// stdinErr: reading stdin failed (a directory named as the input
	// file, an I/O error): the request's body ends with it, and the CLI
	// says so rather than blaming the server.
	var stdinErr error
	stdinDone := make(chan struct{})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://naamio-admin/v1/run",
		io.MultiReader(bytes.NewReader(append(head, '\n')), pr))
	if err != nil {
		return false, err
	}
	req.Close = true
	resp, err := cl.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
			return false, nil // a stale socket: no server
		}
		return true, fmt.Errorf("admin socket %s: %w", sock, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		_ = json.NewDecoder(io.LimitReader(resp.Body, maxAdminRequest)).Decode(&e)
		return true, fmt.Errorf("the running server answered %d: %s", resp.StatusCode, e.Error)
	}
	body := bufio.NewReader(resp.Body)
	sent := false
	cutOff := func(err error) error {
		if sent {
			select {
			case <-stdinDone:
				if stdinErr != nil {
					return stdinErr
				}
			default:
			}
		}
		return fmt.Errorf("the running server stopped answering before %s finished (it may or may not have taken effect): %w", c.name, err)
	}
	for {
		var head [5]byte
		if _, err := io.ReadFull(body, head[:]); err != nil {
			return true, cutOff(err)
		}
		n := binary.BigEndian.Uint32(head[1:])
		if n > maxAdminFrame {
			return true, fmt.Errorf("the running server sent a frame of %d bytes", n)
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(body, p); err != nil {
			return true, cutOff(err)
		}
		switch head[0] {
		case frameStdout:
			if _, err := stdout.Write(p); err != nil {
				return true, err
			}
		case frameStderr:
			_, _ = stderr.Write(p)
		case frameStdin:
			if !sent {
				sent = true
				go func() {
					_, err := io.Copy(pw, stdin)
					if err != nil && !errors.Is(err, io.ErrClosedPipe) {
						stdinErr = fmt.Errorf("%s: reading its input: %w", c.name, err)
					}
					close(stdinDone) // before the request fails with it
					pw.CloseWithError(err)
				}()
			}
		case frameExit:
			var exit adminExit
			if err := json.Unmarshal(p, &exit); err != nil {
				return true, fmt.Errorf("the running server's answer: %w", err)
			}
			if exit.Error != "" {
				return true, errors.New(exit.Error)
			}
			return true, nil
		default:
			return true, fmt.Errorf("the running server sent a frame of unknown kind %q", head[0])
		}
	}
}
