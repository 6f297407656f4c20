package badgerstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/ristretto/v2/z"
)

// Backups (issue 16 item 2). The store hands out the keys of one
// snapshot through Badger's Stream; the file format (header, framing,
// checksum, chain) is the server's (server/backup.go).
//
// Every backup lists EVERY key visible in its snapshot. Keys written
// after the previous backup of the chain (version > since) come with
// their value; the others come as the key alone. Restoring a file
// therefore sets the changed keys and deletes every key the file does
// not list. This makes an incremental backup exact even for deletes:
// Badger's own incremental backup (DB.Backup with since) carries a
// delete only as a tombstone, and compaction discards tombstones once
// no reader is older (NumVersionsToKeep 1), so a resource deleted
// between two backups would come back on restore.
//
// One snapshot: Stream opens one read transaction per producer
// goroutine (Stream.produceKVs), each at its own read timestamp, so
// with several producers a backup taken under writes would mix
// instants. NumGo is 1: one transaction, one point in time.

// BackupKV is one key of a backup: with its value when HasValue.
type BackupKV struct {
	Key       []byte
	HasValue  bool
	Value     []byte
	UserMeta  byte
	ExpiresAt uint64
}

// Backup streams every key of one snapshot of the store to emit (called
// from one goroutine, in key order per batch), with the values of those
// whose version is above since (0: all). It returns the highest version
// in the snapshot, the since of the next incremental backup. Reads and
// writes go on meanwhile; freed bodies are not dropped while it runs
// (a dropped body's chunks would vanish from the snapshot: reclaim.go).
func (s *Store) Backup(ctx context.Context, since uint64, emit func([]BackupKV) error) (uint64, error) {
	ticket := s.rc.enter()
	defer s.rc.leave(ticket)
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	if s.db == nil {
		return 0, errUnavailable
	}
	return backupDB(ctx, s.db, since, emit)
}

func backupDB(ctx context.Context, db *badger.DB, since uint64, emit func([]BackupKV) error) (uint64, error) {
	st := db.NewStream()
	st.LogPrefix = "naamio backup"
	st.NumGo = 1 // one read transaction: one point in time (see above)
	var mu sync.Mutex
	var maxVersion uint64
	// Stream logs a KeyToList error and goes on without the key
	// (produceKVs): a backup missing a key must fail instead.
	var keyErr error
	st.KeyToList = func(key []byte, itr *badger.Iterator) (*pb.KVList, error) {
		list := &pb.KVList{}
		for ; itr.Valid(); itr.Next() {
			item := itr.Item()
			if !bytes.Equal(item.Key(), key) {
				break
			}
			if item.IsDeletedOrExpired() {
				break // absent from the snapshot
			}
			v := item.Version()
			mu.Lock()
			maxVersion = max(maxVersion, v)
			mu.Unlock()
			kv := &pb.KV{Key: item.KeyCopy(nil), Version: v}
			if v > since {
				val, err := item.ValueCopy(nil)
				if err != nil {
					mu.Lock()
					keyErr = cmp.Or(keyErr, fmt.Errorf("backup: key %x: %w", item.Key(), err))
					mu.Unlock()
					return nil, err
				}
				// Meta's low bit says "has value" (an empty value is a value).
				kv.Value, kv.Meta = val, []byte{1}
				kv.UserMeta = []byte{item.UserMeta()}
				kv.ExpiresAt = item.ExpiresAt()
			}
			list.Kv = append(list.Kv, kv)
			break // the newest version only
		}
		return list, nil
	}
	st.Send = func(buf *z.Buffer) error {
		list, err := badger.BufferToKVList(buf)
		if err != nil {
			return err
		}
		out := make([]BackupKV, 0, len(list.Kv))
		for _, kv := range list.Kv {
			if kv.StreamDone {
				continue
			}
			b := BackupKV{Key: kv.Key, ExpiresAt: kv.ExpiresAt}
			if len(kv.Meta) == 1 && kv.Meta[0] == 1 {
				b.HasValue, b.Value = true, kv.Value
				if len(kv.UserMeta) == 1 {
					b.UserMeta = kv.UserMeta[0]
				}
			}
			out = append(out, b)
		}
		return emit(out)
	}
	if err := st.Orchestrate(ctx); err != nil {
		return 0, err
	}
	if keyErr != nil {
		return 0, keyErr
	}
	return maxVersion, nil
}

// ID is the store's identity: random, written when the store is created
// and again by a restore. An incremental backup continues only a chain
// taken of the same store (versions of another store mean nothing).
func (s *Store) ID() string { return s.id }

const keyID = "m/id"

func newStoreID() []byte {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return []byte(hex.EncodeToString(b[:]))
}

// loadID reads the store's identity, writing one if it has none (a
// store created before identities; read-only: left empty).
func (s *Store) loadID(readOnly bool) error {
	var id []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keyID))
		if err != nil {
			return err
		}
		id, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) && !readOnly {
		id = newStoreID()
		err = s.db.Update(func(txn *badger.Txn) error { return txn.Set([]byte(keyID), id) })
	} else if errors.Is(err, badger.ErrKeyNotFound) {
		err = nil
	}
	s.id = string(id)
	return err
}

// Restorer rebuilds a store's database in an empty directory from
// backup files applied in order (Begin, Put each key, End).
type Restorer struct {
	db   *badger.DB
	wb   *badger.WriteBatch
	keys map[string]struct{}
}

// NewRestorer opens a new database in dir, which must be empty or
// absent.
func NewRestorer(dir string) (*Restorer, error) {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("restore: %s is not empty", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	opts := Options{}.withDefaults()
	db, err := badger.Open(badgerOptions(dir, opts, sizes{valueLog: valueLogFileSize, memTable: memTableSize}))
	if err != nil {
		return nil, err
	}
	return &Restorer{db: db}, nil
}

// Begin starts applying one backup file.
func (r *Restorer) Begin() {
	r.wb = r.db.NewWriteBatch()
	r.keys = map[string]struct{}{}
}

// Put applies one key of the file.
func (r *Restorer) Put(kv BackupKV) error {
	r.keys[string(kv.Key)] = struct{}{}
	if !kv.HasValue {
		return nil
	}
	e := badger.NewEntry(append([]byte(nil), kv.Key...), append([]byte(nil), kv.Value...)).WithMeta(kv.UserMeta)
	e.ExpiresAt = kv.ExpiresAt
	return r.wb.SetEntry(e)
}

// End finishes the file: every key it did not list is deleted.
func (r *Restorer) End() error {
	if err := r.wb.Flush(); err != nil {
		return err
	}
	var gone [][]byte
	err := r.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if _, ok := r.keys[string(it.Item().Key())]; !ok {
				gone = append(gone, it.Item().KeyCopy(nil))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	wb := r.db.NewWriteBatch()
	for _, k := range gone {
		if err := wb.Delete(k); err != nil {
			return err
		}
	}
	r.keys = nil
	return wb.Flush()
}

// Close gives the restored store an identity of its own (it is not the
// store it was backed up from: a backup of it starts a new chain) and
// closes the database.
func (r *Restorer) Close() error {
	err := r.db.Update(func(txn *badger.Txn) error { return txn.Set([]byte(keyID), newStoreID()) })
	if cerr := r.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// Abort closes the database without finishing it.
func (r *Restorer) Abort() { _ = r.db.Close() }
