package modules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/naamio/naamio/kv"
)

// Keys in kv.Modules:
//
//	m/<manifest path>   the installed module (record, JSON)
//	w/<sha256>          a module binary, shared by the modules naming it
const (
	keyModule = "m/"
	keyWasm   = "w/"
)

// record is an installed module as kept across restarts.
type record struct {
	IRI      string    `json:"iri"`
	Owner    string    `json:"owner"`
	ETag     string    `json:"etag"`
	Manifest *Manifest `json:"manifest"`
}

// activate records mod (and its binary) and makes it the running module
// of its manifest, replacing any earlier version.
func (s *Service) activate(ctx context.Context, mod *module) error {
	// The write's Committed and the change-log installer may both
	// activate one stored version (the installer found nothing running
	// yet and compiled it too): the module already running it stays,
	// with its counters, log and instances.
	if s.runningVersion(mod) {
		mod.prog.close(ctx)
		return nil
	}
	rec, err := json.Marshal(record{IRI: mod.iri, Owner: mod.owner, ETag: mod.etag, Manifest: mod.manifest})
	if err != nil {
		return err
	}
	err = s.cfg.Records.Update(ctx, func(tx kv.Txn) error {
		if old, err := tx.Get(keyModule + mod.path); err == nil {
			if err := s.dropWasmTx(tx, old, mod.path, mod.manifest.Wasm.SHA256); err != nil {
				return err
			}
		} else if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		if _, err := tx.Get(keyWasm + mod.manifest.Wasm.SHA256); errors.Is(err, kv.ErrNotFound) {
			if err := tx.Set(keyWasm+mod.manifest.Wasm.SHA256, mod.bin, 0); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		return tx.Set(keyModule+mod.path, rec, 0)
	})
	if err != nil {
		mod.prog.close(ctx)
		return err
	}
	mod.bin = nil
	s.mu.Lock()
	old := s.modules[mod.path]
	if old != nil && mod.etag != "" && old.etag == mod.etag && old.prog != nil {
		s.mu.Unlock() // activated meanwhile by the other path: keep it
		mod.prog.close(ctx)
		return nil
	}
	s.modules[mod.path] = mod
	s.mu.Unlock()
	if old != nil {
		mod.status.restore(old.status.snapshot()) // an upgrade keeps the counters and log
		old.retire()
		if old.prog != nil {
			old.prog.close(ctx)
		}
	}
	s.modulesChanged()
	mod.wake()
	if mod.manifest.Disabled {
		mod.status.logLine("info", fmt.Sprintf("installed %s %s, disabled", mod.manifest.Name, mod.manifest.Version))
	} else {
		mod.status.logLine("info", fmt.Sprintf("installed %s %s", mod.manifest.Name, mod.manifest.Version))
	}
	s.log.InfoContext(ctx, "module installed", "path", mod.path, "name", mod.manifest.Name, "version", mod.manifest.Version)
	return nil
}

// runningVersion reports whether the module running at mod's manifest
// path was installed from the same stored manifest (its validator).
func (s *Service) runningVersion(mod *module) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	old := s.modules[mod.path]
	return old != nil && mod.etag != "" && old.etag == mod.etag && old.prog != nil
}

// dropWasmTx deletes the binary of the record old (of the module at
// path) unless another module still names it or it is keep.
func (s *Service) dropWasmTx(tx kv.Txn, old []byte, path, keep string) error {
	var r record
	if json.Unmarshal(old, &r) != nil || r.Manifest == nil || r.Manifest.Wasm.SHA256 == keep {
		return nil
	}
	sum := r.Manifest.Wasm.SHA256
	used := false
	s.mu.RLock()
	for p, m := range s.modules {
		if p != path && m.manifest.Wasm.SHA256 == sum {
			used = true
		}
	}
	s.mu.RUnlock()
	if used {
		return nil
	}
	return tx.Delete(keyWasm + sum)
}

