package storetest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/naamio/naamio/ldp"
)

// NewQuotaStore returns a fresh, empty store that refuses writes taking
// the stored body bytes over quota, and reports its usage.
type NewQuotaStore func(t *testing.T, quota int64) interface {
	ldp.Store
	ldp.UsageReporter
}

// RunQuota runs the quota rules against stores built by newStore: usage
// follows every write, a write that would pass the quota fails with
// ErrQuotaExceeded and writes nothing, shrinking and deleting are always
// allowed, and concurrent writers cannot pass the quota together.
func RunQuota(t *testing.T, newStore NewQuotaStore) {
	t.Run("UsageFollowsWrites", func(t *testing.T) { testUsage(t, newStore(t, 0)) })
	t.Run("Refused", func(t *testing.T) { testQuotaRefused(t, newStore(t, 1<<20)) })
	t.Run("Concurrent", func(t *testing.T) { testQuotaConcurrent(t, newStore(t, 1<<20)) })
}

// putN stores n bytes at path.
func putN(ctx context.Context, s ldp.Store, path string, n int) error {
	_, _, err := s.Put(ctx, ldp.PutRequest{Path: path, ContentType: "application/octet-stream", Body: bytes.NewReader(make([]byte, n))})
	return err
}

// wantUsed fails unless the store reports used bytes.
func wantUsed(t *testing.T, s ldp.UsageReporter, used, quota int64) {
	t.Helper()
	if u := s.Usage(); u.Used != used || u.Quota != quota {
		t.Fatalf("Usage = %+v, want Used %d Quota %d", u, used, quota)
	}
}

func testUsage(t *testing.T, s interface {
	ldp.Store
	ldp.UsageReporter
}) {
	ctx := context.Background()
	base := s.Usage().Used // the root container's own body
	steps := []struct {
		name string
		do   func() error
		used int64
	}{
		{"create inline", func() error { return putN(ctx, s, "/a/x", 100) }, 100},
		{"create chunked", func() error { return putN(ctx, s, "/a/y", 300<<10) }, 100 + 300<<10},
		{"grow", func() error { return putN(ctx, s, "/a/x", 5<<20) }, 5<<20 + 300<<10},
		{"shrink", func() error { return putN(ctx, s, "/a/y", 10) }, 5<<20 + 10},
		{"same again", func() error { return putN(ctx, s, "/a/y", 10) }, 5<<20 + 10},
		{"refused write", func() error {
			_, _, err := s.Put(ctx, ldp.PutRequest{Path: "/a/x", Body: bytes.NewReader(make([]byte, 7)),
				Precondition: func(*ldp.Meta) error { return ldp.ErrPreconditionFailed }})
			if !errors.Is(err, ldp.ErrPreconditionFailed) {
				return errors.New("precondition ignored")
			}
			return nil
		}, 5<<20 + 10},
		{"delete", func() error { return s.Delete(ctx, ldp.DeleteRequest{Path: "/a/x"}) }, 10},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if u := s.Usage(); u.Used != base+st.used {
			t.Fatalf("%s: Used %d, want %d", st.name, u.Used, base+st.used)
		}
	}
	wantUsed(t, s, base+10, 0)
}

func testQuotaRefused(t *testing.T, s interface {
	ldp.Store
	ldp.UsageReporter
}) {
	ctx := context.Background()
	const quota = 1 << 20
	base := s.Usage().Used
	if err := putN(ctx, s, "/f", 600<<10); err != nil {
		t.Fatal(err)
	}
	before := changes(t, s)
	for _, tc := range []struct {
		name string
		path string
		n    int
	}{
		{"new resource over", "/g", 500 << 10},
		{"streamed body far over", "/h", 5 << 20},
		{"replacement over", "/f", quota + 1},
		{"into a new container", "/new/g", 500 << 10},
	} {
		err := putN(ctx, s, tc.path, tc.n)
		wantErr(t, tc.name, err, ldp.ErrQuotaExceeded)
	}
	for _, p := range []string{"/g", "/h", "/new/", "/new/g"} {
		if _, err := s.Stat(ctx, p); !errors.Is(err, ldp.ErrNotFound) {
			t.Errorf("%s exists after refused writes (%v)", p, err)
		}
	}
	if after := changes(t, s); len(after) != len(before) {
		t.Errorf("refused writes logged %d changes", len(after)-len(before))
	}
	wantUsed(t, s, base+600<<10, quota)
	// A replacement counts only its growth: 600 KiB -> 1 MiB - base fits.
	if err := putN(ctx, s, "/f", quota-int(base)); err != nil {
		t.Fatalf("replacement up to the quota: %v", err)
	}
	wantUsed(t, s, quota, quota)
	if err := putN(ctx, s, "/one", 1); !errors.Is(err, ldp.ErrQuotaExceeded) {
		t.Fatalf("one byte over: %v", err)
	}
	if err := putN(ctx, s, "/zero", 0); err != nil {
		t.Fatalf("an empty resource at the quota: %v", err)
	}
	if err := putN(ctx, s, "/f", 100); err != nil {
		t.Fatalf("shrinking at the quota: %v", err)
	}
	if err := s.Delete(ctx, ldp.DeleteRequest{Path: "/f"}); err != nil {
		t.Fatal(err)
	}
	wantUsed(t, s, base, quota)
}

// RacePuts runs put(0) … put(n-1) at once and returns how many succeeded;
// any failure other than ErrQuotaExceeded fails the test.
func RacePuts(t testing.TB, n int, put func(i int) error) (won int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range errs {
		wg.Go(func() { errs[i] = put(i) })
	}
	wg.Wait()
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ldp.ErrQuotaExceeded):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	return won
}

// testQuotaConcurrent: 16 writers race for a quota that holds 10 of their
// bodies: exactly 10 win and the total never passes the quota.
func testQuotaConcurrent(t *testing.T, s interface {
	ldp.Store
	ldp.UsageReporter
}) {
	ctx := context.Background()
	base := s.Usage().Used
	body := (1<<20 - int(base)) / 10
	won := RacePuts(t, 16, func(i int) error { return putN(ctx, s, "/c/"+string(rune('a'+i)), body) })
	if won != 10 {
		t.Errorf("%d writers won, want 10", won)
	}
	if u := s.Usage(); u.Used > u.Quota || u.Used != base+int64(won*body) {
		t.Errorf("Usage %+v after %d writes of %d bytes", u, won, body)
	}
}
