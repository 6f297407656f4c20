package modules

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"
)

// MaxInput bounds what the host passes to one call (the contract: checked
// by the host, because Extism fails silently when an input does not fit
// the module's memory).
const MaxInput = 1 << 20

// poolSize is how many idle instances of one module are kept; more are
// created when calls overlap, and closed when they are done.
const poolSize = 2

// Engine compiles modules once (wazero's compilation cache, on disk when
// a directory is given, so a restart does not compile again) and runs
// their calls on pools of instances.
type Engine struct {
	cache wazero.CompilationCache
	host  []extism.HostFunction
	fetch *http.Client // modules' http_request (net.go); nil: none
}

// HostFunc answers one pod_* call of a module: JSON in, JSON out. It
// never fails: a refusal is an answer ({"status": 4xx, "error": …}).
type HostFunc func(ctx context.Context, name string, in []byte) []byte

var logLevelOnce sync.Once

// NewEngine returns an engine whose compilation cache is in dir (""
// keeps it in memory), whose modules' pod_* calls go to host, and whose
// modules' http_request calls go through fetch (the SSRF-safe client;
// nil refuses them all).
func NewEngine(dir string, host HostFunc, fetch *http.Client) (*Engine, error) {
	var cache wazero.CompilationCache
	if dir == "" {
		cache = wazero.NewCompilationCache()
	} else {
		var err error
		if cache, err = wazero.NewCompilationCacheWithDir(dir); err != nil {
			return nil, fmt.Errorf("modules: compilation cache: %w", err)
		}
	}
	// The SDK's log level is one setting for the process and is off by
	// default, which would drop every line a module logs; the host keeps
	// info and above (the contract), per module, through SetLogger.
	logLevelOnce.Do(func() { extism.SetLogLevel(extism.LogLevelInfo) })
	e := &Engine{cache: cache, fetch: fetch}
	for _, name := range HostFunctions {
		name := name
		e.host = append(e.host, extism.NewHostFunctionWithStack(name,
			func(ctx context.Context, p *extism.CurrentPlugin, stack []uint64) {
				in, err := p.ReadBytes(stack[0])
				var out []byte
				if err != nil {
					out = []byte(`{"status":400,"error":"the input is not a memory block of this module"}`)
				} else {
					out = safeHostCall(ctx, host, name, in)
				}
				off, err := p.WriteBytes(out)
				if err != nil {
					off = 0
				}
				stack[0] = off
			},
			[]extism.ValueType{extism.ValueTypeI64}, []extism.ValueType{extism.ValueTypeI64}))
	}
	e.host = append(e.host, e.netHostFunctions()...)
	return e, nil
}

// inspect checks bin against m (inspect.go) in a runtime sharing the
// engine's compilation cache, so what it compiles is not compiled again.
func (e *Engine) inspect(ctx context.Context, bin []byte, m *Manifest) error {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(e.cache))
	defer rt.Close(ctx)
	return inspect(ctx, rt, bin, m)
}

// safeHostCall runs host, answering 500 if it panics: a host function
// never traps the module, and a bug in one never takes the server down
// (SECURITY row 47).
func safeHostCall(ctx context.Context, host HostFunc, name string, in []byte) (out []byte) {
	defer func() {
		if r := recover(); r != nil {
			out = []byte(`{"status":500,"error":"the host function failed"}`)
		}
	}()
	return host(ctx, name, in)
}

// Close releases the compilation cache (its files stay on disk).
func (e *Engine) Close(ctx context.Context) error { return e.cache.Close(ctx) }

// Failure kinds of a call, for the module's log and counters.
const (
	FailTimeout = "timeout"
	FailMemory  = "memory cap"
	FailTrap    = "trap"
	FailModule  = "module error"
	FailInput   = "input too large"
)

// CallError is a call that did not succeed: Kind says why (the host's
// reason), Message is the module's own error text or the runtime's.
type CallError struct {
	Kind    string
	Message string
}

func (e *CallError) Error() string { return e.Kind + ": " + e.Message }

// program is one compiled module and its idle instances. A Plugin is
// never used by two goroutines at once: a call takes an instance from
// the pool (or makes one) and gives it back only if it is healthy.
type program struct {
	// running is held (read) by every call and (write) by close, which
	// waits for the calls in flight; a call after close fails.
	running  sync.RWMutex
	closed   bool
	compiled *extism.CompiledPlugin
	idle     chan *instance
	memCap   uint32 // bytes
	log      func(level, msg string)
}

