package badgerstore

import (
	"context"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/naamio/naamio/event"
)

// retentionBatch is how many change-log entries one transaction of
// DeleteChanges removes, so a long backlog never makes one huge
// transaction.
const retentionBatch = 1000

// DeleteChanges removes the change-log entries with Seq <= upTo whose Time
// is before olderThan, oldest first, and returns how many it removed
// (change-log retention: the server passes the cursor every durable
// consumer has passed). The newest entry is always kept, because the next
// Seq is derived from it when the store opens (initLog): a log emptied
// entirely would number its next entries from 1 again, behind every
// consumer's cursor. Like the other server-internal writes it needs no
// room from the disk reserve; it fails on a read-only store.
func (s *Store) DeleteChanges(ctx context.Context, upTo event.Cursor, olderThan time.Time) (int, error) {
	if last := s.LastSeq(); uint64(upTo) >= last {
		if last == 0 {
			return 0, nil
		}
		upTo = event.Cursor(last - 1)
	}
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		keys, err := s.expiredChanges(upTo, olderThan)
		if err != nil || len(keys) == 0 {
			return n, err
		}
		if err := s.deleteKeys(keys); err != nil {
			return n, err
		}
		n += len(keys)
		if len(keys) < retentionBatch {
			return n, nil
		}
	}
}

// expiredChanges lists up to retentionBatch keys of the oldest entries with
// Seq <= upTo and Time before olderThan. Entries are in Seq order and their
// times never decrease, so it stops at the first entry that does not match.
func (s *Store) expiredChanges(upTo event.Cursor, olderThan time.Time) ([][]byte, error) {
	var keys [][]byte
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixLog)})
		defer it.Close()
		for it.Seek([]byte(prefixLog)); it.Valid() && len(keys) < retentionBatch; it.Next() {
			c, err := changeOf(it.Item())
			if err != nil {
				return err
			}
			if c.Seq > uint64(upTo) || !c.Time.Before(olderThan) {
				return nil
			}
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		return nil
	})
	return keys, err
}

// deleteKeys deletes keys in one durable transaction.
func (s *Store) deleteKeys(keys [][]byte) error {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	if s.db == nil {
		return errUnavailable
	}
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	var size int64
	for _, k := range keys {
		if err := txn.Delete(k); err != nil {
			return err
		}
		size += int64(len(k))
	}
	done, err := s.disk.admit(writeOverhead+size, false)
	if err != nil {
		return err
	}
	defer done()
	return s.commitTxn(txn)
}
