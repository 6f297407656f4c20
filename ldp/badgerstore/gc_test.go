package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/ldp"
)

func TestValueLogGC(t *testing.T) {
	s, _ := openTemp(t, Options{GCInterval: 10 * time.Millisecond})
	for i := range 20 {
		p := "/gc/" + string(rune('a'+i%4))
		if _, _, err := s.Put(context.Background(), ldp.PutRequest{Path: p, Body: bytes.NewReader(patternBody(p, 200<<10))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.runValueLogGC(); err != nil {
		t.Fatalf("value-log GC: %v", err)
	}
	time.Sleep(30 * time.Millisecond) // let the background loop run too
	if _, body, err := readBody(t, s, "/gc/a"); err != nil || !bytes.Equal(body, patternBody("/gc/a", 200<<10)) {
		t.Fatalf("read after GC: %d bytes, %v", len(body), err)
	}
}

// TestOrphanBlobs: a blob no record points at (a crash between writing a
// large body and committing its resource) is removed at Open, and a failed
// Put removes its own blob at once.
func TestOrphanBlobs(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	kept := patternBody("/kept", 3<<20)
	if _, _, err := s.Put(ctx, ldp.PutRequest{Path: "/kept", Body: bytes.NewReader(kept)}); err != nil {
		t.Fatal(err)
	}
	// A crash after the chunks were written: stage a streamed body only.
	b, err := s.stageBody(ctx, ldp.PutRequest{Path: "/lost", Body: &patternReader{n: 3 << 20}}, 0)
	if err != nil || !b.written {
		t.Fatalf("stageBody: written=%v err=%v", b != nil && b.written, err)
	}
	// A Put refused by its precondition after streaming.
	refuse := errors.New("refused")
	_, _, err = s.Put(ctx, ldp.PutRequest{Path: "/refused", Body: &patternReader{n: 3 << 20},
		Precondition: func(*ldp.Meta) error { return refuse }})
	if !errors.Is(err, refuse) {
		t.Fatalf("Put = %v", err)
	}
	waitBackground(s)
	if n := blobCount(t, s); n != 2 {
		t.Fatalf("%d blobs before reopen, want 2 (kept and the staged one)", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := blobCount(t, s); n != 1 {
		t.Fatalf("%d blobs after reopen, want 1", n)
	}
	if _, body, err := readBody(t, s, "/kept"); err != nil || !bytes.Equal(body, kept) {
		t.Fatalf("kept body after sweep: %d bytes, %v", len(body), err)
	}
}

// TestReplacedBlobsFreed: replacing or deleting a chunked body frees it.
func TestReplacedBlobsFreed(t *testing.T) {
	s, _ := openTemp(t, Options{})
	ctx := context.Background()
	for _, n := range []int64{100 << 10, 3 << 20, 10} {
		if _, _, err := s.Put(ctx, ldp.PutRequest{Path: "/r", Body: &patternReader{n: n}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Put(ctx, ldp.PutRequest{Path: "/d", Body: &patternReader{n: 3 << 20}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, ldp.DeleteRequest{Path: "/d"}); err != nil {
		t.Fatal(err)
	}
	waitBackground(s)
	if n := blobCount(t, s); n != 0 {
		t.Fatalf("%d blobs left, want 0", n)
	}
}

// TestLargeBodyStreams: a body far larger than a staged batch is written
// and read back chunk by chunk.
func TestLargeBodyStreams(t *testing.T) {
	s, _ := openTemp(t, Options{})
	const n = 64 << 20
	m, _, err := s.Put(context.Background(), ldp.PutRequest{Path: "/big.bin", ContentType: "application/octet-stream", Body: &patternReader{n: n}})
	if err != nil {
		t.Fatal(err)
	}
	_, rc, err := s.Open(context.Background(), "/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	want := &patternReader{n: n}
	got, wantBuf := make([]byte, 32<<10), make([]byte, 32<<10)
	var total int64
	for {
		k, err := rc.Read(got)
		if k > 0 {
			if _, err := want.Read(wantBuf[:k]); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[:k], wantBuf[:k]) {
				t.Fatalf("byte mismatch near offset %d", total)
			}
			total += int64(k)
		}
		if err != nil {
			break
		}
	}
	if total != n || m.Size != n {
		t.Fatalf("read %d bytes, Size %d, want %d", total, m.Size, n)
	}
}

// TestReaderIsASnapshot: a reader opened before a replace keeps reading
// the old body.
func TestReaderIsASnapshot(t *testing.T) {
	s, _ := openTemp(t, Options{})
	ctx := context.Background()
	old := patternBody("old", 300<<10)
	if _, _, err := s.Put(ctx, ldp.PutRequest{Path: "/s", Body: bytes.NewReader(old)}); err != nil {
		t.Fatal(err)
	}
	_, rc, err := s.Open(ctx, "/s")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	putString(t, s, "/s", strings.Repeat("new", 10))
	waitBackground(s)
	var got bytes.Buffer
	if _, err := got.ReadFrom(rc); err != nil || !bytes.Equal(got.Bytes(), old) {
		t.Fatalf("snapshot read: %d bytes, %v", got.Len(), err)
	}
}

// waitBackground drops every freed body that can be dropped now and runs
// value-log GC, as the periodic pass does.
func waitBackground(s *Store) {
	if err := s.reclaim(true); err != nil {
		panic(err)
	}
}
