package server

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
)

// BenchmarkExportImport exports a pod of 1,000 documents (900 files of
// 16 KiB in 10 folders, 100 small Turtle documents) offline and imports
// the tar into a fresh data directory, per iteration (figures in the
// README: go test ./server -run '^$' -bench ExportImport -benchtime 3x).
func BenchmarkExportImport(b *testing.B) {
	src := b.TempDir()
	base := "http://127.0.0.1:1/"
	b.Setenv("NAAMIO_BASE_URL", base)
	st, err := badgerstore.Open(src, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	body := strings.Repeat("x", 16<<10)
	var total int64
	for i := range 900 {
		p := fmt.Sprintf("/alice/f%d/file%d.txt", i%10, i)
		if _, _, err := st.Put(ctx, ldp.PutRequest{Path: p, ContentType: "text/plain", Body: strings.NewReader(body)}); err != nil {
			b.Fatal(err)
		}
		total += int64(len(body))
	}
	for i := range 100 {
		ttl := fmt.Sprintf("<%salice/d%d#it> <http://purl.org/dc/terms/title> \"doc %d\" .\n", base, i, i)
		if _, _, err := st.Put(ctx, ldp.PutRequest{Path: fmt.Sprintf("/alice/d%d", i), ContentType: "text/turtle", RDF: true, Body: strings.NewReader(ttl)}); err != nil {
			b.Fatal(err)
		}
		total += int64(len(ttl))
	}
	st.Close()
	b.SetBytes(total)
	b.ResetTimer()
	for i := range b.N {
		file := filepath.Join(b.TempDir(), "alice.tar")
		if r := runStep(src, cmdStep{args: []string{"export", "-o", file, "alice"}, words: 1}); r.code != 0 || i == 0 && logFigures(b, r) {
			b.Fatalf("export: %+v", r)
		}
		dst := b.TempDir()
		if r := runStep(dst, cmdStep{args: []string{"import", "alice", file}, words: 1}); r.code != 0 || i == 0 && logFigures(b, r) {
			b.Fatalf("import %d: %+v", i, r)
		}
	}
}

// logFigures logs a command's progress summary (its last stderr line).
func logFigures(b *testing.B, r cmdResult) bool {
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	b.Logf("%s", lines[len(lines)-1])
	return false
}
