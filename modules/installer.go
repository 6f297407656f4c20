package modules

import (
	"context"
	"errors"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
)

// Installer is the change-log consumer that keeps the running modules in
// step with the stored manifests: it installs what a crash kept
// Committed from starting, and uninstalls a module whose manifest was
// deleted. Its work is idempotent (a module already running its stored
// manifest's version is left alone), as an at-least-once feed needs.
func (s *Service) Installer() event.Consumer { return installer{s} }

type installer struct{ s *Service }

func (installer) Name() string { return "modules-install" }

func (i installer) Handle(ctx context.Context, cs []event.Change) error {
	for _, c := range cs {
		if _, _, ok := i.s.manifestPath(c.Path); !ok {
			continue
		}
		var err error
		if c.Kind == event.Delete {
			err = i.s.uninstall(ctx, c.Path)
		} else {
			err = i.s.installStored(ctx, c.Path)
		}
		if err != nil && !errors.Is(err, ldp.ErrNotFound) {
			return err // offered again, with backoff
		}
	}
	return nil
}

// Status returns the status of the module whose manifest is at path.
func (s *Service) Status(path string) (Status, bool) {
	s.mu.RLock()
	m := s.modules[path]
	s.mu.RUnlock()
	if m == nil {
		return Status{}, false
	}
	return m.status.snapshot(), true
}
