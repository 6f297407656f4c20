package badgerstore

// Stats is what the store tells its operator: the sizes of its files and
// the work of its value-log GC (the server exports them as metrics).
type Stats struct {
	LSMBytes   int64 // the key tree's tables
	VLogBytes  int64 // the value log
	GCRuns     int64 // value-log GC passes run since Open
	GCRewrites int64 // value-log files those passes rewrote
}

// Stats reads the store's figures; it scans nothing (Badger keeps the
// sizes, refreshed about once a minute).
func (s *Store) Stats() Stats {
	var st Stats
	s.dbMu.RLock()
	if s.db != nil {
		st.LSMBytes, st.VLogBytes = s.db.Size()
	}
	s.dbMu.RUnlock()
	rs, _ := s.rc.snapshot()
	st.GCRuns, st.GCRewrites = int64(rs.gcRuns), int64(rs.rewrites)
	return st
}

// ReadOnly reports whether the store is open read-only: there was no room
// on the disk to open it for writing, and every write is refused until it
// reopens by itself (readonly.go, SECURITY row 53).
func (s *Store) ReadOnly() bool { return s.disk.readOnly.Load() }

// CanWrite reports whether a small write would be admitted now: nil, or
// the ldp.ErrInsufficientStorage a write would get (read-only, or the
// disk's room is below what Badger needs plus the reserve). It reads the
// free space (statfs) and, at most once a second, scans the data
// directory: cheap enough for a readiness probe.
func (s *Store) CanWrite() error { return s.disk.check(0) }
