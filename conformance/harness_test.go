package conformance

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
)

// Bounds of the harness itself. Every wait below is bounded by one of these.
const (
	buildTimeout  = 5 * time.Minute
	healthTimeout = 30 * time.Second
	stopTimeout   = 20 * time.Second
)

var (
	// naamioBin is the server binary built once by TestMain.
	naamioBin string
	// srv is the shared server most tests talk to.
	srv *server
	// tally counts the requirement subtests.
	tally = &counter{}
	// issuer is the Solid-OIDC issuer every server trusts (through
	// --allow-fetch-addr); it serves the WebID profiles of the test agents.
	issuer *testissuer.Issuer
	// owner is the agent named by --owner-webid: srv.do and friends sign as
	// the owner, so tests that are not about access control keep their
	// meaning under the owner-only root ACL.
	owner *testissuer.Agent
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "naamio-conformance-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	issuer, err = testissuer.Start(testissuer.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance: starting the test issuer:", err)
		fmt.Println("conformance: 0 passed, 0 failed")
		return 1
	}
	defer issuer.Close()
	if owner, err = issuer.NewAgent("owner"); err != nil {
		fmt.Fprintln(os.Stderr, "conformance: owner agent:", err)
		fmt.Println("conformance: 0 passed, 0 failed")
		return 1
	}

	naamioBin = filepath.Join(tmp, "naamio")
	if err := buildServer(naamioBin); err != nil {
		fmt.Fprintln(os.Stderr, "conformance: building the server failed:", err)
		fmt.Println("conformance: 0 passed, 0 failed")
		return 1
	}
	data := filepath.Join(tmp, "data")
	// Every account the suite and its browser journeys sign up comes from
	// 127.0.0.1: the shared server allows more than the default 10 an hour
	// (row 35's own tests run on servers of their own).
	srv, err = startServer(naamioBin, data, "--signups-per-hour", "1000")
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance: starting the server failed:", err)
		fmt.Println("conformance: 0 passed, 0 failed")
		return 1
	}
	code := m.Run()
	if err := srv.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "conformance: stopping the shared server:", err)
		fmt.Fprintln(os.Stderr, srv.logTail())
		if code == 0 {
			code = 1
		}
	}
	tally.report(os.Stdout)
	// go test shows a passing package's output only with -v; CI asks for
	// the summary in a file instead of running the suite a second time.
	if name := os.Getenv("NAAMIO_CONFORMANCE_SUMMARY"); name != "" {
		if f, err := os.Create(name); err == nil {
			tally.report(f)
			_ = f.Close()
		}
	}
	return code
}

// repoRoot is the module root: the parent of this package's directory.
func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if ok {
		root := filepath.Dir(filepath.Dir(file))
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			return root, nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root := filepath.Dir(wd)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("no go.mod above %s", wd)
	}
	return root, nil
}

func buildServer(out string) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, ".")
	cmd.Dir = root
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w\n%s", err, buf.String())
	}
	return nil
}

// counter records the outcome of every requirement subtest.
type counter struct {
	mu     sync.Mutex
	passed int
	failed []string
}

func (c *counter) record(name string, failed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if failed {
		c.failed = append(c.failed, name)
		return
	}
	c.passed++
}

func (c *counter) report(w *os.File) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sort.Strings(c.failed)
	for _, name := range c.failed {
		fmt.Fprintln(w, "conformance: FAIL", name)
	}
	fmt.Fprintf(w, "conformance: %d passed, %d failed\n", c.passed, len(c.failed))
}

// requirement runs one requirement subtest named after its spec ID (or
// SECURITY row) and counts its outcome once it and its own subtests finish.
func requirement(t *testing.T, id string, f func(t *testing.T)) {
	t.Helper()
	t.Run(id, func(t *testing.T) {
		t.Cleanup(func() { tally.record(t.Name(), t.Failed()) })
		f(t)
	})
}

// server is one running naamio process.
type server struct {
	cmd  *exec.Cmd
	base string // "http://127.0.0.1:PORT/"
	addr string // "127.0.0.1:PORT"
	data string
	logs *tailBuffer
	done chan struct{} // closed when the process has exited
	err  error         // exit status, valid after done
}

