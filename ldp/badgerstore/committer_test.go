package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/naamio/naamio/ldp"
)

// TestBatchedCompareAndSwap: writers increment one counter with
// read-then-If-Match writes. Writes in one group commit see the earlier
// ones' pending writes, so exactly the increments whose precondition held
// are kept, and none is lost.
func TestBatchedCompareAndSwap(t *testing.T) {
	s, _ := openTemp(t, Options{})
	ctx := context.Background()
	putString(t, s, "/n", "0")
	const writers, per = 16, 25
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for done := 0; done < per; {
				m, b, err := readBody(t, s, "/n")
				if err != nil {
					t.Error(err)
					return
				}
				n, _ := strconv.Atoi(string(b))
				_, _, err = s.Put(ctx, ldp.PutRequest{Path: "/n", ContentType: "text/plain",
					Body: strings.NewReader(strconv.Itoa(n + 1)),
					Precondition: func(cur *ldp.Meta) error {
						if cur == nil || cur.ETag != m.ETag {
							return ldp.ErrPreconditionFailed
						}
						return nil
					}})
				switch {
				case err == nil:
					done++
				case !errors.Is(err, ldp.ErrPreconditionFailed):
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if _, b, _ := readBody(t, s, "/n"); string(b) != strconv.Itoa(writers*per) {
		t.Fatalf("counter = %s, want %d", b, writers*per)
	}
}

// TestBatchedCreateOnce: concurrent create-only writes of one path, and of
// children into one new container: exactly one create wins, and every
// child is listed once.
func TestBatchedCreateOnce(t *testing.T) {
	s, _ := openTemp(t, Options{})
	ctx := context.Background()
	const n = 32
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range n {
		wg.Go(func() {
			_, _, err := s.Put(ctx, ldp.PutRequest{Path: "/once", ContentType: "text/plain",
				Body: strings.NewReader(fmt.Sprint(i)),
				Precondition: func(cur *ldp.Meta) error {
					if cur != nil {
						return ldp.ErrPreconditionFailed
					}
					return nil
				}})
			if err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			} else if !errors.Is(err, ldp.ErrPreconditionFailed) {
				t.Error(err)
			}
			putString(t, s, fmt.Sprintf("/a/b/%d", i), "x")
		})
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d creates won, want 1", won)
	}
	kids, err := s.Children(ctx, "/a/b/")
	if err != nil {
		t.Fatal(err)
	}
	if len(kids) != n {
		t.Fatalf("%d children, want %d", len(kids), n)
	}
	creates := 0
	for _, c := range allChanges(t, s) {
		if c.Path == "/a/" || c.Path == "/a/b/" {
			creates++
		}
	}
	if creates != 2 {
		t.Fatalf("%d entries for the intermediate containers, want 2", creates)
	}
}

// TestWriteAfterClose: a write after Close fails instead of hanging.
func TestWriteAfterClose(t *testing.T) {
	s, _ := openTemp(t, Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Put(context.Background(), ldp.PutRequest{Path: "/x", ContentType: "text/plain", Body: strings.NewReader("x")})
	if !errors.Is(err, errClosed) {
		t.Fatalf("Put after Close = %v, want errClosed", err)
	}
}

// TestBatchDropsHalfAppliedWrite: a write whose plan fails half-way into
// the batch transaction (here a key over Badger's limit after a good one)
// leaves nothing behind, and the writes queued around it still commit.
func TestBatchDropsHalfAppliedWrite(t *testing.T) {
	s, _ := openTemp(t, Options{})
	rec := func() *record { return &record{contentType: "text/plain", etag: `"e"`} }
	good := func(path string) func(*badger.Txn) (*plan, error) {
		return func(*badger.Txn) (*plan, error) {
			return &plan{puts: []putOp{{path: path, rec: rec()}}}, nil
		}
	}
	bad := func(*badger.Txn) (*plan, error) {
		return &plan{puts: []putOp{{path: "/partial", rec: rec()}, {path: "/" + strings.Repeat("k", 70000), rec: rec()}}}, nil
	}
	fns := []func(*badger.Txn) (*plan, error){good("/g1"), good("/g2"), bad, good("/g3")}
	reqs := make([]*writeReq, len(fns))
	s.cm.mu.Lock() // queue them together, so they share a batch
	for i, fn := range fns {
		reqs[i] = &writeReq{ctx: context.Background(), fn: fn, done: make(chan writeResult, 1)}
		s.cm.queue = append(s.cm.queue, reqs[i])
	}
	s.cm.mu.Unlock()
	s.cm.signal()
	for i, r := range reqs {
		res := <-r.done
		if (res.err != nil) != (i == 2) {
			t.Fatalf("write %d: %v", i, res.err)
		}
	}
	for _, p := range []string{"/g1", "/g2", "/g3"} {
		if _, err := s.Stat(context.Background(), p); err != nil {
			t.Fatalf("Stat %s: %v", p, err)
		}
	}
	if _, err := s.Stat(context.Background(), "/partial"); !errors.Is(err, ldp.ErrNotFound) {
		t.Fatalf("Stat /partial = %v, want not found", err)
	}
}
