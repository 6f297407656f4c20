package badgerstore

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/naamio/naamio/ldp"
)

func TestDiskReserve(t *testing.T) {
	s, _ := openTemp(t, Options{})
	ctx := context.Background()
	putString(t, s, "/keep", "kept")

	s.SetDiskReserve(math.MaxInt64)
	_, _, err := s.Put(ctx, ldp.PutRequest{Path: "/new", Body: strings.NewReader("x")})
	if !isErr(err, ldp.ErrInsufficientStorage) {
		t.Fatalf("Put below reserve: %v, want ErrInsufficientStorage", err)
	}
	err = s.Delete(ctx, ldp.DeleteRequest{Path: "/keep"})
	if !isErr(err, ldp.ErrInsufficientStorage) {
		t.Fatalf("Delete below reserve: %v, want ErrInsufficientStorage", err)
	}
	if _, err := s.Stat(ctx, "/keep"); err != nil {
		t.Fatalf("Stat below reserve: %v", err)
	}
	if _, body, err := readBody(t, s, "/keep"); err != nil || string(body) != "kept" {
		t.Fatalf("Open below reserve: %q, %v", body, err)
	}

	s.SetDiskReserve(1 << 20)
	putString(t, s, "/new", "x")
	if err := s.Delete(ctx, ldp.DeleteRequest{Path: "/keep"}); err != nil {
		t.Fatalf("Delete with room: %v", err)
	}
}

// TestDiskReserveStopsStreaming: a large body is checked while it streams,
// and its partial blob does not stay behind.
func TestDiskReserveStopsStreaming(t *testing.T) {
	s, _ := openTemp(t, Options{})
	s.SetDiskReserve(math.MaxInt64)
	s.disk.reserve.Store(0) // pass the first check …
	body := &reserveFlipper{patternReader: patternReader{n: 8 << 20}, s: s}
	_, _, err := s.Put(context.Background(), ldp.PutRequest{Path: "/big", Body: body})
	if !isErr(err, ldp.ErrInsufficientStorage) {
		t.Fatalf("Put = %v, want ErrInsufficientStorage", err)
	}
	waitBackground(s)
	if n := blobCount(t, s); n != 0 {
		t.Fatalf("%d blobs left behind", n)
	}
}

// reserveFlipper raises the reserve once the body is half read.
type reserveFlipper struct {
	patternReader
	s *Store
}

func (r *reserveFlipper) Read(p []byte) (int, error) {
	if r.off > r.n/2 {
		r.s.SetDiskReserve(math.MaxInt64)
	}
	return r.patternReader.Read(p)
}
