package badgerstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/naamio/naamio/ldp"
)

// Stat returns the resource's metadata. A container's ETag and Modified
// also cover its children (derived from the containment scan).
func (s *Store) Stat(ctx context.Context, path string) (ldp.Meta, error) {
	if err := readable(ctx, path); err != nil {
		return ldp.Meta{}, err
	}
	var m ldp.Meta
	err := s.view(func(txn *badger.Txn) error {
		rec, err := getRecord(txn, path, false)
		if err != nil {
			return err
		}
		if rec == nil {
			return notFound(path)
		}
		m, err = derive(txn, path, rec)
		return err
	})
	return m, err
}

// Exists reports whether a record is at path, reading only its key.
func (s *Store) Exists(ctx context.Context, path string) (bool, error) {
	if err := readable(ctx, path); err != nil {
		return false, err
	}
	found := false
	err := s.view(func(txn *badger.Txn) error {
		_, err := txn.Get(recordKey(path))
		switch {
		case err == nil:
			found = true
		case !errors.Is(err, badger.ErrKeyNotFound):
			return err
		}
		return nil
	})
	return found, err
}

// Open returns the metadata and a reader for the body, both from one
// snapshot. The reader must be closed.
func (s *Store) Open(ctx context.Context, path string) (ldp.Meta, io.ReadCloser, error) {
	return s.OpenRange(ctx, path, 0, -1)
}

// OpenRange is Open for the body bytes [off, off+n) (n < 0: to the end),
// read from one snapshot; only the chunks holding those bytes are read.
// The reader is registered with the reclaimer before the snapshot is taken,
// so the body it reads is not dropped while it is open (reclaim.go).
func (s *Store) OpenRange(ctx context.Context, path string, off, n int64) (ldp.Meta, io.ReadCloser, error) {
	if err := readable(ctx, path); err != nil {
		return ldp.Meta{}, nil, err
	}
	ticket := s.rc.enter()
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	if s.db == nil {
		s.rc.leave(ticket)
		return ldp.Meta{}, nil, errUnavailable
	}
	txn := s.db.NewTransaction(false)
	rec, err := getRecord(txn, path, true)
	if err == nil && rec == nil {
		err = notFound(path)
	}
	var m ldp.Meta
	if err == nil {
		m, err = derive(txn, path, rec)
	}
	if err == nil && (off < 0 || (off > 0 && off >= rec.size)) {
		err = fmt.Errorf("%w: offset %d of %s (%d bytes)", ldp.ErrRangeNotSatisfiable, off, path, rec.size)
	}
	if err != nil {
		txn.Discard()
		s.rc.leave(ticket)
		return ldp.Meta{}, nil, err
	}
	if n < 0 {
		n = rec.size - off
	}
	if rec.hasBlob {
		s.rc.bind(ticket, rec.blob)
	} else {
		s.rc.leave(ticket)
	}
	return m, s.bodyReader(txn, rec, off, n), nil
}

// Children lists the immediate children of container, sorted by path, from
// one prefix scan of its containment index. A child container's entry
// carries its own metadata (its ETag does not cover its own children).
func (s *Store) Children(ctx context.Context, container string) ([]ldp.Meta, error) {
	if err := readable(ctx, container); err != nil {
		return nil, err
	}
	var out []ldp.Meta
	err := s.view(func(txn *badger.Txn) error {
		ok, err := exists(txn, container)
		if err != nil {
			return err
		}
		if !ok {
			return notFound(container)
		}
		if !isContainer(container) {
			return nil
		}
		return scanChildren(txn, container, func(name string, rec *record) {
			out = append(out, rec.meta(container+name))
		})
	})
	return out, err
}

// readable checks ctx and the path of a read.
func readable(ctx context.Context, path string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkPath(path); err != nil {
		return fmt.Errorf("%w: %w", ldp.ErrNotFound, err)
	}
	return nil
}

func notFound(path string) error { return fmt.Errorf("%w: %s", ldp.ErrNotFound, path) }

// getRecord reads the record at path, nil when absent. With body, an inline
// body is copied out of Badger's memory; without, it is dropped.
func getRecord(txn *badger.Txn, path string, body bool) (*record, error) {
	key := recordKey(path)
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rec record
	err = item.Value(func(v []byte) error {
		var err error
		if rec, err = decodeRecord(v); err != nil {
			return corrupt(key)
		}
		if body {
			rec.inline = append([]byte(nil), rec.inline...)
		} else {
			rec.inline = nil
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// exists reports whether a resource is stored at path. In a write
// transaction the read is tracked for conflict detection either way.
func exists(txn *badger.Txn, path string) (bool, error) {
	_, err := txn.Get(recordKey(path))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// derive is the resource's Meta. For a container, the ETag combines its own
// with each child's name and ETag, and Modified is the latest of its own,
// its guard's (last membership change) and its children's.
func derive(txn *badger.Txn, path string, rec *record) (ldp.Meta, error) {
	m := rec.meta(path)
	if !isContainer(path) {
		return m, nil
	}
	mod, err := guardTime(txn, path)
	if err != nil {
		return m, err
	}
	mod = max(mod, rec.modified)
	ce := containerETag{own: rec.etag}
	prefix := containPrefix(path)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	for it.Seek(prefix); it.Valid() && err == nil; it.Next() {
		item := it.Item()
		err = item.Value(func(v []byte) error {
			etag, childMod, err := peekRecord(v)
			if err != nil {
				return corrupt(item.Key())
			}
			ce.addBytes(item.Key()[len(prefix):], etag)
			mod = max(mod, childMod)
			return nil
		})
	}
	m.ETag = ce.sum()
	m.Modified = time.Unix(0, mod).UTC()
	return m, err
}

// guardTime reads a container's guard (0 when unset). In a write
// transaction this also makes the transaction conflict with any concurrent
// creation of a child.
func guardTime(txn *badger.Txn, container string) (int64, error) {
	key := guardKey(container)
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var t int64
	err = item.Value(func(v []byte) error {
		if len(v) != 8 {
			return corrupt(key)
		}
		t = int64(binary.BigEndian.Uint64(v))
		return nil
	})
	return t, err
}

// scanChildren calls fn for each containment entry of container, in name
// order. The record passed to fn is valid only during the call.
func scanChildren(txn *badger.Txn, container string, fn func(name string, rec *record)) error {
	prefix := containPrefix(container)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	for it.Seek(prefix); it.Valid(); it.Next() {
		item := it.Item()
		name := string(item.Key()[len(prefix):])
		err := item.Value(func(v []byte) error {
			rec, err := decodeRecord(v)
			if err != nil {
				return corrupt(item.Key())
			}
			fn(name, &rec)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// hasChildren reports whether container has at least one listed child.
func hasChildren(txn *badger.Txn, container string) bool {
	prefix := containPrefix(container)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	it.Seek(prefix)
	if !it.Valid() {
		return false
	}
	it.Item() // tracked as a read
	return true
}
