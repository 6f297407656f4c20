package badgerstore

import "github.com/dgraph-io/badger/v4"

// submit hands txn to Badger and returns a channel that receives the
// commit's result once it is durable. Badger queues the write inside
// CommitWith (Txn.commitAndSend calls DB.sendToWriteCh synchronously), so
// only that call is held under the gate's read lock: a drop (reclaim.go)
// takes the write lock, which waits for writes being queued and holds new
// ones back until DropPrefix has finished, rather than letting Badger
// refuse them with ErrBlockedWrites. Writes already queued are written by
// DropPrefix itself (DB.prepareToDrop) before it proceeds, and the fsync
// wait happens outside the lock.
func (s *Store) submit(txn *badger.Txn) <-chan error {
	done := make(chan error, 1)
	s.gate.RLock()
	txn.CommitWith(func(err error) { done <- err })
	s.gate.RUnlock()
	return done
}

// commitTxn commits txn through the gate and waits until it is durable.
func (s *Store) commitTxn(txn *badger.Txn) error {
	return <-s.submit(txn)
}
