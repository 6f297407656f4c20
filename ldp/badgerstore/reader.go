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
// txn, a read snapshot, and reads one chunk at a time, reporting the bytes
// it reads to mapped; otherwise it discards txn.
func bodyReader(txn *badger.Txn, rec *record, off, n int64, mapped *mapTrimmer) io.ReadCloser {
	off = min(max(off, 0), rec.size)
	end := min(off+max(n, 0), rec.size)
	if !rec.hasBlob {
		txn.Discard()
		return io.NopCloser(bytes.NewReader(rec.inline[off:end]))
	}
	return &blobReader{txn: txn, rec: rec, off: off, end: end, mapped: mapped}
}

// blobReader streams a range of a chunked body from a snapshot, so a
// concurrent replace or delete never changes bytes under a reader. Only the
// chunks holding bytes of the range are read.
type blobReader struct {
	txn    *badger.Txn
	rec    *record
	mapped *mapTrimmer
	off    int64
	end    int64
	cur    []byte // unread part of the loaded chunk
	buf    []byte // reused value buffer
	closed bool
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
	if r.mapped.tick(int64(len(r.buf))) {
		r.mapped.trimVia(item)
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
