package modules

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Module states, as the status document names them.
const (
	StateRunning  = "running"
	StateFailed   = "failed"
	StateDisabled = "disabled"
)

// maxLogLines is how many log lines a module keeps (the newest).
const maxLogLines = 200

// module is one installed module.
type module struct {
	path     string // the manifest's store path
	iri      string // the manifest's IRI
	agent    string // <manifest IRI>#module
	owner    string // the pod owner's WebID: the module's ceiling
	etag     string // the manifest's validator when it was installed
	manifest *Manifest
	bin      []byte // until it is recorded
	prog     *program
	status   status
	tally    *Tally // the service's counts of all calls (nil: not counted)
	// The reactor worker: woken when events are queued, stopped when the
	// module is retired.
	wakeCh   chan struct{}
	gone     chan struct{}
	goneOnce sync.Once
	// The manifest's reactors and validators with their containers as
	// store paths (inside the module's pod).
	reactorPaths   []reactorAt
	validatorPaths []validatorAt
}

type reactorAt struct {
	Reactor
	container string
}

type validatorAt struct {
	Validator
	container string
}

// placeIn resolves the containers of m's reactors and validators to store
// paths, refusing any outside the pod whose root is root: a module
// watches and guards its own pod only.
func (m *module) placeIn(pathOf func(iri string) (string, bool), root string) error {
	m.reactorPaths, m.validatorPaths = nil, nil
	inPod := func(field, iri string) (string, error) {
		p, ok := pathOf(iri)
		if !ok || !strings.HasPrefix(p, root) {
			return "", invalid(field, "%s is not a container in the module's pod", iri)
		}
		return p, nil
	}
	for i, r := range m.manifest.Reactors {
		p, err := inPod(fmt.Sprintf("reactors[%d].container", i), r.Container)
		if err != nil {
			return err
		}
		m.reactorPaths = append(m.reactorPaths, reactorAt{r, p})
	}
	for i, v := range m.manifest.Validators {
		p, err := inPod(fmt.Sprintf("validators[%d].container", i), v.Container)
		if err != nil {
			return err
		}
		m.validatorPaths = append(m.validatorPaths, validatorAt{v, p})
	}
	for i, a := range m.manifest.Access {
		if _, err := inPod(fmt.Sprintf("access[%d].container", i), a.Container); err != nil {
			return err
		}
	}
	return nil
}

// call runs one export of the module as its agent, counting it and
// logging a failure with the host's reason and the module's own text.
func (m *module) call(ctx context.Context, export string, input []byte) ([]byte, error) {
	inv := &invocation{agent: m.agent, owner: m.owner}
	ctx = withNet(withInvocation(ctx, inv), m.manifest.AllowedHosts, m.status.logLine)
	out, err := m.prog.call(ctx, export, input)
	m.status.counted(err)
	m.tally.count(err)
	if err != nil {
		var ce *CallError
		if errors.As(err, &ce) {
			m.status.logLine("error", export+": "+ce.Kind+": "+ce.Message)
		} else {
			m.status.logLine("error", export+": "+err.Error())
		}
	}
	return out, err
}

// LogLine is one line of a module's log.
type LogLine struct {
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
}

// Status is what the status document shows of a module.
type Status struct {
	State       string    `json:"state"`
	Error       string    `json:"error,omitempty"`
	Calls       int64     `json:"calls"`
	Failures    int64     `json:"failures"`
	DeadLetters int64     `json:"deadLetters"`
	Log         []LogLine `json:"log"`
}

// status is a module's counters and log, safe for concurrent use.
type status struct {
	mu    sync.Mutex
	s     Status
	dirty bool // changed since it was last recorded (flushStatus)
}

func (st *status) init() { st.s = Status{State: StateRunning, Log: []LogLine{}} }

// newModule is a module record with its worker's channels.
func newModule(path, iri, owner string, m *Manifest) *module {
	mod := &module{path: path, iri: iri, agent: iri + "#module", owner: owner, manifest: m,
		wakeCh: make(chan struct{}, 1), gone: make(chan struct{})}
	mod.status.init()
	return mod
}

func (st *status) counted(err error) {
	st.mu.Lock()
	st.s.Calls++
	if err != nil {
		st.s.Failures++
	}
	st.dirty = true
	st.mu.Unlock()
}

// Tally counts the calls into every module of a service since it started
// (its modules' Status counts are per module and survive restarts): the
// server's metrics read it.
type Tally struct{ calls, failures atomic.Int64 }

// Counts returns the calls made and how many of them failed.
func (t *Tally) Counts() (calls, failures int64) { return t.calls.Load(), t.failures.Load() }

func (t *Tally) count(err error) {
	if t == nil {
		return
	}
	t.calls.Add(1)
	if err != nil {
		t.failures.Add(1)
	}
}

func (st *status) deadLetter() {
	st.mu.Lock()
	st.s.DeadLetters++
	st.dirty = true
	st.mu.Unlock()
}

// logLine keeps a line of the module's log (its own lines at info and
// above, and the host's lines about it).
func (st *status) logLine(level, msg string) {
	if len(msg) > 2048 {
		msg = msg[:2048] + "…"
	}
	st.mu.Lock()
	if len(st.s.Log) == maxLogLines {
		copy(st.s.Log, st.s.Log[1:])
		st.s.Log = st.s.Log[:maxLogLines-1]
	}
	st.s.Log = append(st.s.Log, LogLine{Time: time.Now().UTC(), Level: level, Message: msg})
	st.dirty = true
	st.mu.Unlock()
}

// disable marks a module that is installed but not running.
func (st *status) disable() {
	st.mu.Lock()
	st.s.State, st.s.Error = StateDisabled, ""
	st.dirty = true
	st.mu.Unlock()
}

func (st *status) fail(err error) {
	st.mu.Lock()
	st.s.State, st.s.Error = StateFailed, err.Error()
	st.dirty = true
	st.mu.Unlock()
	st.logLine("error", err.Error())
}

func (st *status) snapshot() Status {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := st.s
	out.Log = append([]LogLine(nil), st.s.Log...)
	return out
}

// takeDirty returns the status to record, if it changed since the last
// time.
func (st *status) takeDirty() (Status, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.dirty {
		return Status{}, false
	}
	st.dirty = false
	out := st.s
	out.Log = append([]LogLine(nil), st.s.Log...)
	return out, true
}

// restore continues a recorded status (counters and log) after a
// restart; the state is the new run's.
func (st *status) restore(rec Status) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Calls, st.s.Failures, st.s.DeadLetters = rec.Calls, rec.Failures, rec.DeadLetters
	st.s.Log = append(rec.Log, st.s.Log...)
	if len(st.s.Log) > maxLogLines {
		st.s.Log = st.s.Log[len(st.s.Log)-maxLogLines:]
	}
}
