package badgerstore

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// Options.OnBatch sees every group commit, with as many writes as were
// acknowledged, and Stats reports the files' sizes (the server's
// naamio_store_commit_batch_writes and naamio_store_size_bytes, issue 16
// item 4).
func TestOnBatchAndStats(t *testing.T) {
	var batches, writes atomic.Int64
	var maxBatch atomic.Int64
	s, err := Open(t.TempDir(), Options{OnBatch: func(n int) {
		batches.Add(1)
		writes.Add(int64(n))
		if int64(n) > maxBatch.Load() {
			maxBatch.Store(int64(n))
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before := writes.Load() // the root container, on a fresh store
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			putString(t, s, fmt.Sprintf("/c/r%d", i), "x")
		}()
	}
	wg.Wait()
	if got := writes.Load() - before; got != 64 {
		t.Errorf("OnBatch counted %d writes, want 64", got)
	}
	if batches.Load() < 1 || maxBatch.Load() < 1 || maxBatch.Load() > maxBatchSize() {
		t.Errorf("%d batches, largest %d", batches.Load(), maxBatch.Load())
	}
	st := s.Stats()
	if st.LSMBytes < 0 || st.VLogBytes < 0 || st.GCRuns < 0 || st.GCRewrites < 0 {
		t.Errorf("Stats = %+v", st)
	}
	if s.ReadOnly() || s.CanWrite() != nil {
		t.Errorf("fresh store: ReadOnly %v, CanWrite %v", s.ReadOnly(), s.CanWrite())
	}
	if err := s.reclaim(true); err != nil {
		t.Fatal(err)
	}
	if after := s.Stats(); after.GCRuns < 1 {
		t.Errorf("a reclaim pass ran no value-log GC: %+v", after)
	}
}

func maxBatchSize() int64 { return maxBatch }
