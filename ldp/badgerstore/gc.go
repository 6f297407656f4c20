package badgerstore

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// gcDiscardRatio: a value-log file is rewritten when at least this share
// of it is garbage.
const gcDiscardRatio = 0.5

// sweepOrphans removes, at Open, every blob no record points at: bodies
// written before a crash cut off their resource's transaction, and freed
// bodies not yet dropped when the store was closed or killed (reclaim.go).
// They are dropped with DropPrefix like freed ones; the value-log GC that
// returns their space runs in the background after Open.
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
	for len(orphans) > 0 {
		n := min(len(orphans), maxDropBatch)
		if err := s.dropBlobs(orphans[:n]); err != nil {
			return fmt.Errorf("removing orphan bodies: %w", err)
		}
		s.log.Info("removed orphan bodies", "count", n)
		orphans = orphans[n:]
	}
	return nil
}

// forEachBlobKey calls fn once for each stored blob, from the chunk keys.
func (s *Store) forEachBlobKey(fn func(id blobID)) error {
	return s.view(func(txn *badger.Txn) error {
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
	err := s.view(func(txn *badger.Txn) error {
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
