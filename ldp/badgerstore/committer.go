package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/dgraph-io/badger/v4"

	"github.com/naamio/naamio/ldp"
)

// maxBatch bounds how many writes one group commit takes. Each write in a
// batch that scans (a container's children, an ancestor check) sorts the
// batch's pending writes to iterate them (Txn.newPendingWritesIterator), so
// the batch stays modest; at 128 a batch already amortises its fsync well.
const maxBatch = 128

// errClosed: a write arrived after Close, or was still queued when the
// committer stopped.
var errClosed = errors.New("badgerstore: store is closed")

// writeReq is one logical write waiting for the committer.
type writeReq struct {
	ctx      context.Context
	fn       func(txn *badger.Txn) (*plan, error)
	done     chan writeResult
	attempts int  // conflicts lost so far
	solo     bool // commit alone (after a conflict)
	p        *plan
}

type writeResult struct {
	p     *plan
	err   error
	panic any // fn panicked: re-raised in the caller
}

func (r *writeReq) answer(p *plan, err error) { r.done <- writeResult{p: p, err: err} }

// committer is the queue of writes and the goroutine that commits them.
type committer struct {
	mu     sync.Mutex
	queue  []*writeReq
	closed bool
	wake   chan struct{} // capacity 1
	done   chan struct{} // closed when the goroutine has ended
}

// startCommitter starts the goroutine that owns every record write.
func (s *Store) startCommitter() {
	s.cm = &committer{wake: make(chan struct{}, 1), done: make(chan struct{})}
	go s.commitLoop()
}

// stopCommitter lets the committer write what is queued, then stops it.
// Writes arriving afterwards fail with errClosed.
func (s *Store) stopCommitter() {
	c := s.cm
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.signal()
	<-c.done
}

func (c *committer) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// update runs fn, then applies its plan, in the committer's current batch
// transaction, and returns once that batch is durable (see doc.go, Write
// path). fn must not write to txn and must have no effect outside it: it
// may be run again (after a conflict, or when the batch is rebuilt), and a
// plan is applied only after fn has returned. The caller always waits for
// the answer, even when ctx ends meanwhile, because a queued write may
// already be in a batch being committed.
func (s *Store) update(ctx context.Context, fn func(txn *badger.Txn) (*plan, error)) (*plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.disk.readOnly.Load() {
		return nil, fmt.Errorf("%w: the store is read-only", ldp.ErrInsufficientStorage)
	}
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan writeResult, 1)}
	c := s.cm
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errClosed
	}
	c.queue = append(c.queue, r)
	c.mu.Unlock()
	c.signal()
	res := <-r.done
	if res.panic != nil {
		panic(res.panic)
	}
	return res.p, res.err
}

// commitLoop takes whatever is queued, up to maxBatch at a time, and
// commits it in batches until the store closes and the queue is empty.
func (s *Store) commitLoop() {
	c := s.cm
	defer close(c.done)
	var pending []*writeReq
	limit := maxBatch
	for {
		c.mu.Lock()
		if len(pending) < maxBatch && len(c.queue) > 0 {
			n := min(len(c.queue), maxBatch-len(pending))
			pending = append(pending, c.queue[:n]...)
			c.queue = append(c.queue[:0:0], c.queue[n:]...)
		}
		closed := c.closed
		c.mu.Unlock()
		if len(pending) == 0 {
			if closed {
				return
			}
			<-c.wake
			continue
		}
		pending, limit = s.commitBatch(pending, limit)
	}
}

// commitBatch plans and applies up to limit of the pending writes, in
// order, in one transaction and commits it with one CommitWith (one WAL
// sync). It answers every write it took and returns the writes still to do
// and the limit for the next batch (smaller only when this batch has to be
// rebuilt without a write that failed half-applied). The steps are in
// batch.go.
func (s *Store) commitBatch(pending []*writeReq, limit int) ([]*writeReq, int) {
	b := &batch{txn: s.db.NewTransaction(true), seq0: s.nextSeq}
	rest, abort := s.fillBatch(b, pending, limit)
	if abort {
		return s.abortBatch(b, rest)
	}
	if len(b.in) == 0 {
		discard(b.txn)
		return rest, maxBatch
	}
	err := <-s.submit(b.txn)
	for _, r := range b.in {
		s.usage.settle(r.p.pod, r.p.delta, err == nil)
	}
	switch {
	case err == nil:
		s.batchCommitted(b)
	case errors.Is(err, badger.ErrConflict):
		return append(retryAlone(b.in), rest...), maxBatch
	default:
		failBatch(b.in, err)
	}
	return rest, maxBatch
}

// runPlan runs fn, turning a panic into a value for the caller.
func runPlan(fn func(*badger.Txn) (*plan, error), txn *badger.Txn) (p *plan, err error, pan any) {
	defer func() {
		if v := recover(); v != nil {
			pan = v
		}
	}()
	p, err = fn(txn)
	return p, err, nil
}

// discard discards txn; Badger panics when an iterator is still open (a
// planner that panicked), which is then ignored: the transaction was never
// committed.
func discard(txn *badger.Txn) {
	defer func() { _ = recover() }()
	txn.Discard()
}
