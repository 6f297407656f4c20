package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
)

// putString stores body at path.
func putString(t testing.TB, s *Store, path, body string) ldp.Meta {
	t.Helper()
	m, _, err := s.Put(context.Background(), ldp.PutRequest{Path: path, ContentType: "text/plain", Body: strings.NewReader(body)})
	if err != nil {
		t.Fatalf("Put %s: %v", path, err)
	}
	return m
}

// readBody returns the whole body at path.
func readBody(t testing.TB, s *Store, path string) (ldp.Meta, []byte, error) {
	t.Helper()
	m, rc, err := s.Open(context.Background(), path)
	if err != nil {
		return m, nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return m, b, err
}

// allChanges reads the whole change log.
func allChanges(t testing.TB, s *Store) []event.Change {
	t.Helper()
	var out []event.Change
	var cur event.Cursor
	for {
		cs, err := s.Changes(context.Background(), cur, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			return out
		}
		out = append(out, cs...)
		cur = event.Cursor(cs[len(cs)-1].Seq)
	}
}

// patternBody is a deterministic body of n bytes for a path, so a reader
// can check it without keeping it.
func patternBody(path string, n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%s:%d;", path, i)
	}
	return b.Bytes()[:n]
}

// patternReader yields n deterministic bytes without holding them.
type patternReader struct {
	n, off int64
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	for i := range p {
		x := r.off + int64(i)
		p[i] = byte(x*7 + x>>13)
	}
	r.off += int64(len(p))
	return len(p), nil
}

// blobCount counts distinct blobs stored.
func blobCount(t testing.TB, s *Store) int {
	t.Helper()
	refs := map[blobID]bool{}
	err := s.forEachBlobKey(func(id blobID) { refs[id] = true })
	if err != nil {
		t.Fatal(err)
	}
	return len(refs)
}

func isErr(err, target error) bool { return errors.Is(err, target) }
