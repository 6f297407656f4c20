package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
)

// rawDump is every key and value of the store's database but its
// identity, read directly from Badger (not through Backup).
func rawDump(t *testing.T, s *Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := string(it.Item().KeyCopy(nil))
			if k == keyID {
				continue
			}
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out[k] = fmt.Sprintf("%d:%s", it.Item().UserMeta(), v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// freedBlob says the chunk key k belongs to a freed blob.
func freedBlob(s *Store, k string) bool {
	var id blobID
	copy(id[:], k[len(prefixBlob):])
	s.rc.mu.Lock()
	defer s.rc.mu.Unlock()
	_, ok := s.rc.pending[id]
	return ok
}

type memBackup struct {
	kvs  []BackupKV
	upto uint64
}

func takeBackup(t *testing.T, s *Store, since uint64) memBackup {
	t.Helper()
	var b memBackup
	upto, err := s.Backup(context.Background(), since, func(kvs []BackupKV) error {
		for _, kv := range kvs {
			kv.Key = bytes.Clone(kv.Key)
			kv.Value = bytes.Clone(kv.Value)
			b.kvs = append(b.kvs, kv)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b.upto = upto
	return b
}

func restoreMem(t *testing.T, dir string, files ...memBackup) *Store {
	t.Helper()
	r, err := NewRestorer(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		r.Begin()
		for _, kv := range f.kvs {
			if err := r.Put(kv); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.End(); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := Open(dir, Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// A full backup and two incrementals, with overwrites (inline and
// chunked bodies), deletes of resources and of kv records in between,
// restore to exactly the source's keys and values; an incremental holds
// the changed values only (issue 16 item 2).
func TestBackupIncrementalChainRestoresExactly(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	accounts, err := s.KV(kv.Accounts)
	if err != nil {
		t.Fatal(err)
	}
	big := func(p string) *bytes.Reader { return bytes.NewReader(patternBody(p, 200<<10)) }
	for i := range 20 {
		putString(t, s, fmt.Sprintf("/a/%d.txt", i), strings.Repeat("x", i))
		if err := accounts.Put(ctx, fmt.Sprintf("acct%d", i), []byte("v1"), 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Put(ctx, ldp.PutRequest{Path: "/big/1.bin", ContentType: "application/octet-stream", Body: big("1")}); err != nil {
		t.Fatal(err)
	}
	full := takeBackup(t, s, 0)
	if full.upto == 0 {
		t.Fatal("full backup: no version")
	}
	for _, kv := range full.kvs {
		if !kv.HasValue {
			t.Fatalf("full backup: key %q without its value", kv.Key)
		}
	}

	// Changes, then incremental 1.
	putString(t, s, "/a/3.txt", "changed")
	if err := s.Delete(ctx, ldp.DeleteRequest{Path: "/a/4.txt"}); err != nil {
		t.Fatal(err)
	}
	if err := accounts.Delete(ctx, "acct5"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Put(ctx, ldp.PutRequest{Path: "/big/1.bin", ContentType: "application/octet-stream", Body: big("again")}); err != nil {
		t.Fatal(err)
	}
	inc1 := takeBackup(t, s, full.upto)
	var withValue int
	for _, kv := range inc1.kvs {
		if kv.HasValue {
			withValue++
		}
	}
	if withValue == 0 || withValue >= len(inc1.kvs)/2 {
		t.Fatalf("incremental 1: %d of %d keys carry values; want the changed ones only", withValue, len(inc1.kvs))
	}

	// More changes, then incremental 2.
	for i := 10; i < 15; i++ {
		if err := s.Delete(ctx, ldp.DeleteRequest{Path: fmt.Sprintf("/a/%d.txt", i)}); err != nil {
			t.Fatal(err)
		}
	}
	putString(t, s, "/b/new.txt", "new")
	if err := accounts.Put(ctx, "acct5", []byte("v2"), 0); err != nil {
		t.Fatal(err)
	}
	inc2 := takeBackup(t, s, inc1.upto)

	// Writes after the last backup are not in the restore.
	putString(t, s, "/after.txt", "after")
	want := rawDump(t, s)
	delete(want, string(recordKey("/after.txt")))

	got := restoreMem(t, t.TempDir(), full, inc1, inc2)
	gotDump := rawDump(t, got)
	for k, v := range want {
		if strings.HasPrefix(k, prefixLog) || strings.HasPrefix(k, prefixContain) || strings.HasPrefix(k, prefixGuard) {
			continue // /after.txt's log entry, containment and guard: compared below
		}
		if _, ok := gotDump[k]; !ok && strings.HasPrefix(k, prefixBlob) && freedBlob(s, k) {
			continue // a freed body not yet dropped: the restored store's orphan sweep dropped it
		}
		if gotDump[k] != v {
			t.Errorf("key %q: restored %.40q, source %.40q", k, gotDump[k], v)
		}
	}
	for k := range gotDump {
		if _, ok := want[k]; !ok {
			t.Errorf("key %q restored but not in the source (a resurrected delete?)", k)
		}
	}
	if _, _, err := readBody(t, got, "/a/4.txt"); !errors.Is(err, ldp.ErrNotFound) {
		t.Errorf("/a/4.txt deleted before incremental 1: %v", err)
	}
	if _, b, err := readBody(t, got, "/big/1.bin"); err != nil || !bytes.Equal(b, patternBody("again", 200<<10)) {
		t.Errorf("/big/1.bin: %v, %d bytes", err, len(b))
	}
	if v, err := accounts.Get(ctx, "acct5"); err != nil || string(v) != "v2" {
		t.Errorf("acct5 in the source: %q %v", v, err)
	}
	ra, _ := got.KV(kv.Accounts)
	if v, err := ra.Get(ctx, "acct5"); err != nil || string(v) != "v2" {
		t.Errorf("acct5 restored: %q %v", v, err)
	}
	// The change log: contiguous, ending where the source's did before
	// /after.txt.
	cs := allChanges(t, got)
	for i, c := range cs {
		if c.Seq != cs[0].Seq+uint64(i) {
			t.Fatalf("change log gap at %d: %d", i, c.Seq)
		}
	}
	if last := cs[len(cs)-1].Seq; last != s.LastSeq()-1 {
		t.Errorf("restored log ends at %d, want %d", last, s.LastSeq()-1)
	}
	if got.ID() == "" || got.ID() == s.ID() {
		t.Errorf("the restored store's identity %q must be new (source %q)", got.ID(), s.ID())
	}
}

// A restore refuses a directory that is not empty.
func TestRestorerRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := NewRestorer(dir); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("NewRestorer on a store: %v", err)
	}
}

// Format versions (issue 16 item 7): a newer format is refused naming
// both versions; an older one is migrated, one step per transaction,
// only after BeforeMigrate (the server's backup) succeeded.
func TestFormatVersionNewerRefusedOlderMigratedAfterBackup(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	putString(t, s, "/keep.txt", "kept")
	s.Close()

	// A binary of format 2 with a test-only migration 1→2.
	defer func(f int, m []Migration) { currentFormat, migrations = f, m }(currentFormat, migrations)
	currentFormat = 2
	migrations = []Migration{{From: 1, Name: "test: add m/test-migrated", Apply: func(txn *badger.Txn) error {
		return txn.Set([]byte("m/test-migrated"), []byte("yes"))
	}}}
	migrated := func(s *Store) bool {
		var ok bool
		_ = s.view(func(txn *badger.Txn) error {
			_, err := txn.Get([]byte("m/test-migrated"))
			ok = err == nil
			return nil
		})
		return ok
	}
	// No backup hook: refused, nothing changed.
	if _, err := Open(dir, Options{DiskReserve: -1, GCInterval: -1}); err == nil || !strings.Contains(err.Error(), "only after a backup") {
		t.Fatalf("migration without a backup hook: %v", err)
	}
	// A failing backup: refused, nothing changed.
	_, err = Open(dir, Options{DiskReserve: -1, GCInterval: -1, BeforeMigrate: func(from, to int, st *Store) error {
		return errors.New("disk full")
	}})
	if err == nil || !strings.Contains(err.Error(), "nothing was migrated") {
		t.Fatalf("migration after a failed backup: %v", err)
	}
	// A backup, then the migration.
	var backedUp memBackup
	s, err = Open(dir, Options{DiskReserve: -1, GCInterval: -1, BeforeMigrate: func(from, to int, st *Store) error {
		if from != 1 || to != 2 {
			t.Errorf("BeforeMigrate(%d, %d)", from, to)
		}
		if migrated(st) {
			t.Error("migrated before the backup")
		}
		backedUp = takeBackup(t, st, 0)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !migrated(s) || len(backedUp.kvs) == 0 {
		t.Fatalf("migrated %v, backup of %d keys", migrated(s), len(backedUp.kvs))
	}
	if _, b, err := readBody(t, s, "/keep.txt"); err != nil || string(b) != "kept" {
		t.Fatalf("after migration: %q %v", b, err)
	}
	s.Close()

	// The format-1 binary refuses the migrated directory, naming both.
	currentFormat = 1
	_, err = Open(dir, Options{DiskReserve: -1, GCInterval: -1})
	var newer ErrNewerFormat
	if !errors.As(err, &newer) || newer.Dir != 2 || newer.Binary != 1 ||
		!strings.Contains(err.Error(), "format version 2") || !strings.Contains(err.Error(), "format version 1") {
		t.Fatalf("older binary on a newer directory: %v", err)
	}
	_ = time.Second
}
