package badgerstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/dgraph-io/badger/v4"
)

var errReaderClosed = errors.New("badgerstore: read after close")

// bodyReader returns a reader for n bytes of rec's body from offset off
// (the whole body is off 0, n rec.size). For a blob it takes ownership of
// txn, the read snapshot rec came from, and of the caller's reclaimer
// registration for rec.blob, and reads one chunk at a time, reporting the
// bytes it reads to the map trimmer; otherwise it discards txn. Called
// with dbMu read-locked, so the reader is registered before a swap
// (readonly.go) can close the database txn belongs to.
func (s *Store) bodyReader(txn *badger.Txn, rec *record, off, n int64) io.ReadCloser {
	off = min(max(off, 0), rec.size)
	end := min(off+max(n, 0), rec.size)
	if !rec.hasBlob {
		txn.Discard()
		return io.NopCloser(bytes.NewReader(rec.inline[off:end]))
	}
	r := &blobReader{s: s, txn: txn, rec: rec, off: off, end: end}
	s.readersMu.Lock()
	s.readers[r] = struct{}{}
	s.readersMu.Unlock()
	return r
}

// blobReader streams a range of a chunked body from a snapshot, so a
// concurrent replace or delete never changes bytes under a reader. Only the
// chunks holding bytes of the range are read. While it is open its blob
// is registered with the reclaimer and never dropped.
//
// When a read-only store is reopened for writing, the swap discards the
// transaction of every open reader (detachReaders) before it closes the
// database, and the reader's next chunk is read in a new transaction of the
// new database: the same bytes, since a blob id is never written twice and
// the blob is not dropped while the reader is open. Loads and Close hold
// dbMu's read lock, so they never run during a swap.
type blobReader struct {
	s      *Store
	txn    *badger.Txn // nil after a swap, until the next load
	rec    *record
	off    int64
	end    int64
	cur    []byte // unread part of the loaded chunk
	buf    []byte // reused value buffer
	closed bool
}

// detachReaders discards the transactions of all open body readers. Called
// with dbMu write-locked, before the database closes.
func (s *Store) detachReaders() {
	s.readersMu.Lock()
	defer s.readersMu.Unlock()
	for r := range s.readers {
		if r.txn != nil {
			r.txn.Discard()
			r.txn = nil
		}
	}
}

func (r *blobReader) Read(p []byte) (int, error) {
	if err := r.fill(); err != nil {
		return 0, err
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	r.off += int64(n)
	return n, nil
}

// WriteTo writes the rest of the range to w a chunk at a time, without an
// intermediate copy buffer (io.Copy uses it).
func (r *blobReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		err := r.fill()
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		n, err := w.Write(r.cur)
		total += int64(n)
		r.cur = r.cur[n:]
		r.off += int64(n)
		if err != nil {
			return total, err
		}
	}
}

// fill makes r.cur non-empty, loading the next chunk, or returns io.EOF at
// the end of the range.
func (r *blobReader) fill() error {
	if r.closed {
		return errReaderClosed
	}
	if len(r.cur) > 0 {
		return nil
	}
	if r.off >= r.end {
		return io.EOF
	}
	return r.load()
}

// load reads the chunk holding r.off and checks its length.
func (r *blobReader) load() error {
	cs := int64(r.rec.chunkSize)
	idx := r.off / cs
	key := chunkKey(r.rec.blob, uint32(idx))
	r.s.dbMu.RLock()
	defer r.s.dbMu.RUnlock()
	if r.txn == nil {
		if r.s.db == nil {
			return errUnavailable
		}
		r.txn = r.s.db.NewTransaction(false)
	}
	item, err := r.txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return fmt.Errorf("%w: missing chunk", corrupt(key))
	}
	if err != nil {
		return fmt.Errorf("badgerstore: reading body: %w", err)
	}
	var valueErr error // the value could not be loaded: perhaps moved
	if r.buf, valueErr = item.ValueCopy(r.buf[:0]); valueErr == nil && r.s.mapped.tick(int64(len(r.buf))) {
		r.s.mapped.trimVia(item)
	}
	if valueErr != nil {
		if r.buf, err = r.s.readMoved(key, r.buf[:0]); err != nil {
			return fmt.Errorf("badgerstore: reading body: %w", err)
		}
	}
	start := idx * cs
	if int64(len(r.buf)) != min(cs, r.rec.size-start) {
		return fmt.Errorf("%w: chunk has the wrong length", corrupt(key))
	}
	r.cur = r.buf[r.off-start : min(int64(len(r.buf)), r.end-start)]
	return nil
}

// Close releases the snapshot and the blob. It is safe to call more than
// once.
func (r *blobReader) Close() error {
	if !r.closed {
		r.closed = true
		r.s.dbMu.RLock()
		r.s.readersMu.Lock()
		delete(r.s.readers, r)
		r.s.readersMu.Unlock()
		if r.txn != nil {
			r.txn.Discard()
			r.txn = nil
		}
		r.s.dbMu.RUnlock()
		r.s.rc.release(r.rec.blob)
	}
	return nil
}

// readMoved reads a chunk whose value the reader's snapshot could not
// load, from a fresh snapshot. Value-log GC moves a live value by writing
// it again under the same key and version (valueLog.rewrite in value.go
// copies the versioned key and writes it with DB.batchSet, not in a
// transaction), so a snapshot normally finds the new location; but a read
// that looked the key up just before the move and loads the value just
// after the old file was deleted fails ("file with ID ... not found").
// Chunks are immutable (a blob id is never written twice with different
// bytes), so a fresh lookup returns the same bytes. Any other failure (a
// checksum error) fails here again and is returned.
func (s *Store) readMoved(key, buf []byte) ([]byte, error) {
	err := s.view(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		buf, err = item.ValueCopy(buf)
		return err
	})
	if err == nil {
		s.rc.mu.Lock()
		s.rc.stats.moved++
		s.rc.mu.Unlock()
	}
	return buf, err
}
