package badgerstore

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/naamio/naamio/ldp"
)

// TestLogsNameTheComponentOnce: the store's caller names its logger
// (server: component=store); the store's own lines must not add a second
// "component" key to it (issue 11 item 7: lines read
// "component":"store","component":"badgerstore").
func TestLogsNameTheComponentOnce(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil)).With("component", "store")
	dir := t.TempDir()
	s, err := Open(dir, Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	// A body staged and never committed: the next Open removes it and logs.
	b, err := s.stageBody(context.Background(), ldp.PutRequest{Path: "/lost", Body: &patternReader{n: 3 << 20}}, 0)
	if err != nil || !b.written {
		t.Fatalf("stageBody: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(dir, Options{Logger: log}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	out := strings.TrimSpace(buf.String())
	if !strings.Contains(out, "removed orphan bodies") {
		t.Fatalf("the orphan sweep logged nothing:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if n := topLevelKeys(t, line)["component"]; n != 1 {
			t.Errorf("%d component keys in %s", n, line)
		}
	}
}

// topLevelKeys counts the keys of one JSON log line.
func topLevelKeys(t *testing.T, line string) map[string]int {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(line))
	if _, err := d.Token(); err != nil { // {
		t.Fatalf("%v: %s", err, line)
	}
	keys := map[string]int{}
	for d.More() {
		k, err := d.Token()
		if err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		keys[k.(string)]++
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
	}
	return keys
}