// uninstall stops the module of the manifest at path and forgets it.
func (s *Service) uninstall(ctx context.Context, path string) error {
	err := s.cfg.Records.Update(ctx, func(tx kv.Txn) error {
		old, err := tx.Get(keyModule + path)
		if errors.Is(err, kv.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.dropWasmTx(tx, old, path, ""); err != nil {
			return err
		}
		if err := tx.Delete(keyStatus + path); err != nil {
			return err
		}
		return tx.Delete(keyModule + path)
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	old := s.modules[path]
	delete(s.modules, path)
	s.mu.Unlock()
	s.dropQueues(ctx, path)
	if old != nil {
		old.retire()
		if old.prog != nil {
			old.prog.close(ctx)
		}
		s.log.InfoContext(ctx, "module uninstalled", "path", path, "name", old.manifest.Name)
	}
	s.modulesChanged()
	return nil
}

// Start loads every installed module (from kv.Modules; compiled code
// comes from the compilation cache). A module that cannot be loaded is
// kept as failed, with the reason in its status.
func (s *Service) Start(ctx context.Context) error {
	type entry struct {
		path string
		rec  record
	}
	var all []entry
	err := s.cfg.Records.List(ctx, keyModule, func(key string, v []byte) error {
		var r record
		if err := json.Unmarshal(v, &r); err != nil || r.Manifest == nil {
			s.log.ErrorContext(ctx, "module record unreadable", "key", key)
			return nil
		}
		all = append(all, entry{strings.TrimPrefix(key, keyModule), r})
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range all {
		mod := newModule(e.path, e.rec.IRI, e.rec.Owner, e.rec.Manifest)
		mod.tally = &s.tally
		mod.etag = e.rec.ETag
		s.restoreStatus(ctx, mod)
		if err := s.start(ctx, mod); err != nil {
			mod.status.fail(err)
			s.log.ErrorContext(ctx, "module failed to start", "path", e.path, "err", err)
		}
		s.mu.Lock()
		s.modules[e.path] = mod
		s.mu.Unlock()
	}
	s.modulesChanged()
	return nil
}

// start compiles a recorded module from its recorded binary.
func (s *Service) start(ctx context.Context, mod *module) error {
	root, _, _ := s.manifestPath(mod.path)
	if err := mod.placeIn(s.ldp.Locator().PathOf, root); err != nil {
		return err
	}
	bin, err := s.cfg.Records.Get(ctx, keyWasm+mod.manifest.Wasm.SHA256)
	if err != nil {
		return fmt.Errorf("its binary is missing: %w", err)
	}
	if sum := sha256.Sum256(bin); hex.EncodeToString(sum[:]) != mod.manifest.Wasm.SHA256 {
		return errors.New("its recorded binary is damaged (SHA-256 differs)")
	}
	if mod.manifest.Disabled {
		mod.status.disable()
		return nil
	}
	prog, err := s.engine.compile(ctx, mod.manifest, bin, mod.status.logLine)
	if err != nil {
		return err
	}
	mod.prog = prog
	return nil
}

// installStored installs the manifest stored at path (the change-log
// path: after a restart or a crash between a commit and its
// activation). A manifest that is not valid leaves a failed module.
func (s *Service) installStored(ctx context.Context, path string) error {
	root, owner, ok := s.manifestPath(path)
	if !ok {
		return nil
	}
	meta, body, err := s.cfg.Store.Open(ctx, path)
	if err != nil {
		return err
	}
	s.mu.RLock()
	cur := s.modules[path]
	s.mu.RUnlock()
	if cur != nil && cur.etag == meta.ETag {
		body.Close()
		return nil // already running this version
	}
	raw, err := io.ReadAll(io.LimitReader(body, MaxManifest+1))
	body.Close()
	if err != nil {
		return err
	}
	if !isManifest(meta.ContentType) {
		return nil
	}
	iri := s.ldp.IRI(path)
	mod, err := s.prepareStored(ctx, path, iri, owner, root, raw)
	if err != nil {
		failed := newModule(path, iri, owner, &Manifest{})
		failed.etag = meta.ETag
		failed.status.fail(err)
		s.log.ErrorContext(ctx, "stored manifest not installed", "path", path, "err", err)
		s.mu.Lock()
		old := s.modules[path]
		s.modules[path] = failed
		s.mu.Unlock()
		if old != nil {
			old.retire()
			if old.prog != nil {
				old.prog.close(ctx)
			}
		}
		return nil
	}
	mod.etag = meta.ETag
	return s.activate(ctx, mod)
}

func (s *Service) prepareStored(ctx context.Context, path, iri, owner, root string, raw []byte) (*module, error) {
	m, err := ParseManifest(raw, iri)
	if err != nil {
		return nil, err
	}
	bin, err := s.cfg.Records.Get(ctx, keyWasm+m.Wasm.SHA256)
	if errors.Is(err, kv.ErrNotFound) {
		bin, err = s.storedWasm(ctx, m, root)
	}
	if err != nil {
		return nil, err
	}
	if err := s.engine.inspect(ctx, bin, m); err != nil {
		return nil, err
	}
	return s.load(ctx, path, iri, owner, m, bin)
}
