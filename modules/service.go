package modules

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
)

// ContainerName is where a pod's modules are installed, under the pod's
// root: <pod>/settings/modules/.
const ContainerName = "settings/modules/"

// Config wires a Service.
type Config struct {
	// Store holds the pods (manifests are read from it after a restart
	// or a crash). Required.
	Store ldp.Store
	// Records is kv.Modules: installed modules and their binaries.
	// Required.
	Records kv.KV
	// CacheDir keeps compiled modules across restarts ("" in memory).
	CacheDir string
	// Fetch gets a module's binary from an https URL: the SSRF-safe
	// client. Nil: only binaries in the pod itself can be installed.
	Fetch *http.Client
	// PodOf returns the root container of the pod holding path and its
	// owner's WebID (the module's ceiling).
	PodOf func(path string) (root, owner string, ok bool)
	Log   *slog.Logger
}

// Service is the Wasm module host: it checks manifests before they are
// stored (an ldp.Guard), keeps the installed modules running, and runs
// their reactors and validators.
type Service struct {
	cfg    Config
	ldp    *ldp.Handler
	engine *Engine
	log    *slog.Logger
	tally  Tally // calls into the modules (Tally)

	mu      sync.RWMutex
	modules map[string]*module // by manifest path
	staged  map[string]*module // checked, compiled, awaiting their commit
	changed chan struct{}      // modules installed or removed (Run)
}

// New builds the service; it serves once the LDP handler is built with
// ldp.Config.NewGuard = s.GuardFor.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Records == nil || cfg.PodOf == nil {
		return nil, errors.New("modules: Store, Records and PodOf are required")
	}
	s := &Service{cfg: cfg, log: cfg.Log, modules: map[string]*module{}, staged: map[string]*module{}, changed: make(chan struct{}, 1)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Tally counts the calls into the service's modules since it started.
func (s *Service) Tally() *Tally { return &s.tally }

// GuardFor is ldp.Config.NewGuard: the handler is where the modules'
// requests go (host functions, reading a binary as its installer).
func (s *Service) GuardFor(h *ldp.Handler) ldp.Guard {
	s.ldp = h
	host := &Host{LDP: h}
	e, err := NewEngine(s.cfg.CacheDir, host.Call, s.cfg.Fetch)
	if err != nil {
		// An unusable cache directory: keep compiled code in memory.
		s.log.Error("module compilation cache unusable; compiling in memory", "err", err)
		e, _ = NewEngine("", host.Call, s.cfg.Fetch)
	}
	s.engine = e
	return s
}

// Close records the modules' statuses and stops every module.
func (s *Service) Close(ctx context.Context) {
	s.flushStatus(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.modules {
		m.retire()
		if m.prog != nil {
			m.prog.close(ctx)
		}
	}
	for _, m := range s.staged {
		m.prog.close(ctx)
	}
	s.modules, s.staged = map[string]*module{}, map[string]*module{}
	if s.engine != nil {
		_ = s.engine.Close(ctx)
	}
}

// manifestPath reports whether p is a document directly inside its pod's
// module container, and that pod's root and owner.
func (s *Service) manifestPath(p string) (root, owner string, ok bool) {
	if !strings.Contains(p, "/"+ContainerName) || ldp.IsContainerPath(p) {
		return "", "", false
	}
	if kind, _ := ldp.Auxiliary(p); kind != ldp.NotAux {
		return "", "", false
	}
	root, owner, ok = s.cfg.PodOf(p)
	if !ok || ldp.Parent(p) != root+ContainerName {
		return "", "", false
	}
	return root, owner, true
}

// isManifest: a JSON document in the module container is a manifest; a
// module's binary may sit beside it.
func isManifest(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == "application/json"
}

// Guards is ldp.Guard: manifests, and the documents validators cover.
func (s *Service) Guards(p string) bool {
	if _, _, ok := s.manifestPath(p); ok {
		return true
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, m := range s.modules {
		for _, v := range m.validatorPaths {
			if within(p, v.container, true) {
				return true
			}
		}
	}
	return false
}

// Buffers is ldp.Guard: a manifest's JSON is read before it is stored.
func (s *Service) Buffers(p, contentType string) bool { return isManifest(contentType) }

// Check is ldp.Guard: a manifest is parsed, its binary fetched,
// inspected and compiled before it is stored; a refusal is 422 with the
// reason (nothing stored).
func (s *Service) Check(ctx context.Context, w ldp.Proposal) error {
	root, owner, ok := s.manifestPath(w.Path)
	if !ok || !isManifest(w.ContentType) {
		return s.validate(ctx, w)
	}
	m, err := ParseManifest(w.Body, w.IRI)
	if err != nil {
		return refused(err)
	}
	bin, err := s.fetchWasm(ctx, w, m, root)
	if err != nil {
		return refused(err)
	}
	if err := s.engine.inspect(ctx, bin, m); err != nil {
		return refused(err)
	}
	mod, err := s.load(ctx, w.Path, w.IRI, owner, m, bin)
	if err != nil {
		return refused(err)
	}
	s.mu.Lock()
	if old := s.staged[w.Path]; old != nil {
		old.prog.close(ctx)
	}
	s.staged[w.Path] = mod
	s.mu.Unlock()
	return nil
}

// Committed is ldp.Guard: a manifest that was stored starts running
// before the write is acknowledged.
func (s *Service) Committed(ctx context.Context, w ldp.Proposal, etag string) {
	s.mu.Lock()
	mod := s.staged[w.Path]
	delete(s.staged, w.Path)
	s.mu.Unlock()
	if mod == nil {
		return
	}
	mod.etag = etag
	if err := s.activate(ctx, mod); err != nil {
		// The change-log consumer installs it from the stored manifest.
		s.log.ErrorContext(ctx, "module stored but not started", "path", w.Path, "err", err)
	}
}

// refused words an install failure for the person installing.
func refused(err error) error {
	if errors.Is(err, ErrInvalid) {
		return fmt.Errorf("%w: %s", ldp.ErrRefused, strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
	}
	return err
}

// load compiles a checked module.
func (s *Service) load(ctx context.Context, path, iri, owner string, m *Manifest, bin []byte) (*module, error) {
	mod := newModule(path, iri, owner, m)
	mod.tally = &s.tally
	mod.bin = bin
	root, _, _ := s.manifestPath(path)
	if err := mod.placeIn(s.ldp.Locator().PathOf, root); err != nil {
		return nil, err
	}
	if m.Disabled {
		mod.status.disable()
		return mod, nil
	}
	prog, err := s.engine.compile(ctx, m, bin, mod.status.logLine)
	if err != nil {
		return nil, err
	}
	mod.prog = prog
	return mod, nil
}
