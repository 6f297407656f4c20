package badgerstore

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// The data directory's format version (issue 16 item 7) is the number
// in the format marker m/format, "naamio-badgerstore/<N>". A binary
// opens a directory of its own version; refuses a newer one, naming both
// versions; and migrates an older one on Open, one step at a time (the
// migrations below), each step in one transaction that also writes the
// new marker, and only after Options.BeforeMigrate has written a backup.
//
// There is no migration yet: format 1 is the only format. A change of
// the key layout or of a record encoding adds one step here:
//
//	migrations = append(migrations, Migration{From: 1, Name: "...", Apply: ...})
//
// and raises currentFormat by one. The tests exercise the framework with
// a test-only step (format_test.go).

// currentFormat is the format this binary writes (a var for the tests).
var currentFormat = 1

// Migration turns format From into From+1 inside txn.
type Migration struct {
	From  int
	Name  string
	Apply func(txn *badger.Txn) error
}

// migrations are the steps, in order of From.
var migrations []Migration

const formatPrefix = "naamio-badgerstore/"

// FormatVersion is the data directory format this binary reads and writes.
func FormatVersion() int { return currentFormat }

func formatMarker(v int) []byte { return []byte(formatPrefix + strconv.Itoa(v)) }

// parseFormat reads a format marker's version.
func parseFormat(v []byte) (int, error) {
	n, ok := strings.CutPrefix(string(v), formatPrefix)
	if !ok {
		return 0, fmt.Errorf("unsupported store format %q", v)
	}
	i, err := strconv.Atoi(n)
	if err != nil || i < 1 {
		return 0, fmt.Errorf("unsupported store format %q", v)
	}
	return i, nil
}

// ErrNewerFormat is returned by Open for a data directory written by a
// newer naamio.
type ErrNewerFormat struct{ Dir, Binary int }

func (e ErrNewerFormat) Error() string {
	return fmt.Sprintf("the data directory has format version %d, newer than this naamio's format version %d: "+
		"run the newer naamio that wrote it (an older binary cannot read it; a backup taken by it restores only with it)",
		e.Dir, e.Binary)
}

// migrate brings an older store (format from) up to currentFormat, after
// BeforeMigrate has written a backup of it.
func (s *Store) migrate(from int, readOnly bool) error {
	if readOnly {
		return fmt.Errorf("data directory format %d needs migrating to %d, and there is no room on the disk to do it", from, currentFormat)
	}
	if s.opts.BeforeMigrate == nil {
		return fmt.Errorf("data directory format %d needs migrating to %d, which is done only after a backup (start naamio serve)", from, currentFormat)
	}
	if err := s.opts.BeforeMigrate(from, currentFormat, s); err != nil {
		return fmt.Errorf("backup before migrating format %d to %d: %w (nothing was migrated)", from, currentFormat, err)
	}
	for v := from; v < currentFormat; v++ {
		var step *Migration
		for i := range migrations {
			if migrations[i].From == v {
				step = &migrations[i]
			}
		}
		if step == nil {
			return fmt.Errorf("no migration from data directory format %d", v)
		}
		err := s.db.Update(func(txn *badger.Txn) error {
			if err := step.Apply(txn); err != nil {
				return err
			}
			return txn.Set([]byte(keyFormat), formatMarker(v+1))
		})
		if err != nil {
			return fmt.Errorf("migration %d→%d (%s): %w", v, v+1, step.Name, err)
		}
		s.log.Warn("migrated the data directory", "from", v, "to", v+1, "step", step.Name)
	}
	return nil
}
