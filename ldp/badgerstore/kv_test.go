package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
)

func TestKV(t *testing.T) {
	s, dir := openTemp(t, Options{DiskReserve: -1})
	ctx := context.Background()
	for _, bad := range []kv.Namespace{"r", "c", "b", "l", "m", "g", "", "a/", "accounts"} {
		if _, err := s.KV(bad); err == nil {
			t.Fatalf("KV(%q) was handed out", bad)
		}
	}
	for _, ns := range kv.Namespaces {
		if _, err := s.KV(ns); err != nil {
			t.Fatalf("KV(%q): %v", ns, err)
		}
	}
	a, err := s.KV(kv.Accounts)
	if err != nil {
		t.Fatal(err)
	}
	tk, _ := s.KV(kv.Tokens)
	if _, err := a.Get(ctx, "x"); !errors.Is(err, ErrKVNotFound) || !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Get missing: %v", err)
	}
	if err := a.Put(ctx, "acct/1", []byte("alice"), 0); err != nil {
		t.Fatal(err)
	}
	if err := a.Put(ctx, "acct/2", []byte("bob"), 0); err != nil {
		t.Fatal(err)
	}
	if err := tk.Put(ctx, "acct/3", []byte("other namespace"), 0); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := a.List(ctx, "acct/", func(k string, v []byte) error { got = append(got, k+"="+string(v)); return nil }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[acct/1=alice acct/2=bob]" {
		t.Fatalf("List = %v", got)
	}
	// KV records are not resources and do not enter the change log.
	if _, err := s.Stat(ctx, "/acct/1"); !errors.Is(err, ldp.ErrNotFound) {
		t.Fatalf("a KV record is visible as a resource: %v", err)
	}
	if err := a.Delete(ctx, "acct/2"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, "acct/2"); !errors.Is(err, ErrKVNotFound) {
		t.Fatal("deleted record still there")
	}
	// TTL: Badger hides expired entries.
	if err := tk.Put(ctx, "short", []byte("x"), time.Second); err != nil {
		t.Fatal(err)
	}
	if v, err := tk.Get(ctx, "short"); err != nil || string(v) != "x" {
		t.Fatalf("fresh TTL record: %q %v", v, err)
	}

	// A single-use code taken by many at once is taken exactly once.
	if err := tk.Put(ctx, "code", []byte("c"), 0); err != nil {
		t.Fatal(err)
	}
	var taken atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := tk.Update(ctx, func(tx kv.Txn) error {
				if _, err := tx.Get("code"); err != nil {
					return err
				}
				return tx.Delete("code")
			})
			if err == nil {
				taken.Add(1)
			} else if !errors.Is(err, ErrKVNotFound) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if taken.Load() != 1 {
		t.Fatalf("code taken %d times", taken.Load())
	}

	// Durable across a restart.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir, Options{DiskReserve: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	a2, _ := s2.KV(kv.Accounts)
	if v, err := a2.Get(ctx, "acct/1"); err != nil || string(v) != "alice" {
		t.Fatalf("after reopen: %q %v", v, err)
	}
}

// A KV write refused for lack of room matches kv.ErrInsufficientStorage
// (what the KV users test for) as well as ldp.ErrInsufficientStorage; reads
// still work.
func TestKVReadOnlyMatchesKVErrInsufficientStorage(t *testing.T) {
	s, _ := openTemp(t, Options{DiskReserve: -1})
	ctx := context.Background()
	a, err := s.KV(kv.Accounts)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Put(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	s.disk.readOnly.Store(true)
	defer s.disk.readOnly.Store(false)
	err = a.Put(ctx, "k2", []byte("v"), 0)
	if !errors.Is(err, kv.ErrInsufficientStorage) || !errors.Is(err, ldp.ErrInsufficientStorage) {
		t.Fatalf("Put on a read-only store: %v, want kv.ErrInsufficientStorage and ldp.ErrInsufficientStorage", err)
	}
	if v, err := a.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("Get on a read-only store: %q %v", v, err)
	}
}
