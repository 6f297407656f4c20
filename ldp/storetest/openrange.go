package storetest

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/naamio/naamio/ldp"
)

// testOpenRange: OpenRange returns exactly the bytes asked for, from
// anywhere in a body of many chunks (every store we have chunks at a power
// of two up to 64 KiB, so the offsets below straddle chunk boundaries),
// clamps a length past the end, and refuses an offset at or past the end
// with ErrRangeNotSatisfiable.
func testOpenRange(t *testing.T, s ldp.Store) {
	const size = 3<<16 + 1234 // three full 64 KiB chunks and a short one
	body := make([]byte, size)
	for i := range body {
		body[i] = byte(i*7 + i>>9)
	}
	ctx := context.Background()
	if _, _, err := s.Put(ctx, ldp.PutRequest{Path: "/r.bin", ContentType: "application/octet-stream", Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	put(t, s, "/small.txt", "0123456789")
	put(t, s, "/empty.txt", "")
	cases := []struct {
		name      string
		path      string
		off, n    int64
		want      []byte
		wantError error
	}{
		{"whole", "/r.bin", 0, -1, body, nil},
		{"first byte", "/r.bin", 0, 1, body[:1], nil},
		{"last byte", "/r.bin", size - 1, 1, body[size-1:], nil},
		{"to the end", "/r.bin", 100000, -1, body[100000:], nil},
		{"within a chunk", "/r.bin", 1000, 500, body[1000:1500], nil},
		{"ends at a chunk boundary", "/r.bin", 1<<16 - 10, 10, body[1<<16-10 : 1<<16], nil},
		{"starts at a chunk boundary", "/r.bin", 1 << 16, 10, body[1<<16 : 1<<16+10], nil},
		{"across one boundary", "/r.bin", 1<<16 - 5, 10, body[1<<16-5 : 1<<16+5], nil},
		{"across several", "/r.bin", 4095, 2<<16 + 3, body[4095 : 4095+2<<16+3], nil},
		{"into the short chunk", "/r.bin", 3<<16 - 1, 3, body[3<<16-1 : 3<<16+2], nil},
		{"length past the end", "/r.bin", size - 3, 100, body[size-3:], nil},
		{"zero length", "/r.bin", 10, 0, nil, nil},
		{"inline body", "/small.txt", 3, 4, []byte("3456"), nil},
		{"inline to the end", "/small.txt", 8, -1, []byte("89"), nil},
		{"empty body at 0", "/empty.txt", 0, -1, nil, nil},
		{"offset at the end", "/r.bin", size, 1, nil, ldp.ErrRangeNotSatisfiable},
		{"offset past the end", "/r.bin", size + 1<<20, -1, nil, ldp.ErrRangeNotSatisfiable},
		{"inline offset at the end", "/small.txt", 10, -1, nil, ldp.ErrRangeNotSatisfiable},
		{"missing", "/nope", 0, 1, nil, ldp.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, rc, err := s.OpenRange(ctx, tc.path, tc.off, tc.n)
			if tc.wantError != nil {
				wantErr(t, "OpenRange", err, tc.wantError)
				return
			}
			if err != nil {
				t.Fatalf("OpenRange: %v", err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil {
				t.Fatalf("reading: %v", err)
			}
			if !sameBytes(got, tc.want) {
				t.Fatalf("got %d bytes, want %d (bytes differ: %v)", len(got), len(tc.want), len(got) == len(tc.want))
			}
			if whole := stat(t, s, tc.path); m != whole {
				t.Errorf("meta %+v, want Stat's %+v", m, whole)
			}
		})
	}
}