// freeAddr finds a loopback port nobody listens on right now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// launch starts the binary with "serve" on a free port without waiting.
func launch(bin, data string, extra ...string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	return launchAt(bin, data, addr, extra...)
}

// authFlags are given to every server the harness launches: the owner's
// WebID (written into the root ACL on first start) and the issuer's address
// as the one local destination the server may fetch profiles, discovery
// documents, JWKS and group documents from.
func authFlags() []string {
	return []string{"--owner-webid", owner.WebID, "--allow-fetch-addr", issuer.AddrPort()}
}

// launchAt starts the binary with "serve" on addr without waiting, with
// authFlags before extra (a later flag wins). A restart on the same data
// uses the same address, so the base URL (and with it every stored absolute
// IRI) stays the same.
func launchAt(bin, data, addr string, extra ...string) (*server, error) {
	return launchBare(bin, data, addr, append(authFlags(), extra...)...)
}

// launchBare is launchAt without authFlags.
func launchBare(bin, data, addr string, extra ...string) (*server, error) {
	s := &server{
		addr: addr,
		base: "http://" + addr + "/",
		data: data,
		logs: &tailBuffer{max: 64 << 10},
		done: make(chan struct{}),
	}
	args := append([]string{"serve", "--listen", addr, "--base-url", s.base,
		"--data", data, "--log-format", "text"}, extra...)
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	s.cmd.Env = cleanEnv()
	// If the test binary dies (panic, timeout), the server dies with it.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	return s, nil
}

// cleanEnv is the environment without NAAMIO_* variables, so only the
// flags given here configure the server.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NAAMIO_") {
			env = append(env, kv)
		}
	}
	return env
}

// restartServer starts a new process on the address and data of an old one.
func restartServer(old *server, extra ...string) (*server, error) {
	s, err := launchAt(naamioBin, old.data, old.addr, extra...)
	if err != nil {
		return nil, err
	}
	if err := s.waitHealthy(healthTimeout); err != nil {
		_ = s.kill()
		return nil, fmt.Errorf("%w\nserver output:\n%s", err, s.logTail())
	}
	return s, nil
}

// startServer launches the binary and waits until /.naamio/health is 200.
func startServer(bin, data string, extra ...string) (*server, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // the free port can be taken in between
		s, err := launch(bin, data, extra...)
		if err != nil {
			return nil, err
		}
		if err := s.waitHealthy(healthTimeout); err != nil {
			lastErr = err
			_ = s.kill()
			if strings.Contains(s.logTail(), "address already in use") {
				continue
			}
			return nil, fmt.Errorf("%w\nserver output:\n%s", err, s.logTail())
		}
		return s, nil
	}
	return nil, lastErr
}

func (s *server) waitHealthy(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	defer c.CloseIdleConnections()
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("server exited before it was healthy: %v", s.err)
		default:
		}
		resp, err := c.Get(s.base + ".naamio/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("server not healthy within %v", limit)
}

// exited reports whether the process has ended.
func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits for a clean exit (status 0).
func (s *server) stop() error {
	if s.exited() {
		return fmt.Errorf("server had already exited: %v", s.err)
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-s.done:
		if s.err != nil {
			return fmt.Errorf("exit after SIGTERM: %v", s.err)
		}
		return nil
	case <-time.After(stopTimeout):
		_ = s.kill()
		return fmt.Errorf("no exit within %v of SIGTERM; killed", stopTimeout)
	}
}

// kill sends SIGKILL and waits for the process to be reaped.
func (s *server) kill() error {
	if s.exited() {
		return nil
	}
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-s.done:
		return nil
	case <-time.After(stopTimeout):
		return fmt.Errorf("process %d did not die after SIGKILL", s.cmd.Process.Pid)
	}
}

func (s *server) logTail() string { return s.logs.String() }

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// runLog runs `naamio log` on a data dir whose server is stopped.
func runLog(bin, data string, args ...string) ([]byte, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"log", "--data", data}, args...)...)
	cmd.Env = cleanEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.Bytes(), errb.Bytes(), err
}
