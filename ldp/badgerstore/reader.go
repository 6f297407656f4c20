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
// txn, a read snapshot, and reads one chunk at a time; otherwise it
// discards txn.
func bodyReader(txn *badger.Txn, rec *record, off, n int64) io.ReadCloser {
	off = min(max(off, 0), rec.size)
	end := min(off+max(n, 0), rec.size)
	if !rec.hasBlob {
		txn.Discard()
		return io.NopCloser(bytes.NewReader(rec.inline[off:end]))
	}
	return &blobReader{txn: txn, rec: rec, off: off, end: end}
}

// blobReader streams a range of a chunked body from a snapshot, so a
// concurrent replace or delete never changes bytes under a reader.
type blobReader struct {
	txn    *badger.Txn
	rec    *record
	off    int64
	end    int64
	cur    []byte // unread part of the loaded chunk
	buf    []byte // reused value buffer
	closed bool
}

func (r *blobReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errReaderClosed
	}
	if len(r.cur) == 0 {
		if r.off >= r.end {
			return 0, io.EOF
		}
		if err := r.load(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	r.off += int64(n)
	return n, nil
}

// load reads the chunk holding r.off and checks its length.
func (r *blobReader) load() error {
	cs := int64(r.rec.chunkSize)
	idx := r.off / cs
	key := chunkKey(r.rec.blob, uint32(idx))
	item, err := r.txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return fmt.Errorf("%w: missing chunk", corrupt(key))
	}
	if err != nil {
		return fmt.Errorf("badgerstore: reading body: %w", err)
	}
	r.buf, err = item.ValueCopy(r.buf[:0])
	if err != nil {
		return fmt.Errorf("badgerstore: reading body: %w", err)
	}
	start := idx * cs
	if int64(len(r.buf)) != min(cs, r.rec.size-start) {
		return fmt.Errorf("%w: chunk has the wrong length", corrupt(key))
	}
	r.cur = r.buf[r.off-start : min(int64(len(r.buf)), r.end-start)]
	return nil
}

// Close releases the snapshot. It is safe to call more than once.
func (r *blobReader) Close() error {
	if !r.closed {
		r.closed = true
		r.txn.Discard()
	}
	return nil
}
