package badgerstore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
)

// fillAndClose writes a few resources of every body kind and closes the
// store, so the directory holds an SST, a value log and a MANIFEST.
func fillAndClose(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string][]byte{}
	for i, n := range []int{0, 10, 5000, 20 << 10, 200 << 10, 3 << 20} {
		p := "/data/r" + string(rune('a'+i))
		bodies[p] = patternBody(p, n)
		if _, _, err := s.Put(context.Background(), ldp.PutRequest{Path: p, Body: bytes.NewReader(bodies[p])}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return bodies
}

func TestReopenPersists(t *testing.T) {
	dir := t.TempDir()
	bodies := fillAndClose(t, dir)
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for p, want := range bodies {
		m, got, err := readBody(t, s, p)
		if err != nil || !bytes.Equal(got, want) || m.Size != int64(len(want)) {
			t.Fatalf("%s after reopen: %d bytes, err %v; want %d bytes", p, len(got), err, len(want))
		}
	}
	cs := allChanges(t, s)
	if len(cs) != 2+len(bodies) { // root, /data/ and the resources
		t.Fatalf("%d changes after reopen, want %d", len(cs), 2+len(bodies))
	}
	m := putString(t, s, "/after", "x")
	last := allChanges(t, s)
	if got := last[len(last)-1]; got.Path != "/after" || got.Seq != cs[len(cs)-1].Seq+1 || got.ETag != m.ETag {
		t.Fatalf("first entry after reopen = %+v, want /after right after Seq %d", got, cs[len(cs)-1].Seq)
	}
	if !lastOf(last).Time.After(cs[len(cs)-1].Time) {
		t.Fatal("commit time went backwards across reopen")
	}
}

func lastOf(cs []event.Change) event.Change { return cs[len(cs)-1] }

// TestOpenRefusesDamage: a damaged directory is refused with an error at
// Open (or, for damage Open cannot see, every read of the damaged data
// fails); it never serves wrong bytes (SECURITY row 54).
func TestOpenRefusesDamage(t *testing.T) {
	damage := map[string]func(t *testing.T, dir string){
		"truncated MANIFEST": func(t *testing.T, dir string) { truncate(t, filepath.Join(dir, "MANIFEST"), 0.5) },
		"garbage MANIFEST":   func(t *testing.T, dir string) { scribble(t, filepath.Join(dir, "MANIFEST"), 1) },
		"missing MANIFEST":   func(t *testing.T, dir string) { remove(t, filepath.Join(dir, "MANIFEST")) },
		"truncated SST":      func(t *testing.T, dir string) { truncate(t, only(t, dir, ".sst"), 0.5) },
		"scribbled SST":      func(t *testing.T, dir string) { scribble(t, only(t, dir, ".sst"), 97) },
		// One flipped byte inside the first data block: the table's
		// trailer and index are intact, only the block checksum can tell.
		"one damaged block": func(t *testing.T, dir string) { flipByte(t, only(t, dir, ".sst"), 40) },
		"truncated KEYREGISTRY": func(t *testing.T, dir string) {
			truncate(t, filepath.Join(dir, "KEYREGISTRY"), 0.5)
		},
	}
	for name, hurt := range damage {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			fillAndClose(t, dir)
			hurt(t, dir)
			s, err := Open(dir, Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded on a damaged store")
			}
			if !strings.Contains(err.Error(), "badgerstore: open") {
				t.Fatalf("error %q does not say what failed", err)
			}
		})
	}
}

// TestDamagedValueLogNeverServesWrongBytes: bodies live in the value log;
// scribbling over it must make reads fail, not return other bytes.
func TestDamagedValueLogNeverServesWrongBytes(t *testing.T) {
	for _, mode := range []string{"scribbled", "truncated"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			bodies := fillAndClose(t, dir)
			vlog := only(t, dir, ".vlog")
			if mode == "scribbled" {
				scribble(t, vlog, 211)
			} else {
				truncate(t, vlog, 0.3)
			}
			s, err := Open(dir, Options{})
			if err != nil {
				return // refused at Open: fine
			}
			defer s.Close()
			for p, want := range bodies {
				_, body, err := readBody(t, s, p)
				if err == nil && !bytes.Equal(body, want) {
					t.Fatalf("%s: served %d wrong bytes without an error", p, len(body))
				}
			}
		})
	}
}

func TestOpenRefusesForeignDatabase(t *testing.T) {
	dir := t.TempDir()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(txn *badger.Txn) error { return txn.Set([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if s, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "not a naamio store") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open = %v, want a not-a-naamio-store error", err)
	}
}

func TestOpenOnAFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(f, Options{}); err == nil {
		s.Close()
		t.Fatal("Open on a regular file succeeded")
	}
}

// only returns the one file in dir with the suffix.
func only(t *testing.T, dir, suffix string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*"+suffix))
	if len(m) != 1 {
		t.Fatalf("want one %s file, have %v", suffix, m)
	}
	return m[0]
}

// truncate cuts a file to the given fraction of its size.
func truncate(t *testing.T, path string, frac float64) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(float64(fi.Size())*frac)); err != nil {
		t.Fatal(err)
	}
}

// scribble flips every step-th byte of a file, past its first 16 bytes.
func scribble(t *testing.T, path string, step int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 16; i < len(b); i += step {
		b[i] ^= 0x5a
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// flipByte inverts one byte of a file.
func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}
