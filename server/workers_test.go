package server

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/badgerstore"
)

// Issue 11 item 5: a worker's context is cancelled when the server shuts
// down, and Serve waits for the worker to return before it closes the
// store. The worker here writes a record after it was cancelled, as a
// change-log consumer saving its cursor would; the write must land.
func TestWorkersStoppedBeforeStoreCloses(t *testing.T) {
	cfg := defaults()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir, cfg.DiskReserve = t.TempDir(), 0
	s, err := New(cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	records, err := s.store.KV(kv.Modules)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	var putErr atomic.Value
	s.workers = append(s.workers, worker{"test: save a cursor on shutdown", func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		// Give a Serve that does not wait time to close the store first.
		time.Sleep(100 * time.Millisecond)
		err := records.Put(context.Background(), "cursor", []byte("42"), 0)
		putErr.Store(errBox{err})
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("Serve returned before the worker started: %v", err)
	case <-time.After(time.Minute): // a liveness bound, not a timing check
		t.Fatal("the worker was not started")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute): // a liveness bound: the worker's context was not cancelled
		t.Fatal("Serve did not return: the worker was not cancelled")
	}
	got, _ := putErr.Load().(errBox)
	if putErr.Load() == nil {
		t.Fatal("Serve returned before the worker did")
	}
	if got.err != nil {
		t.Fatalf("the worker's write after cancellation failed (store closed under it?): %v", got.err)
	}
	st, err := badgerstore.Open(cfg.DataDir, badgerstore.Options{DiskReserve: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, _ := st.KV(kv.Modules)
	if v, err := r.Get(context.Background(), "cursor"); err != nil || string(v) != "42" {
		t.Fatalf("the worker's record after restart: %q %v", v, err)
	}
}

type errBox struct{ err error }

// A stopped group starts nothing more, and stop may be called twice.
func TestWorkerGroupStop(t *testing.T) {
	var ran atomic.Int32
	w := worker{"count", func(ctx context.Context) { ran.Add(1); <-ctx.Done() }}
	g := startWorkers(context.Background(), w, w)
	g.stop()
	if n := ran.Load(); n != 2 {
		t.Fatalf("%d workers ran before stop returned, want 2", n)
	}
	if g.start(w) {
		t.Fatal("a stopped group started a worker")
	}
	g.stop()
	if n := ran.Load(); n != 2 {
		t.Fatalf("%d workers ran, want 2", n)
	}
}
