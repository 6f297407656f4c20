package badgerstore

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// walRec encodes one write-ahead log entry as Badger v4.8.0 does
// (logFile.encodeEntry without encryption).
func walRec(meta byte, key, value []byte) []byte {
	b := []byte{meta, 0}
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = binary.AppendUvarint(b, uint64(len(value)))
	b = binary.AppendUvarint(b, 0)
	b = append(b, key...)
	b = append(b, value...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// versioned appends Badger's version suffix for ts to key.
func versioned(key string, ts uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(key), ^ts)
}

func txnOf(ts uint64, keys ...string) []byte {
	var b []byte
	for _, k := range keys {
		b = append(b, walRec(walBitTxn, versioned(k, ts), []byte("v-"+k))...)
	}
	return append(b, walRec(walBitFinTxn, versioned("!badger!txn", ts), []byte(strconv.FormatUint(ts, 10)))...)
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// TestWALValidEnd: bad and partial logs end where Badger's replay ends.
func TestWALValidEnd(t *testing.T) {
	head := make([]byte, walHeaderSize)
	one := txnOf(5, "a", "b")
	two := txnOf(6, "c")
	bad := walRec(walBitTxn, versioned("d", 7), []byte("x"))
	bad[len(bad)-1] ^= 1 // checksum fails
	huge := []byte{walBitTxn, 0}
	huge = binary.AppendUvarint(huge, 1<<20) // key longer than Badger allows
	for _, c := range []struct {
		name string
		log  []byte
		want int
	}{
		{"header only", head, walHeaderSize},
		{"zeros after the header", cat(head, make([]byte, 64)), walHeaderSize},
		{"one transaction", cat(head, one), walHeaderSize + len(one)},
		{"two transactions and zeros", cat(head, one, two, make([]byte, 4096)), walHeaderSize + len(one) + len(two)},
		{"unfinished transaction", cat(head, one, two[:len(two)-10]), walHeaderSize + len(one)},
		{"entries without their finish", cat(head, one, walRec(walBitTxn, versioned("e", 8), nil)), walHeaderSize + len(one)},
		{"finish of another transaction", cat(head, walRec(walBitTxn, versioned("f", 9), nil), walRec(walBitFinTxn, versioned("!badger!txn", 10), []byte("10"))), walHeaderSize},
		{"finish with a bad timestamp", cat(head, walRec(walBitTxn, versioned("g", 11), nil), walRec(walBitFinTxn, versioned("!badger!txn", 11), []byte("x"))), walHeaderSize},
		{"bad checksum", cat(head, one, bad, two), walHeaderSize + len(one)},
		{"key too long", cat(head, one, huge, make([]byte, 16)), walHeaderSize + len(one)},
		{"lengths past the end", cat(head, one, []byte{walBitTxn, 0, 0x7f, 0x7f, 0}), walHeaderSize + len(one)},
		{"truncated varint", cat(head, one, []byte{walBitTxn, 0, 0xff}), walHeaderSize + len(one)},
		{"entry outside a transaction", cat(head, walRec(0, versioned("h", 12), []byte("v"))), walHeaderSize + len(walRec(0, versioned("h", 12), []byte("v")))},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := walValidEnd(c.log); got != c.want {
				t.Errorf("walValidEnd = %d, want %d", got, c.want)
			}
		})
	}
}

// TestTrimWALOnlyDropsZeros: a log is shortened only when everything after
// its valid end is zeros; a torn tail stays for Badger to judge.
func TestTrimWALOnlyDropsZeros(t *testing.T) {
	head := make([]byte, walHeaderSize)
	one := txnOf(5, "a")
	for _, c := range []struct {
		name string
		log  []byte
		want int
	}{
		{"zero tail trimmed", cat(head, one, make([]byte, 8192)), walHeaderSize + len(one)},
		{"torn tail kept", cat(head, one, txnOf(6, "b")[:9], make([]byte, 100)), walHeaderSize + len(one) + 9 + 100},
		{"nothing to trim", cat(head, one), walHeaderSize + len(one)},
		{"short file kept", []byte{1, 2, 3}, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "00001.mem")
			if err := os.WriteFile(p, c.log, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := trimWAL(p); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() != int64(c.want) {
				t.Errorf("size after trim %d, want %d", fi.Size(), c.want)
			}
		})
	}
}

func FuzzWALValidEnd(f *testing.F) {
	f.Add(cat(make([]byte, walHeaderSize), txnOf(5, "a", "b")))
	f.Add(make([]byte, walHeaderSize+10))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < walHeaderSize {
			return
		}
		if end := walValidEnd(b); end < walHeaderSize || end > len(b) {
			t.Fatalf("end %d outside [%d, %d]", end, walHeaderSize, len(b))
		}
	})
}
