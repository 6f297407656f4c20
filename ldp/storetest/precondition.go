package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/naamio/naamio/ldp"
)

// ifMatch is the precondition an If-Match header makes.
func ifMatch(etag string) ldp.Precondition {
	return func(cur *ldp.Meta) error {
		if cur == nil || cur.ETag != etag {
			return ldp.ErrPreconditionFailed
		}
		return nil
	}
}

func testPreconditionSeesCurrent(t *testing.T, s ldp.Store) {
	ctx := context.Background()
	var seen []*ldp.Meta
	record := func(cur *ldp.Meta) error {
		if cur != nil {
			c := *cur
			cur = &c
		}
		seen = append(seen, cur)
		return nil
	}
	_, _, err := s.Put(ctx, ldp.PutRequest{Path: "/p", Body: strings.NewReader("1"), Precondition: record})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) == 0 || seen[len(seen)-1] != nil {
		t.Fatalf("precondition on a new resource saw %+v, want nil", seen)
	}
	m := stat(t, s, "/p")
	seen = nil
	if _, _, err = s.Put(ctx, ldp.PutRequest{Path: "/p", Body: strings.NewReader("2"), Precondition: record}); err != nil {
		t.Fatal(err)
	}
	if last := seen[len(seen)-1]; last == nil || last.ETag != m.ETag || last.Path != "/p" {
		t.Fatalf("precondition saw %+v, want current %+v", last, m)
	}
	put(t, s, "/pc/child", "x")
	container := stat(t, s, "/pc/")
	seen = nil
	if err := s.Delete(ctx, ldp.DeleteRequest{Path: "/pc/child", Precondition: record}); err != nil {
		t.Fatal(err)
	}
	if last := seen[len(seen)-1]; last == nil || last.Path != "/pc/child" {
		t.Fatalf("delete precondition saw %+v", last)
	}
	seen = nil
	if err := s.Delete(ctx, ldp.DeleteRequest{Path: "/pc/", Precondition: record}); err != nil {
		t.Fatal(err)
	}
	if last := seen[len(seen)-1]; last == nil || last.ETag == container.ETag {
		t.Fatalf("container precondition saw %+v; its ETag must reflect the removed child", last)
	}
}

// testPreconditionAborts: a refusing precondition leaves no trace: no
// resource, no intermediate container, no change entry.
func testPreconditionAborts(t *testing.T, s ldp.Store) {
	ctx := context.Background()
	put(t, s, "/q", "keep")
	before := lastSeq(t, s)
	refuse := errors.New("refused by test")
	pre := func(*ldp.Meta) error { return fmt.Errorf("wrapped: %w", refuse) }

	_, _, err := s.Put(ctx, ldp.PutRequest{Path: "/q", Body: strings.NewReader("lost"), Precondition: pre})
	wantErr(t, "Put replace", err, refuse)
	_, _, err = s.Put(ctx, ldp.PutRequest{Path: "/new/deep/r", Body: strings.NewReader(strings.Repeat("big", 1<<20)), Precondition: pre})
	wantErr(t, "Put create", err, refuse)
	err = s.Delete(ctx, ldp.DeleteRequest{Path: "/q", Precondition: pre})
	wantErr(t, "Delete", err, refuse)
	_, _, err = s.Put(ctx, ldp.PutRequest{Path: "/q", Body: strings.NewReader("lost"), Precondition: ifMatch("nope")})
	wantErr(t, "Put If-Match", err, ldp.ErrPreconditionFailed)

	if _, body := read(t, s, "/q"); string(body) != "keep" {
		t.Fatalf("/q = %q, want unchanged", body)
	}
	for _, p := range []string{"/new/", "/new/deep/", "/new/deep/r"} {
		_, err := s.Stat(ctx, p)
		wantErr(t, "Stat "+p, err, ldp.ErrNotFound)
	}
	if cs := changesAfter(t, s, before); len(cs) != 0 {
		t.Fatalf("aborted writes left changes %v", summary(cs))
	}
}

// testConcurrentIfMatch: of concurrent writers holding the same ETag
// exactly one wins; the others see ErrPreconditionFailed (lost update
// prevention, SECURITY row 10).
func testConcurrentIfMatch(t *testing.T, s ldp.Store) {
	const n = 10
	base := put(t, s, "/race", "base")
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, _, errs[i] = s.Put(context.Background(), ldp.PutRequest{
				Path: "/race", Body: strings.NewReader(fmt.Sprintf("writer %d", i)), Precondition: ifMatch(base.ETag),
			})
		})
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Fatalf("writers %d and %d both succeeded", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, ldp.ErrPreconditionFailed):
			t.Fatalf("writer %d: %v, want ErrPreconditionFailed", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no writer succeeded")
	}
	if _, body := read(t, s, "/race"); string(body) != fmt.Sprintf("writer %d", won) {
		t.Fatalf("body %q is not the winner's", body)
	}
}
