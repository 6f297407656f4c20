package modules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// sharedCache is one compilation cache directory for the whole test
// binary: every test compiles the same guest, and compiling it under the
// race detector takes tens of seconds; the restart tests still start from
// an empty in-memory state and read this directory as a restarted server
// reads its own.
var sharedCache string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "naamio-modules-cache-")
	if err != nil {
		panic(err)
	}
	sharedCache = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// goBuild is one Go module built for wasip1 once per test binary.
type goBuild struct {
	once sync.Once
	bin  []byte
	err  error
}

var guest, indexer goBuild

// guestWasm builds testdata/guest (a Go module using go-pdk) for wasip1
// once per test binary: the tests run a real Go-built Extism plugin.
func guestWasm(t testing.TB) []byte { return guest.wasm(t, filepath.Join("testdata", "guest")) }

// indexerWasm builds the Go example examples/indexer.
func indexerWasm(t testing.TB) []byte { return indexer.wasm(t, filepath.Join("examples", "indexer")) }

func (g *goBuild) wasm(t testing.TB, src string) []byte {
	t.Helper()
	g.once.Do(func() {
		dir, err := os.MkdirTemp("", "naamio-guest-")
		if err != nil {
			g.err = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "guest.wasm")
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOFLAGS=")
		if b, err := cmd.CombinedOutput(); err != nil {
			g.err = errors.New("building " + src + ": " + err.Error() + "\n" + string(b))
			return
		}
		g.bin, g.err = os.ReadFile(out)
	})
	if g.err != nil {
		t.Fatal(g.err)
	}
	return g.bin
}

// guestManifest is a manifest for the guest with the given limits.
func guestManifest(bin []byte, l Limits, config map[string]string) *Manifest {
	sum := sha256.Sum256(bin)
	return &Manifest{Name: "guest", Version: "1", Wasm: Wasm{URL: "https://pod.example/g.wasm", SHA256: hex.EncodeToString(sum[:])},
		Reactors: []Reactor{{Export: "echo", Container: "https://pod.example/n/"}}, Config: config, Limits: l}
}

type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) add(level, msg string) {
	l.mu.Lock()
	l.lines = append(l.lines, level+" "+msg)
	l.mu.Unlock()
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func compileGuest(t *testing.T, l Limits, config map[string]string) (*program, *logLines) {
	t.Helper()
	bin := guestWasm(t)
	e, err := NewEngine(sharedCache, func(context.Context, string, []byte) []byte { return []byte(`{"status":501}`) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	var logs logLines
	pg, err := e.compile(context.Background(), guestManifest(bin, l, config), bin, logs.add)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.close(context.Background()) })
	return pg, &logs
}

// A Go module built with go-pdk runs: input in, output out, config from
// the manifest; calls from several goroutines at once each get their
// own instance (run with -race).
func TestEngineCallsAGoModule(t *testing.T) {
	pg, _ := compileGuest(t, Limits{TimeoutMs: 5000, MemoryMiB: 16}, map[string]string{"suffix": "!"})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				in := strings.Repeat("x", i+j)
				out, err := pg.call(context.Background(), "echo", []byte(in))
				if err != nil || string(out) != in+"!" {
					errs <- errors.New("echo " + in + ": got " + string(out) + ", " + errString(err))
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// Each way a call can fail is told apart, with the module's own text
// where it gave one, and the instance is not reused after it.
func TestEngineFailures(t *testing.T) {
	// A fresh instance's start-up after a failure counts against the next
	// call's time limit: 3 s leaves room for it on a loaded machine (CI
	// saw 300 ms run out there), while "spin" still meets the limit.
	pg, logs := compileGuest(t, Limits{TimeoutMs: 3000, MemoryMiB: 16}, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		export, kind, text string
		input              []byte
	}{
		{"fail", FailModule, "the module refused: because", []byte("because")},
		{"spin", FailTimeout, "time limit", nil},
		{"crash", FailTrap, "", nil},
		{"echo", FailInput, "at most 1048576", make([]byte, MaxInput+1)},
		{"no_such_export", FailModule, "unknown function", nil},
	} {
		t.Run(tc.export, func(t *testing.T) {
			_, err := pg.call(ctx, tc.export, tc.input)
			var ce *CallError
			if !errors.As(err, &ce) || ce.Kind != tc.kind || !strings.Contains(ce.Message, tc.text) {
				t.Fatalf("got %v; want %s mentioning %q", err, tc.kind, tc.text)
			}
			// The module still works after the failure.
			if out, err := pg.call(ctx, "echo", []byte("ok")); err != nil || string(out) != "ok" {
				t.Fatalf("after %s: %q, %v", tc.export, out, err)
			}
		})
	}
	if _, err := pg.call(ctx, "logs", nil); err != nil {
		t.Fatal(err)
	}
	got := logs.String()
	if !strings.Contains(got, "info info line") || !strings.Contains(got, "error error line") || strings.Contains(got, "debug line") {
		t.Errorf("module log (info and above kept):\n%s", got)
	}
}

// A module that allocates without end is stopped by its memory cap, and
// the failure says so.
func TestEngineMemoryCap(t *testing.T) {
	// 6 MiB: a Go module starts near 3 MiB; the timeout is generous so
	// only the cap can stop it.
	pg, _ := compileGuest(t, Limits{TimeoutMs: MaxTimeoutMs, MemoryMiB: 6}, nil)
	_, err := pg.call(context.Background(), "hog", nil)
	var ce *CallError
	if !errors.As(err, &ce) || ce.Kind != FailMemory || !strings.Contains(ce.Message, "out of memory") {
		t.Fatalf("got %v; want the memory cap", err)
	}
}
