package badgerstore

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/naamio/naamio/ldp"
)

// diskCacheFor is how long a free-space reading is reused.
const diskCacheFor = time.Second

// diskGuard refuses writes when the data directory's file system has less
// free space than the reserve, so the store fails a write cleanly (507)
// before Badger fails mid-way on a full disk.
type diskGuard struct {
	dir      string
	disabled bool
	reserve  atomic.Int64

	mu      sync.Mutex
	free    int64
	checked time.Time
}

func newDiskGuard(dir string, reserve int64, inMemory bool) *diskGuard {
	d := &diskGuard{dir: dir, disabled: inMemory}
	d.reserve.Store(reserve)
	return d
}

// check returns ldp.ErrInsufficientStorage when free space is below the
// reserve.
func (d *diskGuard) check() error {
	reserve := d.reserve.Load()
	if d.disabled || reserve <= 0 {
		return nil
	}
	free, err := d.freeBytes()
	if err != nil {
		return fmt.Errorf("badgerstore: free space of %s: %w", d.dir, err)
	}
	if free < reserve {
		return fmt.Errorf("%w: %d bytes free, reserve is %d", ldp.ErrInsufficientStorage, free, reserve)
	}
	return nil
}

// freeBytes returns the cached reading, refreshing it when older than
// diskCacheFor.
func (d *diskGuard) freeBytes() (int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.checked.IsZero() && time.Since(d.checked) < diskCacheFor {
		return d.free, nil
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(d.dir, &st); err != nil {
		return 0, err
	}
	d.free = int64(st.Bavail) * int64(st.Bsize)
	d.checked = time.Now()
	return d.free, nil
}

// SetDiskReserve changes the free-space reserve (bytes; 0 or negative
// disables the check) and forgets the cached reading.
func (s *Store) SetDiskReserve(n int64) {
	s.disk.reserve.Store(n)
	s.disk.mu.Lock()
	s.disk.checked = time.Time{}
	s.disk.mu.Unlock()
}
