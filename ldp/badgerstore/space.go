package badgerstore

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/naamio/naamio/ldp"
)

// What Badger may still write (SECURITY row 53).
//
// Badger writes its value log (*.vlog), its write-ahead logs (*.mem) and
// its tables (*.sst) through memory-mapped files it has first extended
// with ftruncate: a new value-log file is a sparse file of twice
// ValueLogFileSize, a new write-ahead log one of twice MemTableSize. A
// page of such a file gets disk space only when Badger first writes to
// it, and when the file system has none left that write is a SIGBUS that
// kills the process, not an error. Refusing a write when the free space
// is below the operator's reserve is therefore not enough: the reserve
// must also leave room for everything Badger may still write into the
// files it has already created, and for the files it creates next.
//
// need estimates that room from the data directory: the unwritten part
// of the active value-log file up to ValueLogFileSize (Badger starts a
// new file once it passes that size) and of the active write-ahead log up
// to MemTableSize (likewise), plus the tables that flushing every
// memtable writes, plus a share of the tables compaction rewrites before
// it deletes the old ones. Allocated bytes are read from st_blocks, so a
// sparse file counts only what it really holds.

// compactionShare: compaction may write this share of the tables' size
// before the tables it replaces are deleted (an estimate; Badger compacts
// one level pair at a time, table by table).
const compactionShare = 4

// discardFileSize is the size of Badger's DISCARD file (discard.go), which
// it creates and zeroes at its first open.
const discardFileSize = 1 << 20

// sizes are the Badger file sizes the store uses.
type sizes struct {
	valueLog int64 // ValueLogFileSize
	memTable int64 // MemTableSize
}

// dirUsage is what the data directory holds.
type dirUsage struct {
	vlogAlloc  int64 // bytes allocated to the active (newest) value-log file; -1: none
	memAlloc   int64 // bytes allocated to the newest write-ahead log; -1: none
	memTotal   int64 // bytes allocated to all write-ahead logs
	tables     int64 // bytes of all tables
	hasDiscard bool
}

// scanDir reads the sizes need works from.
func scanDir(dir string) (dirUsage, error) {
	u := dirUsage{vlogAlloc: -1, memAlloc: -1}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return u, err
	}
	vlogFid, memFid := -1, -1
	for _, e := range entries {
		name := e.Name()
		ext := filepath.Ext(name)
		if name == "DISCARD" {
			u.hasDiscard = true
			continue
		}
		if ext != ".vlog" && ext != ".mem" && ext != ".sst" {
			continue
		}
		var st syscall.Stat_t
		if err := syscall.Stat(filepath.Join(dir, name), &st); err != nil {
			continue // removed meanwhile (a flushed memtable, a compacted table)
		}
		alloc := st.Blocks * 512
		fid, err := strconv.Atoi(strings.TrimSuffix(name, ext))
		if err != nil {
			continue
		}
		switch ext {
		case ".sst":
			u.tables += st.Size
		case ".vlog":
			if fid > vlogFid {
				vlogFid, u.vlogAlloc = fid, alloc
			}
		case ".mem":
			u.memTotal += alloc
			if fid > memFid {
				memFid, u.memAlloc = fid, alloc
			}
		}
	}
	return u, nil
}

// need is the room Badger may still fill in a store that is open for
// writing, and the slack: the bytes that can be written before the active
// value-log file or write-ahead log is full and Badger starts a new one.
func (z sizes) need(u dirUsage) (need, slack int64) {
	vlog := z.valueLog
	if u.vlogAlloc >= 0 {
		vlog = max(0, z.valueLog-u.vlogAlloc)
	}
	mem := z.memTable
	if u.memAlloc >= 0 {
		mem = max(0, z.memTable-u.memAlloc)
	}
	return vlog + mem + z.background(u), min(vlog, mem)
}

// openNeed is the room opening the store for writing may fill: Badger
// starts a new value-log file and a new write-ahead log, flushes the
// write-ahead logs left by the last run into tables, and creates its
// DISCARD file the first time.
func (z sizes) openNeed(u dirUsage) int64 {
	n := z.valueLog + z.memTable + u.memTotal + z.background(u)
	if !u.hasDiscard {
		n += discardFileSize
	}
	return n
}

// background is the room for tables written by memtable flushes (two
// memtables) and by compaction.
func (z sizes) background(u dirUsage) int64 {
	return numMemtables*z.memTable + u.tables/compactionShare
}

// valueLogSizeFor picks the value-log file size for a file system of total
// bytes: a 32nd of it, between 1 MiB (Badger's minimum) and
// valueLogFileSize. Badger keeps the active file's unwritten part mapped
// (up to twice the size) and the store must keep room for it, so on a
// small disk a smaller file leaves more of the disk usable.
func valueLogSizeFor(total int64) int64 {
	return min(max(total/32, 1<<20), valueLogFileSize) &^ (1<<20 - 1)
}

// fsTotal is the size of the file system holding dir (0 when unknown).
func fsTotal(dir string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0
	}
	return int64(st.Blocks) * int64(st.Bsize)
}

// sizesFor picks the Badger file sizes for a store in dir.
func sizesFor(dir string, o Options) sizes {
	z := sizes{valueLog: valueLogFileSize, memTable: memTableSize}
	switch {
	case o.valueLogFileSize > 0:
		z.valueLog = o.valueLogFileSize
	case fsTotal(dir) > 0:
		z.valueLog = valueLogSizeFor(fsTotal(dir))
	}
	return z
}

// mustOpenReadOnly reports whether the disk lacks the room to open the
// store in dir for writing. A store that does not exist yet cannot be
// created read-only: that is an error.
func mustOpenReadOnly(dir string, z sizes) (bool, error) {
	free, need, err := roomToOpen(dir, z)
	if err != nil {
		return false, err
	}
	if free >= need {
		return false, nil
	}
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST")); err != nil {
		return false, fmt.Errorf("%w: no room on the disk to create a store (%d bytes free, %d needed)",
			ldp.ErrInsufficientStorage, free, need)
	}
	return true, nil
}

// roomToOpen returns the free space and what opening dir for writing
// needs.
func roomToOpen(dir string, z sizes) (free, need int64, err error) {
	u, err := scanDir(dir)
	if err != nil {
		return 0, 0, err
	}
	free, err = freeSpace(dir)
	return free, z.openNeed(u), err
}

// closeMargin is the room Close needs besides the memtable's table: the
// table's index and footer, and discard statistics written to new pages
// of Badger's DISCARD file.
const closeMargin = 1 << 20

// roomToClose reports whether Close can flush the memtables, whose tables
// take at most what their write-ahead logs hold.
func roomToClose(dir string) (free, need int64, ok bool) {
	u, err := scanDir(dir)
	if err != nil {
		return 0, 0, true // cannot tell: close as usual
	}
	free, err = freeSpace(dir)
	if err != nil {
		return 0, 0, true
	}
	need = u.memTotal + closeMargin
	return free, need, free >= need
}
