package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
)

// ErrKVNotFound: no record under that key. It matches kv.ErrNotFound.
var ErrKVNotFound = fmt.Errorf("%w: no such record", kv.ErrNotFound)

var _ kv.KV = (*KV)(nil)

// KV is one namespace of server-internal records (accounts, tokens, module
// records, queues): small values under string keys, written synchronously
// and durably, outside the resource tree and the change log.
type KV struct {
	s      *Store
	prefix string
}

// KV returns one namespace of kv.Namespaces; its keys are stored under the
// prefix "<namespace>/" (keys.go). Any other name is refused.
func (s *Store) KV(namespace kv.Namespace) (*KV, error) {
	if !namespace.Valid() {
		return nil, fmt.Errorf("badgerstore: %q is not a KV namespace", namespace)
	}
	return &KV{s: s, prefix: string(namespace) + "/"}, nil
}

// Get returns a copy of the value stored under key, or ErrKVNotFound.
func (k *KV) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var v []byte
	err := k.s.view(func(txn *badger.Txn) error {
		var err error
		v, err = (&kvTxn{txn: txn, prefix: k.prefix}).Get(key)
		return err
	})
	return v, err
}

// Put stores value under key (ttl > 0: the record expires then).
func (k *KV) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return k.Update(ctx, func(tx kv.Txn) error { return tx.Set(key, value, ttl) })
}

// Delete removes key; a missing key is not an error.
func (k *KV) Delete(ctx context.Context, key string) error {
	return k.Update(ctx, func(tx kv.Txn) error { return tx.Delete(key) })
}

// Update runs fn in one read-write transaction and commits it durably: a
// single-use code taken by two requests at once is taken once. fn may run
// again when a concurrent Update touched the same keys, so it must have no
// side effects outside tx.
func (k *KV) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := k.update(fn)
		if !errors.Is(err, badger.ErrConflict) || attempt >= maxAttempts {
			return err
		}
		backoff(attempt)
	}
}

// update runs fn once, and commits what it wrote. A transaction that only
// read commits nothing, so it works on a read-only store too. Writes of
// server-internal records are small: they are admitted while Badger has
// room for them (SECURITY row 53), without the operator's reserve, so
// signing in keeps working on a disk below its reserve. The database is
// held (dbMu) while the transaction lives: on a read-only store a swap
// (readonly.go) could otherwise close it under fn.
func (k *KV) update(fn func(tx kv.Txn) error) error {
	k.s.dbMu.RLock()
	defer k.s.dbMu.RUnlock()
	if k.s.db == nil {
		return errUnavailable
	}
	txn := k.s.db.NewTransaction(true)
	defer txn.Discard()
	tx := &kvTxn{txn: txn, prefix: k.prefix, readOnly: k.s.disk.readOnly.Load()}
	if err := fn(tx); err != nil {
		return err
	}
	if tx.written == 0 {
		return nil
	}
	done, err := k.s.disk.admit(writeOverhead+tx.written, false)
	if err != nil {
		return kvFull(err)
	}
	defer done()
	return kvFull(k.s.commitTxn(txn))
}

// List calls fn for every record whose key starts with prefix, in key
// order, with the key without the namespace. The value is valid only
// during the call.
func (k *KV) List(ctx context.Context, prefix string, fn func(key string, value []byte) error) error {
	return k.s.view(func(txn *badger.Txn) error {
		p := []byte(k.prefix + prefix)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: false})
		defer it.Close()
		for it.Seek(p); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			item := it.Item()
			key := string(item.Key()[len(k.prefix):])
			if err := item.Value(func(v []byte) error { return fn(key, v) }); err != nil {
				return err
			}
		}
		return nil
	})
}

type kvTxn struct {
	txn      *badger.Txn
	prefix   string
	readOnly bool  // the store is read-only: writes are refused
	written  int64 // bytes set or deleted
}

// write counts a write of n bytes, or refuses it on a read-only store.
func (t *kvTxn) write(n int) error {
	if t.readOnly {
		return kvFull(fmt.Errorf("%w: the store is read-only", ldp.ErrInsufficientStorage))
	}
	t.written += int64(n)
	return nil
}

func (t *kvTxn) Get(key string) ([]byte, error) {
	item, err := t.txn.Get([]byte(t.prefix + key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrKVNotFound
	}
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

func (t *kvTxn) Set(key string, value []byte, ttl time.Duration) error {
	if err := t.write(len(t.prefix) + len(key) + len(value)); err != nil {
		return err
	}
	e := badger.NewEntry([]byte(t.prefix+key), value)
	if ttl > 0 {
		e = e.WithTTL(ttl)
	}
	return t.txn.SetEntry(e)
}

func (t *kvTxn) Delete(key string) error {
	if err := t.write(len(t.prefix) + len(key)); err != nil {
		return err
	}
	return t.txn.Delete([]byte(t.prefix + key))
}

// kvFull makes a refusal for lack of space (ldp.ErrInsufficientStorage)
// also match kv.ErrInsufficientStorage, which is what KV users test for.
func kvFull(err error) error {
	if errors.Is(err, ldp.ErrInsufficientStorage) {
		return fmt.Errorf("%w: %w", kv.ErrInsufficientStorage, err)
	}
	return err
}
