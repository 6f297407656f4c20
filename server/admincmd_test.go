package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/naamio/naamio/idp/op"
)

// cmdStep is one naamio invocation of a script run against a running
// server and against a stopped one.
type cmdStep struct {
	args  []string // after naamio; --data DIR is added after the command's words
	stdin string
	words int // how many of args name the command (1 for log, else 2)
}

type cmdResult struct {
	code           int
	stdout, stderr string
}

// randomBits are what differs between two runs of the same script on two
// data directories: signing key ids, reset tokens, times.
var randomBits = regexp.MustCompile(`[A-Za-z0-9_%-]{20,}|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)

func runStep(dir string, s cmdStep) cmdResult {
	full := append(append(append([]string{}, s.args[:s.words]...), "--data", dir), s.args[s.words:]...)
	var out, errOut bytes.Buffer
	code := mainWith(full, strings.NewReader(s.stdin), &out, &errOut)
	return cmdResult{code, out.String(), errOut.String()}
}

func (r cmdResult) normal() cmdResult {
	return cmdResult{r.code, randomBits.ReplaceAllString(r.stdout, "X"), randomBits.ReplaceAllString(r.stderr, "X")}
}

const adminTestPassword = "correct horse battery staple 16"

// Issue 16 item 1: every subcommand that reads or changes state works
// against a running server (through the admin socket: the store is
// locked by the server) with the same output and exit code as offline.
// The same script runs on two data directories, one with its server
// running, one stopped; every step's exit code, standard output and
// standard error agree (random key ids, tokens and times aside). The
// running server sees each change at once (its pod registry, signing
// keys and ACL cache are the ones changed), and its log holds neither the
// password nor the reset link.
func TestAdminCommandsRunningAndOffline(t *testing.T) {
	cfg := loopbackConfig(t)
	var logs syncBuffer
	stop := runServe(t, cfg, &logs)
	offline := cfg
	offline.DataDir = t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	offline.Listen = ln.Addr().String()
	ln.Close()
	runServe(t, offline, io.Discard)() // its first start makes the same initial state, then it stops
	// The offline CLI's default base URL; the running server uses its own.
	t.Setenv("NAAMIO_BASE_URL", cfg.BaseURL)
	t.Setenv("NAAMIO_PASSWORD", "")

	get := func(path string) int {
		t.Helper()
		resp, err := http.Get(cfg.BaseURL + strings.TrimPrefix(path, "/"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ownerOnly := `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <https://owner.example/profile/card#me> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
`
	type check func(t *testing.T, r cmdResult)
	steps := []struct {
		cmdStep
		live check // what the running server shows right after the step
	}{
		{cmdStep{args: []string{"keys", "list"}, words: 2}, nil},
		{cmdStep{args: []string{"account", "create", "--email", "a@example.org", "--pod", "alice"}, stdin: adminTestPassword + "\n", words: 2},
			func(t *testing.T, r cmdResult) {
				if code := get("/alice/profile/card"); code != 200 {
					t.Errorf("the running server does not serve the new pod's profile: %d", code)
				}
			}},
		{cmdStep{args: []string{"account", "create", "--email", "a@example.org", "--pod", "alice2"}, stdin: adminTestPassword + "\n", words: 2}, nil},
		{cmdStep{args: []string{"account", "create", "--email", "b@example.org"}, words: 2}, nil},
		{cmdStep{args: []string{"account", "reset-link", "--email", "a@example.org"}, words: 2}, nil},
		{cmdStep{args: []string{"account", "reset-link", "--email", "nobody@example.org"}, words: 2}, nil},
		{cmdStep{args: []string{"account", "frob"}, words: 2}, nil},
		{cmdStep{args: []string{"account", "reset-link", "--base-url", "ftp://x/", "--email", "a@example.org"}, words: 2}, nil},
		{cmdStep{args: []string{"account", "create", "--base-url", "/relative/", "--email", "c@example.org", "--pod", "carol"}, words: 2}, nil},
		{cmdStep{args: []string{"acl", "show", "/alice/"}, words: 2}, nil},
		{cmdStep{args: []string{"acl", "set", "/notes/"}, stdin: ownerOnly, words: 2},
			func(t *testing.T, r cmdResult) {
				// The root ACL lets everyone read; the new ACL does not,
				// and the running server's ACL cache knows it at once.
				if code := get("/notes/"); code != 401 {
					t.Errorf("anonymous GET /notes/ after acl set on the running server: %d, want 401", code)
				}
			}},
		{cmdStep{args: []string{"acl", "show", "/notes/x"}, words: 2}, nil},
		{cmdStep{args: []string{"acl", "set", "/notes/"}, stdin: "<a> <b> .\n<#x> a <http://www.w3.org/ns/auth/acl#Authorization> ; <http://www.w3.org/ns/auth/acl#mode> <urn:nonsense> .", words: 2}, nil},
		{cmdStep{args: []string{"acl", "set", "/notes/"}, stdin: "this is not turtle", words: 2}, nil},
		{cmdStep{args: []string{"acl", "show", "/notes/.acl"}, words: 2}, nil},
		{cmdStep{args: []string{"acl", "show"}, words: 2}, nil},
		{cmdStep{args: []string{"pod", "lock", "alice"}, words: 2}, nil},
		{cmdStep{args: []string{"pod", "unlock", "alice"}, words: 2}, nil},
		{cmdStep{args: []string{"pod", "lock", "nobody"}, words: 2}, nil},
		{cmdStep{args: []string{"pod", "release", "alice"}, words: 2}, nil},
		{cmdStep{args: []string{"pod", "release", "nobody"}, words: 2}, nil},
		{cmdStep{args: []string{"keys", "rotate"}, words: 2},
			func(t *testing.T, r cmdResult) {
				// The running provider publishes the new active key.
				active := strings.TrimPrefix(strings.SplitN(r.stdout, "\n", 2)[0], "active\t")
				resp, err := http.Get(cfg.BaseURL + strings.TrimPrefix(op.PathJWKS, "/"))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if active == "" || !strings.Contains(string(b), active) {
					t.Errorf("the running server's JWKS lacks the new key %q: %s", active, b)
				}
			}},
		{cmdStep{args: []string{"keys", "list"}, words: 2}, nil},
		{cmdStep{args: []string{"keys", "list", "extra"}, words: 2}, nil},
		{cmdStep{args: []string{"module", "list"}, words: 2}, nil},
		{cmdStep{args: []string{"module", "status", "/alice/settings/modules/none.json"}, words: 2}, nil},
		{cmdStep{args: []string{"module", "logs", "/alice/settings/modules/none.json"}, words: 2}, nil},
		{cmdStep{args: []string{"log", "--limit", "2"}, words: 1}, nil},
		{cmdStep{args: []string{"log", "extra"}, words: 1}, nil},
	}
	var running []cmdResult
	for _, s := range steps {
		r := runStep(cfg.DataDir, s.cmdStep)
		running = append(running, r)
		if s.live != nil {
			s.live(t, r)
		}
	}
	if !strings.Contains(logs.String(), `"msg":"admin command","command":"account create"`) {
		t.Errorf("the server's log does not name the admin commands it ran: %s", logs.String())
	}
	resetLink := running[4].stdout
	if !strings.Contains(resetLink, "/.idp/reset?token=") {
		t.Fatalf("reset-link on the running server: %+v", running[4])
	}
	token := resetLink[strings.Index(resetLink, "token=")+len("token="):]
	token = strings.TrimSpace(token)
	for _, secret := range []string{adminTestPassword, token} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the server's log holds a secret (%.8s...)", secret)
		}
	}
	// -o FILE: the CLI writes the output to the file (not the server:
	// its working directory and permissions are not the user's), through
	// FILE.partial, renamed when the command has succeeded.
	outDir := t.TempDir()
	whole := runStep(cfg.DataDir, cmdStep{args: []string{"log"}, words: 1})
	toFile := runStep(cfg.DataDir, cmdStep{args: []string{"log", "-o", filepath.Join(outDir, "log.jsonl")}, words: 1})
	if b, err := os.ReadFile(filepath.Join(outDir, "log.jsonl")); err != nil || toFile.code != 0 || toFile.stdout != "" || string(b) != whole.stdout || whole.stdout == "" {
		t.Errorf("log -o FILE on the running server: %+v, file %q %v, want %q", toFile, b, err, whole.stdout)
	}
	if _, err := os.Stat(filepath.Join(outDir, "log.jsonl.partial")); !os.IsNotExist(err) {
		t.Errorf("log.jsonl.partial left after success: %v", err)
	}
	failed := runStep(filepath.Join(outDir, "no-such-dir"), cmdStep{args: []string{"log", "-o", filepath.Join(outDir, "failed.jsonl")}, words: 1})
	if _, err := os.Stat(filepath.Join(outDir, "failed.jsonl.partial")); failed.code != 1 || err != nil || !strings.Contains(failed.stderr, "failed.jsonl.partial is incomplete") {
		t.Errorf("a failed log -o FILE: %+v, partial file: %v", failed, err)
	}
	if _, err := os.Stat(filepath.Join(outDir, "failed.jsonl")); !os.IsNotExist(err) {
		t.Errorf("a failed command's output file exists: %v", err)
	}

	// naamio health --data asks the running server through its socket.
	if r := runStep(cfg.DataDir, cmdStep{args: []string{"health"}, words: 1}); r.code != 0 {
		t.Errorf("health --data on the running server: %+v", r)
	}
	stop()
	for _, dir := range []string{cfg.DataDir, offline.DataDir} {
		if r := runStep(dir, cmdStep{args: []string{"health"}, words: 1}); r.code != 1 || !strings.Contains(r.stderr, "no server answers") {
			t.Errorf("health --data with the server stopped: %+v", r)
		}
	}
	for i, s := range steps {
		r := runStep(offline.DataDir, s.cmdStep)
		got, want := running[i].normal(), r.normal()
		if got != want {
			t.Errorf("naamio %s: running and stopped differ:\nrunning: %+v\nstopped: %+v", strings.Join(s.args, " "), running[i], r)
		}
		if i == 1 && (r.code != 0 || !strings.Contains(r.stdout, "/alice/profile/card#me")) {
			t.Errorf("account create: %+v", r)
		}
	}
	// Every exit code the script expects, so that "the same" is not
	// "both failed".
	var codes []int
	for _, r := range running {
		codes = append(codes, r.code)
	}
	want := []int{0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1}
	if fmt.Sprint(codes) != fmt.Sprint(want) {
		t.Errorf("exit codes %v, want %v", codes, want)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// adminConn opens a raw connection to the admin socket of dir and sends
// POST /v1/run with body (chunked, so it may go on).
func adminConn(t *testing.T, dir string) net.Conn {
	t.Helper()
	c, err := net.Dial("unix", adminSocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func adminPost(t *testing.T, dir string, body io.Reader) (int, string) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", adminSocketPath(dir))
	}}}
	defer c.CloseIdleConnections()
	resp, err := c.Post("http://naamio-admin/v1/run", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Bad input to the admin socket (issue 16 item 1): an unknown command, a
// request that is not JSON or too large, an environment variable the
// command does not read, a client that goes away while its command waits
// for standard input (the command is abandoned: nothing is written, and
// its slot is free again), and commands run concurrently.
func TestAdminCommandBadInput(t *testing.T) {
	cfg := loopbackConfig(t)
	var logs syncBuffer
	runServe(t, cfg, &logs)
	dir := cfg.DataDir
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"unknown command", `{"command":"rm -rf","args":[]}` + "\n", 404, `no admin command \"rm -rf\"`},
		{"offline-only words", `{"command":"serve","args":[]}` + "\n", 404, "no admin command"},
		{"not JSON", "hello\n", 400, "not one line of JSON"},
		{"no newline", `{"command":"log"}`, 400, "not one line of JSON"},
		{"oversized", `{"command":"log","args":["` + strings.Repeat("a", maxAdminRequest) + `"]}` + "\n", 413, "over 65536 bytes"},
		{"undeclared env", `{"command":"log","args":[],"env":{"NAAMIO_PASSWORD":"x"}}` + "\n", 400, "does not read the environment variable"},
		{"bad args", `{"command":"keys list","args":["--frob"]}` + "\n", 200, "flag provided but not defined"},
	} {
		status, body := adminPost(t, dir, strings.NewReader(tc.body))
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %q, want %d with %q", tc.name, status, body, tc.status, tc.want)
		}
	}

	// A client that sends acl set, is asked for stdin, and goes away: the
	// command is abandoned. More abandoned commands than there are slots:
	// each one's slot is freed.
	for i := range maxAdminCommands + 2 {
		c := adminConn(t, dir)
		head := `{"command":"acl set","args":["/gone/"]}` + "\n"
		fmt.Fprintf(c, "POST /v1/run HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", len(head), head)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		var frame [5]byte
		if _, err := io.ReadFull(resp.Body, frame[:]); err != nil || frame[0] != frameStdin {
			t.Fatalf("client %d: first frame %q %v, want a stdin frame", i, frame, err)
		}
		fmt.Fprintf(c, "5\r\n<#a> \r\n") // part of the ACL, then gone
		c.Close()
	}
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- mainWith([]string{"keys", "list", "--data", dir}, nil, &out, &errOut) }()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("keys list after abandoned commands: %d %s %s", code, out.String(), errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a command after abandoned ones never ran: their slots were not freed")
	}
	if resp, err := http.Get(cfg.BaseURL + "gone/"); err != nil || resp.StatusCode != 404 {
		t.Errorf("GET /gone/ after abandoned acl sets: %v %v", resp.StatusCode, err)
	}
	// The server's log says the client went away.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), `"command":"acl set","ok":false`) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), `"command":"acl set","ok":false`) {
		t.Errorf("the log does not show the abandoned acl set")
	}

	// A client that goes away while its command writes (acl show of an
	// ACL larger than the socket's buffers): the server notices at the
	// next write and ends the command.
	var big strings.Builder
	big.WriteString("@prefix acl: <http://www.w3.org/ns/auth/acl#> .\n")
	for i := range 5000 {
		fmt.Fprintf(&big, "<#a%d> a acl:Authorization ; acl:agent <https://people.example/u%d/profile/card#me> ; acl:accessTo <./> ; acl:mode acl:Read .\n", i, i)
	}
	if code := mainWith([]string{"acl", "set", "--data", dir, "/big/"}, strings.NewReader(big.String()), io.Discard, &errOut); code != 0 {
		t.Fatalf("acl set of a large ACL: %s", errOut.String())
	}
	{
		c := adminConn(t, dir)
		head := `{"command":"acl show","args":["/big/"]}` + "\n"
		fmt.Fprintf(c, "POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(head), head)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		var frame [5]byte
		if _, err := io.ReadFull(resp.Body, frame[:]); err != nil || frame[0] != frameStdout {
			t.Fatalf("first frame %q %v", frame, err)
		}
		c.Close()
	}
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), `"level":"WARN","msg":"admin command aborted","command":"acl show","ok":false`) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), `"level":"WARN","msg":"admin command aborted","command":"acl show","ok":false`) {
		t.Errorf("the log does not show the acl show whose client went away")
	}

	// Concurrent commands: 8 accounts created and 4 keys rotated at once,
	// more than the slots; all succeed, and nothing is lost.
	var wg sync.WaitGroup
	errs := make(chan string, 12)
	for i := range 8 {
		wg.Go(func() {
			var out, errOut bytes.Buffer
			args := []string{"account", "create", "--data", dir, "--email", fmt.Sprintf("u%d@example.org", i), "--pod", fmt.Sprintf("u%d", i)}
			if code := mainWith(args, strings.NewReader(adminTestPassword+"\n"), &out, &errOut); code != 0 {
				errs <- fmt.Sprintf("account create u%d: %d %s", i, code, errOut.String())
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			var out, errOut bytes.Buffer
			if code := mainWith([]string{"keys", "rotate", "--data", dir}, nil, &out, &errOut); code != 0 {
				errs <- fmt.Sprintf("keys rotate: %d %s", code, errOut.String())
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	for i := range 8 {
		if resp, err := http.Get(fmt.Sprintf("%su%d/profile/card", cfg.BaseURL, i)); err != nil || resp.StatusCode != 200 {
			t.Errorf("pod u%d after concurrent creation: %v", i, err)
		}
	}
	out.Reset()
	if code := mainWith([]string{"keys", "list", "--data", dir}, nil, &out, &errOut); code != 0 || strings.Count(out.String(), "\n") != 1+5 {
		t.Errorf("keys list after 4 concurrent rotations: %d\n%s", code, out.String())
	}
}

// The frames a command's output travels in: a large output is split, and
// the CLI puts it back together byte for byte.
func TestAdminFrames(t *testing.T) {
	var buf bytes.Buffer
	fw := &frameWriter{w: &buf, rc: http.NewResponseController(httpFlushRecorder{&buf}), broken: func() {}}
	big := bytes.Repeat([]byte("0123456789"), maxAdminFrame/5)
	if n, err := fw.stream(frameStdout).Write(big); err != nil || n != len(big) {
		t.Fatal(n, err)
	}
	var got []byte
	frames := 0
	for buf.Len() > 0 {
		var head [5]byte
		io.ReadFull(&buf, head[:])
		n := binary.BigEndian.Uint32(head[1:])
		if head[0] != frameStdout || n > maxAdminFrame {
			t.Fatalf("frame %q of %d bytes", head[0], n)
		}
		p := make([]byte, n)
		io.ReadFull(&buf, p)
		got = append(got, p...)
		frames++
	}
	if !bytes.Equal(got, big) || frames != 2 {
		t.Errorf("%d frames, equal %v", frames, bytes.Equal(got, big))
	}
}

type httpFlushRecorder struct{ *bytes.Buffer }

func (httpFlushRecorder) Header() http.Header { return http.Header{} }
func (httpFlushRecorder) WriteHeader(int)     {}
func (httpFlushRecorder) Flush()              {}

// naamio version prints the module version, the commit and the Go
// version (issue 16 item 5); under go test and go run the toolchain
// records no commit, and it says so.
func TestVersionCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"version", "--data", "/nonexistent"}, &out, &errOut); code != 0 {
		t.Fatalf("naamio version: %d %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "naamio ") || !strings.HasPrefix(lines[1], "commit ") || !strings.HasPrefix(lines[2], "go1.") {
		t.Errorf("naamio version printed %q", out.String())
	}
	info := &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Path: "github.com/naamio/naamio", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-12-07T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := versionText(info, "go1.0"), "naamio v1.2.3\ncommit 0123abcd+modified (2026-12-07T10:00:00Z)\ngo1.99.1\n"; got != want {
		t.Errorf("versionText = %q, want %q", got, want)
	}
	if got, want := versionText(nil, "go1.5"), "naamio unknown\ncommit unknown\ngo1.5\n"; got != want {
		t.Errorf("versionText(nil) = %q, want %q", got, want)
	}
	buildCommit = "feedc0de" // -ldflags -X, for builds the toolchain records no commit for
	defer func() { buildCommit = "" }()
	if got, want := versionText(&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "go1.5"), "naamio (devel)\ncommit feedc0de\ngo1.5\n"; got != want {
		t.Errorf("versionText with buildCommit = %q, want %q", got, want)
	}
	if got := versionText(info, "go1.0"); !strings.Contains(got, "commit 0123abcd+modified") {
		t.Errorf("the toolchain's commit does not win over buildCommit: %q", got)
	}
	if code := Main([]string{"version", "extra"}, &out, &errOut); code != 1 {
		t.Errorf("naamio version extra: exit %d", code)
	}
}

// Progress reports of long commands: one rewritten line on a terminal,
// plain lines at longer intervals otherwise, with bytes, resources,
// rate and time left.
func TestAdminProgress(t *testing.T) {
	clock := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	for _, tc := range []struct {
		tty  bool
		want string
	}{
		{true, "\r2.0 MB, 20 resources, 1.0 MB/s, 8s left\x1b[K\r4.0 MB, 40 resources, 1.0 MB/s, 6s left\x1b[K\r10.0 MB, 100 resources, 1.0 MB/s, done in 10s\x1b[K\n"},
		{false, "10.0 MB, 100 resources, 1.0 MB/s, done in 10s\n"},
	} {
		clock = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		var buf bytes.Buffer
		p := (&cmdEnv{tty: tc.tty, now: now}).progress(&buf, 10e6, "resources")
		p.Update(0, 0) // not yet a second
		clock = clock.Add(2 * time.Second)
		p.Update(2e6, 20)
		clock = clock.Add(2 * time.Second)
		p.Update(4e6, 40)
		clock = clock.Add(6 * time.Second)
		p.Done(10e6, 100)
		if buf.String() != tc.want {
			t.Errorf("tty %v: %q, want %q", tc.tty, buf.String(), tc.want)
		}
	}
	clock = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	p := (&cmdEnv{now: now}).progress(&buf, 0, "keys")
	clock = clock.Add(11 * time.Second)
	p.Update(1500, 3)
	if want := "1.5 kB, 3 keys, 136 B/s\n"; buf.String() != want {
		t.Errorf("plain, total unknown: %q, want %q", buf.String(), want)
	}
}

// Another user's connection to the admin socket is closed unanswered
// (SO_PEERCRED), even when the socket file and its directories let that
// user reach it: a process of user nobody connects and sends a command;
// the same script run by the server's user gets an answer. Needs root
// (to run a process as nobody) and /usr/bin/python3 as that process.
func TestAdminSocketRefusesOtherUsers(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a process as another user")
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("needs /usr/bin/python3")
	}
	cfg := loopbackConfig(t)
	runServe(t, cfg, io.Discard)
	sock := adminSocketPath(cfg.DataDir)
	// Open the way for the other user: only the peer check remains.
	for _, p := range []string{filepath.Dir(cfg.DataDir), cfg.DataDir} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	const script = `import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
body = b'{"command":"keys list","args":[]}\n'
s.settimeout(10)
try:
    s.sendall(b"POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    print(repr(s.recv(12)))
except (ConnectionResetError, BrokenPipeError):
    print("closed")
`
	run := func(uid uint32) string {
		cmd := exec.Command("/usr/bin/python3", "-c", script, sock)
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("as uid %d: %v %s", uid, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := run(65534); got != "b''" && got != "closed" {
		t.Errorf("user nobody got an answer from the admin socket: %s", got)
	}
	if got := run(0); got != `b'HTTP/1.1 200'` {
		t.Errorf("the server's own user: %s", got)
	}
}

// The input files of the admin commands (command.in: backup --since
// PREVIOUS, a flag; import POD FILE.tar, a positional argument) are opened
// by the CLI, running or offline alike: a missing file or a directory is
// refused with its name before anything runs, "-" is standard input; and
// the server, sent a file name directly, never opens it: it asks the CLI
// for standard input instead (issue 16 item 1).
func TestAdminCommandInputFiles(t *testing.T) {
	cfg := loopbackConfig(t)
	dir := cfg.DataDir
	tmp := t.TempDir()
	missing := filepath.Join(tmp, "missing")
	full := filepath.Join(tmp, "full")
	var out, errOut bytes.Buffer
	if code := mainWith([]string{"backup", "--data", dir, "-o", full}, nil, &out, &errOut); code != 0 {
		t.Fatalf("backup: %s", errOut.String())
	}
	check := func(mode string) {
		t.Helper()
		for _, tc := range []struct {
			args  []string
			stdin string
			want  string
		}{
			{[]string{"backup", "--data", dir, "-o", filepath.Join(tmp, "x"), "--since", missing}, "", "no such file"},
			{[]string{"backup", "--data", dir, "-o", filepath.Join(tmp, "x"), "--since", tmp}, "", "is a directory"},
			{[]string{"backup", "--data", dir, "-o", filepath.Join(tmp, "x"), "--since", "-"}, "", "truncated"},
			{[]string{"import", "--data", dir, "alice", missing}, "", "no such file"},
			{[]string{"import", "--data", dir, "alice", tmp}, "", "is a directory"},
			{[]string{"import", "--data", dir, "alice", "-"}, "<script>not a tar</script>", "import"},
			{[]string{"import", "--data", dir, "alice", full}, "", "import"}, // a backup is no tar
		} {
			var out, errOut bytes.Buffer
			code := mainWith(tc.args, strings.NewReader(tc.stdin), &out, &errOut)
			if code == 0 || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("%s: %q: %d %q, want an error with %q", mode, tc.args, code, errOut.String(), tc.want)
			}
		}
		if _, err := os.Stat(filepath.Join(tmp, "x")); !os.IsNotExist(err) {
			t.Errorf("%s: a refused backup left its file: %v", mode, err)
		}
	}
	check("offline")
	runServe(t, cfg, io.Discard)
	check("running")
	if code := mainWith([]string{"backup", "--data", dir, "-o", filepath.Join(tmp, "inc"), "--since", full}, nil, &out, &errOut); code != 0 {
		t.Fatalf("backup --since a good file, running: %s", errOut.String())
	}
	for _, req := range []string{
		`{"command":"backup","args":["--since","` + full + `"]}`,
		`{"command":"import","args":["alice","` + full + `"]}`,
	} {
		_, body := adminPost(t, dir, strings.NewReader(req+"\n"))
		if !strings.HasPrefix(body, string([]byte{frameStdin, 0, 0, 0, 0})) {
			t.Errorf("%s: the server did not ask for standard input first: %q", req, body)
		}
	}
}

// An import's progress estimates the time left from the size of its input
// file; a pipe or any other reader has none (issue 16 item 1).
func TestInputSize(t *testing.T) {
	file := filepath.Join(t.TempDir(), "in.tar")
	if err := os.WriteFile(file, make([]byte, 12345), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	dir, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	for _, tc := range []struct {
		name string
		r    io.Reader
		want int64
	}{
		{"regular file", f, 12345},
		{"pipe", pr, 0},
		{"directory", dir, 0},
		{"reader", strings.NewReader("abc"), 0},
		{"nil", nil, 0},
	} {
		if got := inputSize(tc.r); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