// compile makes a program of bin (already inspected) with m's limits and
// config; log receives the module's log lines.
func (e *Engine) compile(ctx context.Context, m *Manifest, bin []byte, log func(level, msg string)) (*program, error) {
	pages := uint32(m.Limits.MemoryMiB) * 16 // 64 KiB pages
	bin, err := rewriteNetImports(bin)
	if err != nil {
		return nil, err
	}
	em := extism.Manifest{
		Wasm: []extism.Wasm{extism.WasmData{Data: bin}},
		// Always set: a context deadline alone does not stop running
		// Wasm; this is what closes a module that loops.
		Timeout: uint64(m.Limits.TimeoutMs),
		Memory:  &extism.ManifestMemory{MaxPages: pages, MaxHttpResponseBytes: 1 << 20, MaxVarBytes: 64 << 10},
		Config:  m.Config,
		// No allowed hosts: Extism's own http_request is not reachable
		// (the module's imports of it are served by net.go) and would
		// refuse every request if it were.
	}
	cp, err := extism.NewCompiledPlugin(ctx, em, extism.PluginConfig{
		EnableWasi:    true,
		RuntimeConfig: wazero.NewRuntimeConfig().WithCompilationCache(e.cache),
	}, e.host)
	if err != nil {
		return nil, invalid("wasm", "the module cannot be loaded: %v", err)
	}
	pg := &program{compiled: cp, idle: make(chan *instance, poolSize), memCap: pages << 16, log: log}
	// Instantiate once now, so a module that cannot start (an import the
	// runtime lacks, a start function that traps) is refused at install.
	p, err := pg.instance(ctx)
	if err != nil {
		_ = cp.Close(ctx)
		return nil, invalid("wasm", "the module cannot start: %v", err)
	}
	pg.release(ctx, p)
	return pg, nil
}

// instance is one instance of a program and what it wrote to stderr
// during its current call (a Go module's runtime reports a fatal error
// there, "out of memory" among them).
type instance struct {
	p      *extism.Plugin
	stderr *capped
}

// instance makes a new instance: real clock and randomness, no
// filesystem (nothing is mounted, so file calls fail harmlessly).
func (pg *program) instance(ctx context.Context) (*instance, error) {
	in := &instance{stderr: &capped{max: 4 << 10}}
	p, err := pg.compiled.Instance(ctx, extism.PluginInstanceConfig{
		ModuleConfig: wazero.NewModuleConfig().WithSysWalltime().WithSysNanotime().WithSysNanosleep().
			WithRandSource(rand.Reader).WithStderr(in.stderr),
	})
	if err != nil {
		return nil, err
	}
	p.SetLogger(func(l extism.LogLevel, msg string) { pg.log(strings.ToLower(l.String()), msg) })
	in.p = p
	return in, nil
}

// release gives p back to the pool, or closes it when the pool is full
// or p's memory has grown past half the cap (recycled, so one large call
// does not pin that memory).
func (pg *program) release(ctx context.Context, in *instance) {
	if m := in.p.Memory(); m != nil && m.Size() > pg.memCap/2 {
		_ = in.p.Close(ctx)
		return
	}
	select {
	case pg.idle <- in:
	default:
		_ = in.p.Close(ctx)
	}
}

// call runs export with input on an instance of pg. An instance whose
// call failed is closed, never reused.
func (pg *program) call(ctx context.Context, export string, input []byte) ([]byte, error) {
	if len(input) > MaxInput {
		return nil, &CallError{Kind: FailInput, Message: fmt.Sprintf("%d bytes (at most %d)", len(input), MaxInput)}
	}
	pg.running.RLock()
	defer pg.running.RUnlock()
	if pg.closed {
		return nil, &CallError{Kind: FailModule, Message: "the module was uninstalled or replaced"}
	}
	var in *instance
	select {
	case in = <-pg.idle:
	default:
		var err error
		if in, err = pg.instance(ctx); err != nil {
			return nil, &CallError{Kind: FailTrap, Message: err.Error()}
		}
	}
	in.stderr.reset()
	rc, out, err := in.p.CallWithContext(ctx, export, input)
	if err == nil && rc != 0 {
		err = fmt.Errorf("the module returned %d", rc)
	}
	if err != nil {
		ce := classify(err, in.stderr.String())
		_ = in.p.Close(ctx)
		return nil, ce
	}
	pg.release(ctx, in)
	return out, nil
}

// classify names why a call failed. A module that runs out of memory
// traps in its own allocator when memory.grow fails at the cap; it says
// so on stderr (Go: "fatal error: out of memory"; AssemblyScript's
// allocator aborts with "allocation" in its message).
func classify(err error, stderr string) *CallError {
	msg := err.Error()
	if line := firstLine(strings.TrimSpace(stderr)); line != "" {
		msg = line + " (" + firstLine(msg) + ")"
	}
	var exit *sys.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == sys.ExitCodeDeadlineExceeded,
		errors.Is(err, context.DeadlineExceeded):
		return &CallError{Kind: FailTimeout, Message: "the call ran past its time limit"}
	case strings.Contains(msg, "out of memory"), strings.Contains(msg, "allocation failed"):
		return &CallError{Kind: FailMemory, Message: firstLine(msg)}
	case strings.Contains(msg, "wasm error"), errors.As(err, &exit):
		return &CallError{Kind: FailTrap, Message: firstLine(msg)}
	}
	return &CallError{Kind: FailModule, Message: msg}
}

func (pg *program) close(ctx context.Context) {
	if pg == nil {
		return // a disabled module has no program
	}
	pg.running.Lock()
	defer pg.running.Unlock()
	if pg.closed {
		return
	}
	pg.closed = true
	for {
		select {
		case in := <-pg.idle:
			_ = in.p.Close(ctx)
		default:
			_ = pg.compiled.Close(ctx)
			return
		}
	}
}

// firstLine drops the runtime's stack trace after the first line.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// capped keeps the first max bytes written to it (the start of a fatal
// error message is what names it).
type capped struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *capped) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if room := t.max - len(t.b); room > 0 {
		t.b = append(t.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (t *capped) reset() {
	t.mu.Lock()
	t.b = t.b[:0]
	t.mu.Unlock()
}

func (t *capped) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
