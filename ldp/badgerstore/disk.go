package badgerstore

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/naamio/naamio/ldp"
)

// diskCacheFor is how long a scan of the data directory is reused.
const diskCacheFor = time.Second

// writeOverhead is what a write is assumed to add besides its body bytes
// (its record, containment entries, change-log entry, intermediate
// containers, and Badger's headers for each).
const writeOverhead = 16 << 10

// diskGuard admits writes only while the data directory's file system has
// room for them, for what Badger may still write into the files it has
// mapped (space.go) and for the operator's reserve on top, so the store
// fails a write cleanly (507) before Badger can fault on a full disk
// (SECURITY row 53).
//
// The free space is read (statfs) at every admission, since anything else
// on the disk may fill it. What Badger may still write (a scan of the data
// directory) is reused for up to diskCacheFor, and taken again sooner once
// the bytes admitted since could have filled the active value-log file or
// write-ahead log, so that a new one Badger starts is counted. The bytes of
// admitted writes count until the free space shows them: while a write
// runs they are in flight; once it has ended they have landed, and stay
// counted until the next reading. So concurrent writes cannot together
// pass the limit.
type diskGuard struct {
	dir      string
	disabled bool // in memory
	sizes    sizes
	reserve  atomic.Int64
	// readOnly: the store is open read-only (there was no room to open it
	// for writing); every write is refused until it is reopened.
	readOnly atomic.Bool

	mu        sync.Mutex
	free      int64     // at the last reading
	need      int64     // what Badger may write, at the last scan
	scanned   time.Time // of the last scan; zero: scan at the next admission
	slack     int64     // bytes that can be written before a new file may start
	sinceScan int64     // bytes admitted since the last scan
	inflight  int64     // bytes of admitted writes still running
	landed    int64     // bytes of ended writes the last reading may not show
}

func newDiskGuard(dir string, reserve int64, z sizes, inMemory bool) *diskGuard {
	d := &diskGuard{dir: dir, disabled: inMemory, sizes: z}
	d.reserve.Store(reserve)
	return d
}

// check refuses a write about to start when there is no room for it,
// body bytes (n, when known) and overhead; the bytes it writes are
// admitted later, as they come.
func (d *diskGuard) check(n int64) error {
	done, err := d.admit(n+writeOverhead, true)
	if err == nil {
		done()
	}
	return err
}

// admit claims room for a write of n bytes, or returns
// ldp.ErrInsufficientStorage. The caller calls done once the write has
// ended, whether it committed or not. With useReserve false only Badger's
// own need is kept free, not the operator's reserve (server-internal
// records: tokens, sessions).
func (d *diskGuard) admit(n int64, useReserve bool) (done func(), err error) {
	if d.disabled {
		return func() {}, nil
	}
	if d.readOnly.Load() {
		return nil, fmt.Errorf("%w: the store is read-only until the disk has room to open it for writing", ldp.ErrInsufficientStorage)
	}
	reserve := max(d.reserve.Load(), 0)
	if !useReserve {
		reserve = 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.refresh(); err != nil {
		return nil, err
	}
	room := d.free - d.need - d.inflight - d.landed
	if room-n < reserve {
		return nil, fmt.Errorf("%w: %d bytes free, %d kept for the store's files, %d in writes under way, reserve %d; a write of %d does not fit",
			ldp.ErrInsufficientStorage, d.free, d.need, d.inflight+d.landed, reserve, n)
	}
	d.inflight += n
	d.sinceScan += n
	var once sync.Once
	return func() {
		once.Do(func() {
			d.mu.Lock()
			d.inflight -= n
			d.landed += n
			d.mu.Unlock()
		})
	}, nil
}

// refresh reads the free space, and scans the directory when due. Called
// with d.mu held, so no write lands during the reading.
func (d *diskGuard) refresh() error {
	free, err := freeSpace(d.dir)
	if err != nil {
		return fmt.Errorf("badgerstore: free space of %s: %w", d.dir, err)
	}
	if d.scanned.IsZero() || time.Since(d.scanned) >= diskCacheFor || d.sinceScan >= d.slack {
		u, err := scanDir(d.dir)
		if err != nil {
			return fmt.Errorf("badgerstore: reading %s: %w", d.dir, err)
		}
		d.need, d.slack = d.sizes.need(u)
		d.scanned, d.sinceScan = time.Now(), 0
	}
	d.free = free
	d.landed = 0 // the reading shows every write that has ended
	return nil
}

// freeSpace is the space available to the process on dir's file system.
func freeSpace(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// SetDiskReserve changes the free-space reserve (bytes; 0 or negative
// keeps only the room Badger itself needs) and forgets the cached reading.
func (s *Store) SetDiskReserve(n int64) {
	s.disk.reserve.Store(n)
	s.disk.mu.Lock()
	s.disk.scanned = time.Time{}
	s.disk.mu.Unlock()
}
