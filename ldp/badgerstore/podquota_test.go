package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/storetest"
)

// Issue 16 item 6: 16 writers race for alice's pod quota, which holds 10
// of their bodies: exactly 10 win, alice never passes her quota, bob's pod
// is unaffected, and usage per pod is recounted the same after a reopen.
func TestPodQuotaConcurrent(t *testing.T) {
	s, dir := openTemp(t, Options{})
	ctx := context.Background()
	put := func(path string, n int) error {
		_, _, err := s.Put(ctx, ldp.PutRequest{Path: path, ContentType: "application/octet-stream", Body: bytes.NewReader(make([]byte, n))})
		return err
	}
	if err := s.SetPodQuotas(100_000, map[string]int64{"alice": 10_000}); err != nil {
		t.Fatal(err)
	}
	if err := put("/alice/seed", 0); err != nil { // creates /alice/
		t.Fatal(err)
	}
	base := s.PodUsage("alice").Used
	body := int(10_000-base) / 10
	won := storetest.RacePuts(t, 16, func(i int) error { return put("/alice/f"+string(rune('a'+i)), body) })
	if won != 10 {
		t.Errorf("%d writers won, want 10", won)
	}
	if u := s.PodUsage("alice"); u.Used > u.Quota || u.Used != base+int64(won*body) || u.Quota != 10_000 {
		t.Errorf("alice %+v", u)
	}
	if err := put("/bob/big", 90_000); err != nil {
		t.Fatalf("bob under the default: %v", err)
	}
	if err := put("/bob/more", 20_000); !errors.Is(err, ldp.ErrQuotaExceeded) {
		t.Fatalf("bob over the default: %v", err)
	}
	if err := put("/top", 500_000); err != nil { // outside every pod
		t.Fatalf("outside pods: %v", err)
	}
	// A negative quota or a bad pod name is refused.
	if err := s.SetPodQuota("alice", 5); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", ".x", "a/b"} {
		if err := s.SetPodQuota(bad, 5); err == nil {
			t.Errorf("SetPodQuota(%q) accepted", bad)
		}
	}
	if err := s.SetPodQuotas(-1, nil); err == nil {
		t.Error("negative default accepted")
	}
	if err := s.SetPodQuotas(0, map[string]int64{"alice": -5}); err == nil {
		t.Error("negative pod quota accepted")
	}
	// Deleting frees the pod's bytes.
	alice, bob := s.PodUsage("alice").Used, s.PodUsage("bob").Used
	if err := s.Delete(ctx, ldp.DeleteRequest{Path: "/bob/big"}); err != nil {
		t.Fatal(err)
	}
	if got := s.PodUsage("bob").Used; got != bob-90_000 {
		t.Fatalf("bob after delete: %d, want %d", got, bob-90_000)
	}
	bob -= 90_000
	_ = s.Close()
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if a, b := s2.PodUsage("alice").Used, s2.PodUsage("bob").Used; a != alice || b != bob {
		t.Fatalf("after reopen: alice %d bob %d, want %d %d", a, b, alice, bob)
	}
}
