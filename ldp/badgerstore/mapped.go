package badgerstore

import (
	"path/filepath"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"
)

// trimEvery is how many bytes of body traffic (chunks written or read) pass
// between two trims of the value log's mapped pages.
const trimEvery = 32 << 20

// mapTrimmer keeps large bodies from piling up in the process's resident
// memory. Badger memory-maps its value-log files and both writes and reads
// values through the mapping, so every page of a body that passes through
// stays mapped, and counted in the server's RSS, until the kernel runs short
// of memory: a 1 GiB upload left the server at 1 GiB RSS, all of it file
// pages.
//
// After every trimEvery bytes of body traffic the trimmer drops the page
// table entries of one value-log mapping (madvise MADV_DONTNEED,
// mapped_linux.go): the one holding a value just written or read. For a
// shared file mapping that only forgets the process's view: the pages stay
// in the page cache (dirty ones are still written back), and the next
// access maps them again, so reads stay as fast as before. Advice on an
// address range is only safe while the range is known to be that mapping,
// so the trim runs inside Badger's Item.Value callback, during which Badger
// holds the file's read lock and cannot unmap or remap it (it takes the
// write lock to delete or truncate a value-log file).
type mapTrimmer struct {
	dir   string // the value-log directory as the kernel names it
	since atomic.Int64
	busy  atomic.Bool
}

// newMapTrimmer returns a trimmer for the value logs in dir, or nil (which
// does nothing) when dir is empty or cannot be resolved, or the platform
// cannot drop mapped pages.
func newMapTrimmer(dir string) *mapTrimmer {
	if dir == "" || !canTrim {
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return nil
	}
	return &mapTrimmer{dir: abs}
}

// tick counts n bytes of body traffic. It returns true when a trim is due
// and this caller is to run it: the caller then calls trimVia exactly once.
func (t *mapTrimmer) tick(n int64) bool {
	if t == nil || t.since.Add(n) < trimEvery {
		return false
	}
	return t.busy.CompareAndSwap(false, true)
}

// trimVia drops the mapping of the value-log file holding item's value
// (nothing when the value is not in the value log) and ends the trim.
func (t *mapTrimmer) trimVia(item *badger.Item) {
	defer t.busy.Store(false)
	t.since.Store(0)
	_ = item.Value(func(v []byte) error {
		if len(v) > 0 {
			dropMapping(t.dir, v)
		}
		return nil
	})
}

// trimAfterWrite runs a due trim through chunk n of blob id, just written.
func (s *Store) trimAfterWrite(id blobID, n uint32, size int64) {
	if !s.mapped.tick(size) {
		return
	}
	err := s.view(func(txn *badger.Txn) error {
		item, err := txn.Get(chunkKey(id, n))
		if err != nil {
			return err
		}
		s.mapped.trimVia(item)
		return nil
	})
	if err != nil {
		s.mapped.busy.Store(false)
	}
}
