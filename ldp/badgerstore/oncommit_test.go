package badgerstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
)

// OnCommit sees every committed change, in Seq order, before the write that
// made it returns; refused writes are not reported.
func TestOnCommit(t *testing.T) {
	var mu sync.Mutex
	var seen []event.Change
	s, _ := openTemp(t, Options{DiskReserve: -1, OnCommit: func(cs []event.Change) {
		mu.Lock()
		seen = append(seen, cs...)
		mu.Unlock()
	}})
	has := func(path string) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range seen {
			if c.Path == path {
				return true
			}
		}
		return false
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := fmt.Sprintf("/c%d/doc", i%4)
			p += fmt.Sprint(i)
			if _, _, err := s.Put(ctx, ldp.PutRequest{Path: p, Body: strings.NewReader("x")}); err != nil {
				t.Error(err)
				return
			}
			if !has(p) {
				t.Errorf("Put(%s) returned before OnCommit saw it", p)
			}
		}()
	}
	wg.Wait()
	if err := s.Delete(ctx, ldp.DeleteRequest{Path: "/c0/doc0"}); err != nil {
		t.Fatal(err)
	}
	if !has("/c0/doc0") {
		t.Fatal("delete not reported")
	}
	n := len(seen)
	if _, _, err := s.Put(ctx, ldp.PutRequest{Path: "/c1/doc1", Body: strings.NewReader("y"),
		Precondition: func(*ldp.Meta) error { return ldp.ErrPreconditionFailed }}); err == nil {
		t.Fatal("precondition ignored")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != n {
		t.Fatalf("a refused write was reported: %+v", seen[n:])
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].Seq <= seen[i-1].Seq {
			t.Fatalf("out of order: %d after %d", seen[i].Seq, seen[i-1].Seq)
		}
	}
}
