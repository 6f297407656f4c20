package badgerstore

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
)

// Trimming Badger's write-ahead logs for a read-only open (SECURITY row
// 53).
//
// A write-ahead log (NNNNN.mem) is created as a sparse file of twice
// MemTableSize and filled from the front; Close flushes it and deletes it.
// A run that did not close the database (killed, or closed on a full disk,
// see Close) leaves logs whose valid entries are followed by unused space.
// Opening for writing, Badger replays each log and truncates it after its
// last complete transaction (memTable.UpdateSkipList); opening read-only,
// it refuses such a log with ErrTruncateNeeded. So before a read-only open
// the store makes the same truncation itself, which only shortens the file
// and needs no disk space.
//
// The scan follows Badger v4.8.0's log format (logFile.iterate, memtable.go;
// safeRead.Entry, value.go): a 20-byte header (key id, IV), then entries of
// meta byte, user-meta byte, uvarint key length, value length and expiry,
// key, value, and a big-endian CRC-32C of all of that. The valid end is
// after the last entry that is not part of a transaction or after the entry
// that finishes one. To be safe against a misreading of the format, a log
// is only trimmed when everything after the valid end is zero bytes, that
// is space Badger never wrote; otherwise it is left as it is and Badger's
// own refusal stands.

const (
	walHeaderSize = 20     // vlogHeaderSize
	walBitTxn     = 1 << 6 // bitTxn
	walBitFinTxn  = 1 << 7 // bitFinTxn
	walMaxKey     = 1 << 16
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// trimWALs trims every write-ahead log in dir to its valid end.
func trimWALs(dir string) error {
	logs, err := filepath.Glob(filepath.Join(dir, "*.mem"))
	if err != nil {
		return err
	}
	for _, p := range logs {
		if err := trimWAL(p); err != nil {
			return fmt.Errorf("trimming write-ahead log %s: %w", filepath.Base(p), err)
		}
	}
	return nil
}

func trimWAL(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(b) <= walHeaderSize {
		return nil
	}
	end := walValidEnd(b)
	if end == len(b) || !allZero(b[end:]) {
		return nil
	}
	return os.Truncate(path, int64(end))
}

// walValidEnd returns the offset after the last complete entry or
// transaction of the log b.
func walValidEnd(b []byte) int {
	off, valid := walHeaderSize, walHeaderSize
	var txnTs uint64 // ts of the transaction being read; 0: none
	for {
		e, n, ok := walEntry(b[off:])
		if !ok {
			return valid
		}
		off += n
		switch {
		case e.meta&walBitTxn != 0:
			ts := keyTs(e.key)
			if txnTs == 0 {
				txnTs = ts
			}
			if ts != txnTs {
				return valid
			}
		case e.meta&walBitFinTxn != 0:
			ts, err := strconv.ParseUint(string(e.value), 10, 64)
			if err != nil || ts != txnTs {
				return valid
			}
			txnTs, valid = 0, off
		default:
			if txnTs != 0 {
				return valid
			}
			valid = off
		}
	}
}

type walRecord struct {
	meta       byte
	key, value []byte
}

// walEntry decodes one entry at the start of b and returns its length; ok
// is false at the end of the valid entries (short, zero or bad checksum).
func walEntry(b []byte) (e walRecord, n int, ok bool) {
	if len(b) < 2 {
		return e, 0, false
	}
	e.meta = b[0]
	i := 2
	var lens [3]uint64
	for j := range lens {
		v, k := binary.Uvarint(b[i:])
		if k <= 0 {
			return e, 0, false
		}
		lens[j] = v
		i += k
	}
	klen, vlen := lens[0], lens[1]
	if klen == 0 || klen > walMaxKey || vlen > uint64(len(b)) || uint64(i)+klen+vlen+4 > uint64(len(b)) {
		return e, 0, false
	}
	end := i + int(klen) + int(vlen)
	if crc32.Checksum(b[:end], castagnoli) != binary.BigEndian.Uint32(b[end:]) {
		return e, 0, false
	}
	e.key, e.value = b[i:i+int(klen)], b[i+int(klen):end]
	return e, end + 4, true
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// keyTs is the version Badger appends to a key (y.ParseTs).
func keyTs(key []byte) uint64 {
	if len(key) <= 8 {
		return 0
	}
	return ^binary.BigEndian.Uint64(key[len(key)-8:])
}
