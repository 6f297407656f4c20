package badgerstore

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/naamio/naamio/event"
)

// The steps of one group commit (committer.go, commitBatch): fill the
// batch, then either abort and rebuild it, or commit it and answer its
// writes (published, retried alone after a conflict, or failed).

// batch is one group commit in the making: its transaction, the first
// change-log sequence number it hands out, and the writes planned and
// applied into it, in order.
type batch struct {
	txn  *badger.Txn
	seq0 uint64
	in   []*writeReq
}

// addResult is what adding one write to a batch came to.
type addResult int

const (
	added        addResult = iota // applied into the batch's transaction
	answered                      // answered with an error; the transaction is unaffected
	abortWithout                  // answered; the batch must be rebuilt without it
	abortRetry                    // not answered; the batch must be rebuilt without it, and it retried after
)

// fillBatch plans and applies pending writes into b, in order, until the
// batch is full (limit writes, or a write that must commit alone). It
// returns the writes it did not take, and abort when b must be discarded
// and rebuilt: rest then starts after the write that caused it, or with it
// when that write is to be tried again at the head of the next batch.
func (s *Store) fillBatch(b *batch, pending []*writeReq, limit int) (rest []*writeReq, abort bool) {
	i := 0
	for ; i < len(pending); i++ {
		r := pending[i]
		if len(b.in) > 0 && (len(b.in) >= limit || r.solo || b.in[0].solo) {
			break
		}
		switch s.addToBatch(b, r) {
		case abortWithout:
			return pending[i+1:], true
		case abortRetry:
			return pending[i:], true
		}
	}
	return pending[i:], false
}

// addToBatch plans r in b's transaction, reserves its disk space and
// applies its plan. r is answered at once when its context has ended or
// its plan fails or panics.
func (s *Store) addToBatch(b *batch, r *writeReq) addResult {
	if err := r.ctx.Err(); err != nil {
		r.answer(nil, err)
		return answered
	}
	p, perr, pan := runPlan(r.fn, b.txn)
	if pan != nil {
		r.done <- writeResult{panic: pan}
		return abortWithout // it may have left an iterator open
	}
	if perr != nil {
		r.answer(nil, perr) // fn wrote nothing: the batch is unaffected
		return answered
	}
	if err := s.usage.reserve(p.pod, p.delta); err != nil {
		r.answer(nil, err)
		return answered
	}
	r.p = p
	if err := s.apply(b.txn, p); err != nil {
		// Part of p may be in txn, and Badger cannot take it back.
		s.usage.settle(p.pod, p.delta, false)
		r.p = nil
		if len(b.in) == 0 {
			r.answer(nil, err) // alone, as it would have failed before
			return abortWithout
		}
		// Commit the writes before it without it, then try it again at
		// the head of the next batch (ErrTxnTooBig: a fresh transaction
		// has room).
		return abortRetry
	}
	b.in = append(b.in, r)
	return added
}

// abortBatch discards b's transaction (nothing of it was committed, so its
// sequence numbers are handed out again) and returns its writes, to be
// rebuilt as a batch of their own, ahead of rest.
func (s *Store) abortBatch(b *batch, rest []*writeReq) ([]*writeReq, int) {
	discard(b.txn)
	s.nextSeq = b.seq0
	for _, q := range b.in {
		s.usage.settle(q.p.pod, q.p.delta, false)
		q.p = nil
	}
	if len(b.in) == 0 {
		return rest, maxBatch
	}
	return append(b.in, rest...), len(b.in)
}

// batchCommitted publishes a durable batch: the change log's new end, the
// onCommit hook with the batch's changes, then the answer to each write.
func (s *Store) batchCommitted(b *batch) {
	if s.nextSeq > b.seq0 {
		s.published(s.nextSeq - 1)
	}
	if s.opts.OnBatch != nil {
		s.opts.OnBatch(len(b.in))
	}
	if s.onCommit != nil {
		var cs []event.Change
		for _, r := range b.in {
			cs = append(cs, r.p.changes...)
		}
		if len(cs) > 0 {
			s.onCommit(cs)
		}
	}
	for _, r := range b.in {
		r.answer(r.p, nil)
	}
}

// retryAlone handles a batch that lost a conflict. Only writes outside the
// committer can conflict with it; none touches what plans read, so this is
// defensive: each write is run again alone, a bounded number of times.
// Burnt sequence numbers are not reused (gaps are allowed). It returns the
// writes to run again.
func retryAlone(in []*writeReq) []*writeReq {
	var again []*writeReq
	for _, r := range in {
		r.p = nil
		r.attempts++
		if r.attempts >= maxAttempts {
			r.answer(nil, errContention)
			continue
		}
		r.solo = true
		again = append(again, r)
	}
	if len(again) > 0 {
		backoff(again[0].attempts)
	}
	return again
}

// failBatch answers every write of a batch whose commit failed.
func failBatch(in []*writeReq, err error) {
	err = fmt.Errorf("%w: %w", errCommit, err)
	for _, r := range in {
		r.answer(nil, err)
	}
}
