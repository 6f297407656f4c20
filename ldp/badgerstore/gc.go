package badgerstore

import (
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// gcDiscardRatio: a value-log file is rewritten when at least this share
// of it is garbage.
const gcDiscardRatio = 0.5

// gcLoop runs value-log GC every interval until Close.
func (s *Store) gcLoop(interval time.Duration) {
	defer s.bg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if err := s.runValueLogGC(); err != nil {
				s.log.Error("value-log GC", "component", "badgerstore", "err", err)
			}
		}
	}
}

// runValueLogGC rewrites value-log files until none has enough garbage.
func (s *Store) runValueLogGC() error {
	for range 100 {
		select {
		case <-s.stop:
			return nil
		default:
		}
		err := s.db.RunValueLogGC(gcDiscardRatio)
		if errors.Is(err, badger.ErrNoRewrite) || errors.Is(err, badger.ErrRejected) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// freeBlobs deletes blobs no record points at any more, in the background.
// A blob left behind (crash, Close) is removed by the next Open.
func (s *Store) freeBlobs(ids []blobID) {
	if len(ids) == 0 {
		return
	}
	s.freeing.Add(1)
	go func() {
		defer s.freeing.Done()
		for _, id := range ids {
			if err := s.deleteBlob(id); err != nil {
				s.log.Error("deleting unused body", "component", "badgerstore", "err", err)
			}
		}
	}()
}

// deleteBlob removes every chunk of a blob, in as many transactions as
// needed.
func (s *Store) deleteBlob(id blobID) error {
	var keys [][]byte
	err := s.db.View(func(txn *badger.Txn) error {
		prefix := blobPrefix(id)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Seek(prefix); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.deleteKeys(keys)
}

// deleteKeys deletes keys, committing whenever a transaction is full.
func (s *Store) deleteKeys(keys [][]byte) error {
	txn := s.db.NewTransaction(true)
	defer func() { txn.Discard() }()
	for _, k := range keys {
		err := txn.Delete(k)
		if errors.Is(err, badger.ErrTxnTooBig) {
			if err = txn.Commit(); err != nil {
				return err
			}
			txn = s.db.NewTransaction(true)
			err = txn.Delete(k)
		}
		if err != nil {
			return err
		}
	}
	return txn.Commit()
}

// sweepOrphans removes, at Open, every blob no record points at: bodies
// written before a crash cut off their resource's transaction, and old
// bodies whose background deletion did not finish.
func (s *Store) sweepOrphans() error {
	refs, err := s.blobRefs()
	if err != nil {
		return err
	}
	var orphans []blobID
	err = s.forEachBlobKey(func(id blobID) {
		if _, ok := refs[id]; !ok {
			orphans = append(orphans, id)
		}
	})
	if err != nil {
		return err
	}
	for _, id := range orphans {
		if err := s.deleteBlob(id); err != nil {
			return fmt.Errorf("removing orphan body: %w", err)
		}
	}
	if len(orphans) > 0 {
		s.log.Info("removed orphan bodies", "component", "badgerstore", "count", len(orphans))
	}
	return nil
}

// forEachBlobKey calls fn once for each stored blob, from the chunk keys.
func (s *Store) forEachBlobKey(fn func(id blobID)) error {
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixBlob)})
		defer it.Close()
		var last blobID
		first := true
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			if len(k) != len(prefixBlob)+len(last)+4 {
				return corrupt(k)
			}
			var id blobID
			copy(id[:], k[len(prefixBlob):])
			if first || id != last {
				fn(id)
			}
			last, first = id, false
		}
		return nil
	})
}

// blobRefs collects the blob ids records point at. Only records flagged
// with userMetaBlob are read.
func (s *Store) blobRefs() (map[blobID]struct{}, error) {
	refs := map[blobID]struct{}{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixRecord)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			if item.UserMeta()&userMetaBlob == 0 {
				continue
			}
			err := item.Value(func(v []byte) error {
				rec, err := decodeRecord(v)
				if err != nil || !rec.hasBlob {
					return corrupt(item.Key())
				}
				refs[rec.blob] = struct{}{}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return refs, err
}
