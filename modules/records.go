package modules

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/naamio/naamio/kv"
)

// keyStatus holds a module's recorded status (counters and log), so they
// survive restarts and the operator can read them with the server
// stopped (naamio module):
//
//	s/<manifest path>   Status (JSON)
const keyStatus = "s/"

// statusEvery is how often changed statuses are recorded while the
// server runs (and once more when it stops).
const statusEvery = 10 * time.Second

// flushStatus records the statuses that changed.
func (s *Service) flushStatus(ctx context.Context) {
	s.mu.RLock()
	mods := make([]*module, 0, len(s.modules))
	for _, m := range s.modules {
		mods = append(mods, m)
	}
	s.mu.RUnlock()
	for _, m := range mods {
		st, ok := m.status.takeDirty()
		if !ok {
			continue
		}
		if v, err := json.Marshal(st); err == nil {
			if err := s.cfg.Records.Put(ctx, keyStatus+m.path, v, 0); err != nil {
				s.log.WarnContext(ctx, "module status not recorded", "path", m.path, "err", err)
			}
		}
	}
}

// restoreStatus continues m's recorded status, if any.
func (s *Service) restoreStatus(ctx context.Context, m *module) {
	v, err := s.cfg.Records.Get(ctx, keyStatus+m.path)
	if err != nil {
		return
	}
	var st Status
	if json.Unmarshal(v, &st) == nil {
		m.status.restore(st)
	}
}

// Installed is one installed module as recorded (what the operator's
// naamio module commands show with the server stopped).
type Installed struct {
	Path     string    `json:"path"`
	IRI      string    `json:"iri"`
	Owner    string    `json:"owner"`
	Manifest *Manifest `json:"manifest"`
	// Status is the last recorded status (its state as it was then).
	Status Status `json:"status"`
	// Queued counts reactor events not yet handled.
	Queued int `json:"queued"`
	// Dead lists the dead letters kept (newest last).
	Dead []DeadLetter `json:"deadLetters,omitempty"`
}

// DeadLetter is a reactor event set aside after repeated failure.
type DeadLetter struct {
	Event    Event  `json:"event"`
	Export   string `json:"export"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error"`
}

// ReadInstalled reads every installed module from kv.Modules (records),
// for a stopped server.
func ReadInstalled(ctx context.Context, records kv.KV) ([]Installed, error) {
	var out []Installed
	err := records.List(ctx, keyModule, func(k string, v []byte) error {
		var r record
		if err := json.Unmarshal(v, &r); err != nil {
			return nil
		}
		out = append(out, Installed{Path: strings.TrimPrefix(k, keyModule), IRI: r.IRI, Owner: r.Owner, Manifest: r.Manifest})
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		in := &out[i]
		if v, err := records.Get(ctx, keyStatus+in.Path); err == nil {
			_ = json.Unmarshal(v, &in.Status)
		} else if !errors.Is(err, kv.ErrNotFound) {
			return nil, err
		}
		if in.Status.State == "" {
			in.Status.State = StateRunning
		}
		if in.Manifest.Disabled {
			in.Status.State = StateDisabled
		}
		if err := records.List(ctx, keyQueue+in.Path+"\x00", func(string, []byte) error { in.Queued++; return nil }); err != nil {
			return nil, err
		}
		err := records.List(ctx, keyDead+in.Path+"\x00", func(_ string, v []byte) error {
			var p pending
			if json.Unmarshal(v, &p) == nil {
				in.Dead = append(in.Dead, DeadLetter{Event: p.Event, Export: p.Export, Attempts: p.Attempts, Error: p.Error})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Installed is ReadInstalled for the running server: every installed
// module with its live status (counters and log as they are now, not as
// last recorded).
func (s *Service) Installed(ctx context.Context) ([]Installed, error) {
	all, err := ReadInstalled(ctx, s.cfg.Records)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if st, ok := s.Status(all[i].Path); ok {
			all[i].Status = st
		}
	}
	return all, nil
}
