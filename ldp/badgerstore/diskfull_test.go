package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/naamio/naamio/internal/testdeps"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
)

// SECURITY row 53: a really full disk, on a tmpfs of its own. Badger
// writes through memory-mapped files, so a write it makes without room is
// a SIGBUS that would kill this test binary.

// mountTmpfs mounts a tmpfs of size bytes and unmounts it at the end.
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		testdeps.Missing(t, testdeps.Root, "SECURITY row 53 disk-full test needs root to mount a tmpfs (mount -t tmpfs)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	return dir
}

// fillUp grows filler until at most leave bytes are free.
func fillUp(t *testing.T, filler string, leave int64) {
	t.Helper()
	f, err := os.OpenFile(filler, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := bytes.Repeat([]byte{0xF1}, 1<<20)
	for {
		free, err := freeSpace(filepath.Dir(filler))
		if err != nil {
			t.Fatal(err)
		}
		if free <= leave {
			return
		}
		if _, err := f.Write(buf[:min(int64(len(buf)), free-leave)]); errors.Is(err, syscall.ENOSPC) {
			return
		} else if err != nil {
			t.Fatal(err)
		}
	}
}

func TestDiskFullRefusesBeforeBadgerFaults(t *testing.T) {
	mnt := mountTmpfs(t, 96<<20)
	dir := filepath.Join(mnt, "data")
	s, err := Open(dir, Options{DiskReserve: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	putString(t, s, "/kept", "kept")
	big := patternBody("/big", 3<<20)
	if _, _, err := s.Put(ctx, ldp.PutRequest{Path: "/big", Body: bytes.NewReader(big)}); err != nil {
		t.Fatal(err)
	}
	tokens, err := s.KV(kv.Tokens)
	if err != nil {
		t.Fatal(err)
	}

	// 4 MiB free, above the reserve: what Badger may still write into
	// its mapped files does not fit, so writes are refused rather than
	// fault.
	fillUp(t, filepath.Join(mnt, "filler"), 4<<20)
	if _, _, err := s.Put(ctx, ldp.PutRequest{Path: "/huge", Body: &patternReader{n: 8 << 20}}); !isErr(err, ldp.ErrInsufficientStorage) {
		t.Errorf("8 MiB Put with 4 MiB free: %v, want ErrInsufficientStorage", err)
	}
	refused := false
	for i := 0; i < 2000 && !refused; i++ {
		_, _, err := s.Put(ctx, ldp.PutRequest{Path: fmt.Sprintf("/burst/%d", i), Body: &patternReader{n: 20 << 10}})
		refused = isErr(err, ldp.ErrInsufficientStorage)
		if err != nil && !refused {
			t.Fatal(err)
		}
	}
	if !refused {
		t.Error("2000 writes of 20 KiB with 4 MiB free: none refused")
	}

	fillUp(t, filepath.Join(mnt, "filler"), 0)
	for i, body := range []io.Reader{bytes.NewReader([]byte("x")), &patternReader{n: 8 << 20}} {
		_, _, err := s.Put(ctx, ldp.PutRequest{Path: fmt.Sprintf("/new%d", i), Body: body})
		if !isErr(err, ldp.ErrInsufficientStorage) {
			t.Errorf("Put %d on a full disk: %v, want ErrInsufficientStorage", i, err)
		}
	}
	if err := tokens.Put(ctx, "k", []byte("v"), 0); !isErr(err, ldp.ErrInsufficientStorage) || !isErr(err, kv.ErrInsufficientStorage) {
		t.Errorf("KV Put on a full disk: %v, want ErrInsufficientStorage", err)
	}
	if err := s.Delete(ctx, ldp.DeleteRequest{Path: "/kept"}); !isErr(err, ldp.ErrInsufficientStorage) {
		t.Errorf("Delete on a full disk: %v, want ErrInsufficientStorage", err)
	}
	if _, b, err := readBody(t, s, "/big"); err != nil || !bytes.Equal(b, big) {
		t.Errorf("read on a full disk: %d bytes, %v", len(b), err)
	}

	if err := os.Remove(filepath.Join(mnt, "filler")); err != nil {
		t.Fatal(err)
	}
	putString(t, s, "/after", "space returned")
	if err := tokens.Put(ctx, "k", []byte("v"), 0); err != nil {
		t.Errorf("KV Put with space: %v", err)
	}
}

// TestDiskFullOpensReadOnly: a store whose disk filled while it was closed
// opens read-only, serves reads (a body streamed across the reopening
// included), refuses writes, and opens for writing by itself once space
// returns.
func TestDiskFullOpensReadOnly(t *testing.T) {
	mnt := mountTmpfs(t, 96<<20)
	dir := filepath.Join(mnt, "data")
	filler := filepath.Join(mnt, "filler")
	s, err := Open(dir, Options{DiskReserve: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	putString(t, s, "/kept", "kept")
	big := patternBody("/big", 2<<20)
	if _, _, err := s.Put(ctx, ldp.PutRequest{Path: "/big", Body: bytes.NewReader(big)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	fillUp(t, filler, 0)
	s, err = Open(dir, Options{DiskReserve: 1 << 20})
	if err != nil {
		t.Fatalf("Open on a full disk: %v", err)
	}
	defer s.Close()
	if !s.disk.readOnly.Load() {
		t.Fatal("store opened for writing on a full disk")
	}
	// What the server's readiness and metrics read (issue 16 item 4).
	if !s.ReadOnly() || !isErr(s.CanWrite(), ldp.ErrInsufficientStorage) {
		t.Fatalf("read-only store: ReadOnly %v, CanWrite %v", s.ReadOnly(), s.CanWrite())
	}
	if _, _, err := s.Put(ctx, ldp.PutRequest{Path: "/new", Body: bytes.NewReader([]byte("x"))}); !isErr(err, ldp.ErrInsufficientStorage) {
		t.Fatalf("Put on a read-only store: %v, want ErrInsufficientStorage", err)
	}
	if _, b, err := readBody(t, s, "/kept"); err != nil || string(b) != "kept" {
		t.Fatalf("read on a read-only store: %q, %v", b, err)
	}
	// A reader opened now reads on across the reopening.
	_, rc, err := s.Open(ctx, "/big")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	head := make([]byte, 100<<10)
	if _, err := io.ReadFull(rc, head); err != nil {
		t.Fatal(err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.disk.readOnly.Load() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if s.disk.readOnly.Load() {
		t.Fatal("still read-only 10 s after space returned")
	}
	if s.ReadOnly() || s.CanWrite() != nil {
		t.Fatalf("reopened store: ReadOnly %v, CanWrite %v", s.ReadOnly(), s.CanWrite())
	}
	rest, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(append(head, rest...), big) {
		t.Fatalf("body streamed across the reopening: %d bytes, %v", len(head)+len(rest), err)
	}
	putString(t, s, "/after", "space returned")
	if _, b, err := readBody(t, s, "/after"); err != nil || string(b) != "space returned" {
		t.Fatalf("read after reopening: %q, %v", b, err)
	}
}

// TestTrimWALsAllowsReadOnlyOpen: the write-ahead logs a run leaves when it
// does not close the database are refused by a read-only Badger until they
// are trimmed, and trimming loses no acknowledged write.
func TestTrimWALsAllowsReadOnlyOpen(t *testing.T) {
	dir := t.TempDir()
	opts := Options{valueLogFileSize: 1 << 20}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for i := range 40 {
		p := fmt.Sprintf("/w/%02d", i)
		want[p] = patternBody(p, []int{30, 5000, 70 << 10}[i%3])
		if _, _, err := s.Put(context.Background(), ldp.PutRequest{Path: p, Body: bytes.NewReader(want[p])}); err != nil {
			t.Fatal(err)
		}
	}
	// A copy of the files as they are now is what a crash leaves.
	crashed := t.TempDir()
	copyDir(t, dir, crashed)
	_ = s.Close()
	if len(globT(t, crashed, "*.mem")) == 0 {
		t.Fatal("no write-ahead log to trim")
	}
	z := sizesFor(crashed, opts.withDefaults())
	ro := badgerOptions(crashed, opts.withDefaults(), z).WithReadOnly(true)
	if db, err := badger.Open(ro); err == nil {
		_ = db.Close()
		t.Fatal("read-only open of untrimmed logs succeeded: the trim is not needed")
	} else if !strings.Contains(err.Error(), badger.ErrTruncateNeeded.Error()) {
		t.Fatalf("read-only open of untrimmed logs: %v", err)
	}
	if err := trimWALs(crashed); err != nil {
		t.Fatal(err)
	}
	db, err := badger.Open(ro)
	if err != nil {
		t.Fatalf("read-only open after trimming: %v", err)
	}
	_ = db.Close()
	s, err = Open(crashed, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for p, b := range want {
		if _, got, err := readBody(t, s, p); err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s after trimming: %d bytes, %v", p, len(got), err)
		}
	}
}

func globT(t *testing.T, dir, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
