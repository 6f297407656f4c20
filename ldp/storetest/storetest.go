// Package storetest is the suite every ldp.Store must pass. A store
// package calls Run from its own tests with a constructor for fresh, empty
// stores.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
)

// NewStore returns a fresh, empty store (holding only the root container)
// and arranges for it to be closed when t ends (t.Cleanup).
type NewStore func(t *testing.T) ldp.Store

// Run runs the whole suite, each rule in its own subtest with its own store.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s ldp.Store)
	}{
		{"Root", testRoot},
		{"CreateReplace", testCreateReplace},
		{"BodyRoundTrip", testBodyRoundTrip},
		{"OpenRange", testOpenRange},
		{"ContentType", testContentType},
		{"ETagFromContent", testETagFromContent},
		{"Missing", testMissing},
		{"Exists", testExists},
		{"IntermediateContainers", testIntermediateContainers},
		{"SlashTwins", testSlashTwins},
		{"AncestorIsDocument", testAncestorIsDocument},
		{"DeleteNonEmptyContainer", testDeleteNonEmptyContainer},
		{"DeleteMissing", testDeleteMissing},
		{"Aux", testAux},
		{"Children", testChildren},
		{"ConcurrentSiblings", testConcurrentSiblings},
		{"ContainerETag", testContainerETag},
		{"UnchangedWriteKeepsState", testUnchangedWriteKeepsState},
		{"PreconditionSeesCurrent", testPreconditionSeesCurrent},
		{"PreconditionAborts", testPreconditionAborts},
		{"ConcurrentIfMatch", testConcurrentIfMatch},
		{"Changes", testChanges},
		{"ChangeOrigins", testChangeOrigins},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// put stores body at path and fails the test on error.
func put(t *testing.T, s ldp.Store, path, body string) ldp.Meta {
	t.Helper()
	m, _, err := s.Put(context.Background(), ldp.PutRequest{
		Path: path, ContentType: "text/plain", Body: strings.NewReader(body),
	})
	if err != nil {
		t.Fatalf("Put %s: %v", path, err)
	}
	return m
}

// read returns the metadata and whole body at path.
func read(t *testing.T, s ldp.Store, path string) (ldp.Meta, []byte) {
	t.Helper()
	m, rc, err := s.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open %s: %v", path, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return m, b
}

// stat returns the metadata at path.
func stat(t *testing.T, s ldp.Store, path string) ldp.Meta {
	t.Helper()
	m, err := s.Stat(context.Background(), path)
	if err != nil {
		t.Fatalf("Stat %s: %v", path, err)
	}
	return m
}

// wantErr fails unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}

// changes returns the whole change log.
func changes(t *testing.T, s ldp.Store) []event.Change {
	t.Helper()
	var all []event.Change
	var cur event.Cursor
	for range 10000 {
		cs, err := s.Changes(context.Background(), cur, 100)
		if err != nil {
			t.Fatalf("Changes: %v", err)
		}
		if len(cs) == 0 {
			return all
		}
		all = append(all, cs...)
		cur = event.Cursor(cs[len(cs)-1].Seq)
	}
	t.Fatal("change log does not end")
	return nil
}

// changesAfter returns the entries after cur.
func changesAfter(t *testing.T, s ldp.Store, cur uint64) []event.Change {
	t.Helper()
	var out []event.Change
	for _, c := range changes(t, s) {
		if c.Seq > cur {
			out = append(out, c)
		}
	}
	return out
}

// lastSeq is the Seq of the newest entry (0 for none).
func lastSeq(t *testing.T, s ldp.Store) uint64 {
	t.Helper()
	cs := changes(t, s)
	if len(cs) == 0 {
		return 0
	}
	return cs[len(cs)-1].Seq
}

// summary renders entries as "Kind path" lines for comparison.
func summary(cs []event.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c.Kind) + " " + c.Path
	}
	return out
}

// paths lists the paths of metas.
func paths(ms []ldp.Meta) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Path
	}
	return out
}

func equal(a, b []string) bool { return slices.Equal(a, b) }

func sameBytes(a, b []byte) bool { return bytes.Equal(a, b) }
