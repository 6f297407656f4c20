package badgerstore

import (
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// A store opened read-only (no room on the disk to open it for writing,
// SECURITY row 53) serves reads and refuses every write with
// ldp.ErrInsufficientStorage (diskGuard.readOnly). Once a second it looks
// at the disk again; when there is room to open for writing and for the
// reserve, it closes the read-only database and opens it for writing in
// its place, so writes resume without a restart.
//
// Reads hold dbMu's read lock only while they use the database (view); a
// body reader holds it only while it loads a chunk, and the swap discards
// its snapshot first (reader.go), so the swap waits for no client. The swap
// takes the lock only when no read holds it (lockDB), so reads never wait
// behind it. Nothing writes while the store is read-only, so the write
// paths (the committer, body batches, KV updates) use db without the lock:
// the swap completes before readOnly is cleared and any write admitted.

// errUnavailable: reopening failed and left no database open.
var errUnavailable = errors.New("badgerstore: the database is not open (reopening for writing failed)")

// view runs fn in a read-only transaction of the current database.
func (s *Store) view(fn func(txn *badger.Txn) error) error {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	if s.db == nil {
		return errUnavailable
	}
	return s.db.View(fn)
}

// lockDB takes dbMu for writing once no read holds it, giving up after
// limit (0: never). It never waits as a pending writer, which would hold
// back new reads: a read that runs another read inside its callback (a KV
// List whose callback reads) would then wait on itself.
func (s *Store) lockDB(limit time.Duration) bool {
	start := time.Now()
	for !s.dbMu.TryLock() {
		if limit > 0 && time.Since(start) > limit {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

// reopenLoop reopens a read-only store for writing once the disk has room.
func (s *Store) reopenLoop() {
	defer s.bg.Done()
	t := time.NewTicker(diskCacheFor)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		free, need, err := roomToOpen(s.dir, s.disk.sizes)
		if err != nil || free-need < max(s.disk.reserve.Load(), 0) {
			continue
		}
		if err := s.reopenWritable(); err != nil {
			s.log.Error("reopening the store for writing", "err", err)
			continue
		}
		s.log.Info("the disk has room again: the store is open for writing", "free", free)
		return
	}
}

// reopenWritable replaces the read-only database with one open for
// writing, then does what a writable Open does besides: sweep orphan
// bodies and create the root when missing. On failure the store stays
// read-only.
func (s *Store) reopenWritable() error {
	if !s.lockDB(5 * time.Second) {
		return errors.New("reads kept the database busy for 5 s; trying again")
	}
	s.detachReaders()
	if err := s.db.Close(); err != nil {
		s.log.Warn("closing the read-only database", "err", err)
	}
	db, err := openDB(s.dir, s.opts, s.disk.sizes, false)
	if err != nil {
		ro, rerr := openDB(s.dir, s.opts, s.disk.sizes, true)
		s.db = ro // nil when that failed too: reads then fail with errUnavailable
		s.dbMu.Unlock()
		if rerr != nil {
			return fmt.Errorf("%w; and reopening read-only: %v", err, rerr)
		}
		return err
	}
	s.db = db
	s.dbMu.Unlock()
	if err := s.sweepOrphans(); err != nil {
		s.log.Error("removing orphan bodies", "err", err)
	}
	s.disk.readOnly.Store(false)
	s.SetDiskReserve(s.disk.reserve.Load()) // forget the last reading
	if err := s.ensureRoot(); err != nil {
		return fmt.Errorf("creating the root container: %w", err)
	}
	s.rc.wake()
	return nil
}
