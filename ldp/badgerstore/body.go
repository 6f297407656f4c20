package badgerstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/dgraph-io/badger/v4"

	"github.com/naamio/naamio/ldp"
)

const (
	// chunkSize is the size of one stored body chunk.
	chunkSize = 64 << 10
	// inlineMax: bodies up to this size are stored inside the record.
	inlineMax = 16 << 10
	// stageChunks: bodies of up to this many chunks are held in memory and
	// written in the resource's own transaction; larger ones are streamed
	// to their blob first.
	stageChunks = 16
	// batchChunks: a streamed body is committed to its blob in batches of
	// this many chunks (4 MiB), each batch one synced Badger write. The
	// batch is what one upload holds in memory; fewer, larger batches mean
	// fewer fsyncs (see BenchmarkPutLarge).
	batchChunks = 64
)

// stagedBody is a request body read to the end, hashed, and either held
// (small) or already written to a fresh blob (large).
type stagedBody struct {
	size    int64
	etag    string
	inline  []byte    // the body, when size <= inlineMax
	chunks  []*[]byte // chunks still to be written under blob in the txn
	blob    blobID
	hasBlob bool
	written bool   // the whole body is committed under blob already
	credit  int64  // size of the resource replaced, for the quota check
	pod     string // the pod whose quota it counts against (usage.go)
}

// stageBody reads the request body once, chunk by chunk, never holding more
// than batchChunks chunks in memory. credit is the size of the resource the
// body replaces, for the early quota check.
func (s *Store) stageBody(ctx context.Context, req ldp.PutRequest, credit int64) (*stagedBody, error) {
	b := &stagedBody{credit: credit, pod: podOf(req.Path)}
	h := newBodyHash(req.ContentType, req.RDF)
	var next uint32 // index of the first chunk not yet written
	for req.Body != nil {
		buf := s.getChunk()
		n, end, err := readChunk(req.Body, *buf)
		*buf = (*buf)[:n]
		if n > 0 {
			h.Write(*buf)
			b.size += int64(n)
			b.chunks = append(b.chunks, buf)
		} else {
			s.putChunk(buf)
		}
		if err != nil {
			s.abandon(b)
			return nil, fmt.Errorf("badgerstore: reading body: %w", err)
		}
		if end {
			break
		}
		if (b.written && len(b.chunks) >= batchChunks) || (!b.written && len(b.chunks) > stageChunks) {
			if err := s.flushChunks(ctx, b, &next); err != nil {
				s.abandon(b)
				return nil, err
			}
		}
	}
	b.etag = sumETag(h)
	if b.written && len(b.chunks) > 0 {
		if err := s.flushChunks(ctx, b, &next); err != nil {
			s.abandon(b)
			return nil, err
		}
	}
	b.settle()
	return b, nil
}

// readChunk fills buf from r. end reports that r ended (io.EOF) within
// it. Any other error, io.ErrUnexpectedEOF included (a request body cut
// short of its Content-Length), is an error: a truncated body is never
// stored as if it were whole.
func readChunk(r io.Reader, buf []byte) (n int, end bool, err error) {
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err == io.EOF { // io.Reader returns EOF itself, never wrapped
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
	}
	return n, false, nil
}

// settle decides where a fully read body goes: inline, or a fresh blob
// written in the resource's transaction.
func (b *stagedBody) settle() {
	if b.written {
		return
	}
	if b.size <= inlineMax {
		b.inline = make([]byte, 0, b.size)
		for _, c := range b.chunks {
			b.inline = append(b.inline, *c...)
		}
		return
	}
	b.blob = newBlobID()
	b.hasBlob = true
}

// flushChunks writes the held chunks to the body's blob (creating it) in
// their own synced transaction and drops them from memory.
func (s *Store) flushChunks(ctx context.Context, b *stagedBody, next *uint32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.usage.admits(b.pod, b.size, b.credit); err != nil {
		return err
	}
	done, err := s.disk.admit(int64(len(b.chunks))*chunkSize+writeOverhead, true)
	if err != nil {
		return err
	}
	defer done()
	if !b.hasBlob {
		b.blob, b.hasBlob, b.written = newBlobID(), true, true
	}
	if err := s.writeChunks(b.blob, *next, b.chunks); err != nil {
		return err
	}
	s.trimAfterWrite(b.blob, *next, int64(len(b.chunks))*chunkSize)
	*next += uint32(len(b.chunks))
	for _, c := range b.chunks {
		s.putChunk(c)
	}
	b.chunks = b.chunks[:0]
	return nil
}

// writeChunks commits chunks n, n+1, … of blob id, splitting the batch when
// Badger says a transaction is too big.
func (s *Store) writeChunks(id blobID, n uint32, chunks []*[]byte) error {
	txn := s.db.NewTransaction(true)
	defer func() { txn.Discard() }()
	for i, c := range chunks {
		k := chunkKey(id, n+uint32(i))
		err := txn.Set(k, *c)
		if errors.Is(err, badger.ErrTxnTooBig) {
			if err = s.commitTxn(txn); err != nil {
				return fmt.Errorf("badgerstore: writing body: %w", err)
			}
			txn = s.db.NewTransaction(true)
			err = txn.Set(k, *c)
		}
		if err != nil {
			return fmt.Errorf("badgerstore: writing body: %w", err)
		}
	}
	if err := s.commitTxn(txn); err != nil {
		return fmt.Errorf("badgerstore: writing body: %w", err)
	}
	return nil
}

// setChunks sets the held chunks in the resource's own transaction.
func (b *stagedBody) setChunks(txn *badger.Txn) error {
	for i, c := range b.chunks {
		if err := txn.Set(chunkKey(b.blob, uint32(i)), *c); err != nil {
			return fmt.Errorf("badgerstore: writing body: %w", err)
		}
	}
	return nil
}

// record builds the resource record for the body.
func (b *stagedBody) record(req ldp.PutRequest) *record {
	r := &record{
		contentType: req.ContentType,
		etag:        b.etag,
		size:        b.size,
		rdf:         req.RDF,
		aux:         req.Aux,
	}
	if b.hasBlob {
		r.blob, r.hasBlob, r.chunkSize = b.blob, true, chunkSize
	} else {
		r.inline = b.inline
	}
	return r
}

// releaseBody returns held chunk buffers to the pool. Call it only once
// Badger is done with them (after the commit returned).
func (s *Store) releaseBody(b *stagedBody) {
	for _, c := range b.chunks {
		s.putChunk(c)
	}
	b.chunks = nil
}

// abandon drops a body that will not be committed, deleting whatever of it
// was already written.
func (s *Store) abandon(b *stagedBody) {
	s.releaseBody(b)
	if b.written {
		s.freeBlobs([]blobRef{{b.blob, b.size}})
	}
}

func (s *Store) getChunk() *[]byte {
	if p, ok := s.chunks.Get().(*[]byte); ok {
		*p = (*p)[:chunkSize]
		return p
	}
	b := make([]byte, chunkSize)
	return &b
}

func (s *Store) putChunk(p *[]byte) { s.chunks.Put(p) }

func newBlobID() blobID {
	var id blobID
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails
	return id
}
