package pod_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/ldp/badgerstore"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Every resource Create writes, byte for byte, for a fixed base URL,
// issuer and name (testdata/alice.golden; go test -update rewrites it).
func TestCreateGolden(t *testing.T) {
	st, err := badgerstore.Open(t.TempDir(), badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ctx := context.Background()
	if _, err := pod.Create(ctx, st, "https://pod.example", "alice", "https://idp.example/", pod.CreateOptions{Name: "Alice"}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, p := range tree(t, st, "/alice/") {
		m, body, err := st.Open(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("### " + p + " (" + m.ContentType + ")\n")
		if _, err := readInto(&b, body); err != nil {
			t.Fatal(err)
		}
		b.WriteString("\n")
	}
	golden := filepath.Join("testdata", "alice.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("Create wrote:\n%s\nwant (%s):\n%s", b.String(), golden, want)
	}
}
