package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
)

// Containers the store creates itself (intermediates, the root) are empty
// RDF sources.
const containerType = "text/turtle"

// putResult carries the outcome of the last attempt of a put transaction.
type putResult struct {
	meta    ldp.Meta
	rec     *record // the target's record; its modified time is set at commit
	created bool
}

// Put creates or replaces a resource in one transaction, creating missing
// ancestor containers (Solid Protocol §3.1,
// server-put-patch-intermediate-containers). The body is read once, before
// the transaction; a large body is written to a fresh blob first and
// removed again if the transaction does not commit.
func (s *Store) Put(ctx context.Context, req ldp.PutRequest) (ldp.Meta, bool, error) {
	if err := checkPath(req.Path); err != nil {
		return ldp.Meta{}, false, err
	}
	if err := s.disk.check(max(req.SizeHint, 0)); err != nil {
		return ldp.Meta{}, false, err
	}
	var credit int64
	if s.usage.limited(req.Path) {
		credit = s.sizeAt(req.Path)
	}
	body, err := s.stageBody(ctx, req, credit)
	if err != nil {
		return ldp.Meta{}, false, err
	}
	defer s.releaseBody(body)
	// The bytes this transaction writes: the body unless already written
	// in its own batches (flushChunks admitted those).
	held := int64(writeOverhead)
	if !body.written {
		held += body.size
	}
	done, err := s.disk.admit(held, true)
	if err != nil {
		s.abandon(body)
		return ldp.Meta{}, false, err
	}
	defer done()
	var res putResult
	p, err := s.update(ctx, func(txn *badger.Txn) (*plan, error) {
		return s.planPut(txn, req, body, &res)
	})
	if err != nil {
		if body.written && !errors.Is(err, errCommit) {
			s.freeBlobs([]blobRef{{body.blob, body.size}})
		}
		return ldp.Meta{}, false, err
	}
	s.freeBlobs(p.free)
	if body.hasBlob && !body.written {
		s.trimAfterWrite(body.blob, 0, body.size)
	}
	res.meta.Modified = time.Unix(0, res.rec.modified).UTC()
	return res.meta, res.created, nil
}

// planPut reads the current state, runs the precondition, checks the tree
// rules and plans the writes of one Put.
func (s *Store) planPut(txn *badger.Txn, req ldp.PutRequest, body *stagedBody, res *putResult) (*plan, error) {
	cur, err := current(txn, req.Path, req.Precondition)
	if err != nil {
		return nil, err
	}
	if err := checkTwin(txn, req.Path); err != nil {
		return nil, err
	}
	missing, err := missingAncestors(txn, req.Path)
	if err != nil {
		return nil, err
	}
	if req.Aux {
		missing = nil // auxiliary resources create no containers
	}
	rec := body.record(req)
	p := &plan{}
	if body.hasBlob && !body.written {
		p.body = body // its chunks are written by apply
	}
	planIntermediates(p, missing, req.Path, rec.etag, req.Origin)
	etag, err := planTarget(txn, p, req, rec, cur)
	if err != nil {
		return nil, err
	}
	m := rec.meta(req.Path)
	m.ETag = etag
	*res = putResult{meta: m, rec: rec, created: cur == nil}
	return p, nil
}

// current reads the record at path and runs the precondition with its
// Meta (nil when absent).
func current(txn *badger.Txn, path string, pre ldp.Precondition) (*record, error) {
	cur, err := getRecord(txn, path, false)
	if err != nil {
		return nil, err
	}
	if pre == nil {
		return cur, nil
	}
	var m *ldp.Meta
	if cur != nil {
		d, err := derive(txn, path, cur)
		if err != nil {
			return nil, err
		}
		m = &d
	}
	if err := pre(m); err != nil {
		return nil, err
	}
	return cur, nil
}

// checkTwin refuses a write to "/x" while "/x/" exists, and the reverse
// (Solid Protocol §3.1: a container and a document never share a URI
// differing only by the trailing slash).
func checkTwin(txn *badger.Txn, path string) error {
	if path == "/" {
		return nil
	}
	ok, err := exists(txn, twinOf(path))
	if err != nil {
		return err
	}
	if ok {
		return fmt.Errorf("%w: %s exists", ldp.ErrConflict, twinOf(path))
	}
	return nil
}

// missingAncestors walks up from path's parent to the nearest existing
// container and returns the containers to create, outermost first. An
// ancestor that exists as a document is a conflict.
func missingAncestors(txn *badger.Txn, path string) ([]string, error) {
	var missing []string
	for c := parentOf(path); c != ""; c = parentOf(c) {
		ok, err := exists(txn, c)
		if err != nil {
			return nil, err
		}
		if ok {
			break
		}
		if err := checkTwin(txn, c); err != nil {
			return nil, fmt.Errorf("%w: ancestor %s is not a container", ldp.ErrConflict, twinOf(c))
		}
		missing = append(missing, c)
	}
	slices.Reverse(missing)
	return missing, nil
}

// newContainerRecord is the record of a container the store creates.
func newContainerRecord() *record {
	return &record{contentType: containerType, rdf: true, etag: bodyETag(containerType, true, nil)}
}

// planIntermediates plans the creation of each missing container, each
// listed in its parent and with its own Create entry. The entry's ETag is
// the container's as committed: own ETag plus its one child.
func planIntermediates(p *plan, missing []string, target, targetETag, origin string) {
	for i, c := range missing {
		rec := newContainerRecord()
		p.puts = append(p.puts, putOp{path: c, rec: rec, listed: true})
		p.guards = append(p.guards, parentOf(c))
		child, childETag := target, targetETag
		if i+1 < len(missing) {
			child, childETag = missing[i+1], rec.etag
		}
		ce := containerETag{own: rec.etag}
		ce.add(nameIn(child), childETag)
		p.change(event.Create, c, ce.sum(), origin)
	}
}

// planTarget plans the write of the target itself and returns its ETag as
// committed (for a container, covering its children).
func planTarget(txn *badger.Txn, p *plan, req ldp.PutRequest, rec *record, cur *record) (string, error) {
	listed := !req.Aux && req.Path != "/"
	op := putOp{
		path:   req.Path,
		rec:    rec,
		listed: listed,
		unlist: !listed && cur != nil && !cur.aux,
	}
	if cur != nil && cur.etag == rec.etag {
		op.keep = cur.modified
	}
	p.puts = append(p.puts, op)
	if listed && (cur == nil || cur.aux) {
		p.guards = append(p.guards, parentOf(req.Path))
	}
	if cur != nil && cur.hasBlob && cur.blob != rec.blob {
		p.free = append(p.free, blobRef{cur.blob, cur.size})
	}
	p.pod = podOf(req.Path)
	p.delta += rec.size
	if cur != nil {
		p.delta -= cur.size
	}
	etag := rec.etag
	if isContainer(req.Path) {
		ce := containerETag{own: rec.etag}
		err := scanChildren(txn, req.Path, func(name string, child *record) { ce.add(name, child.etag) })
		if err != nil {
			return "", err
		}
		etag = ce.sum()
	}
	kind := event.Update
	if cur == nil {
		kind = event.Create
	}
	p.change(kind, req.Path, etag, req.Origin)
	return etag, nil
}

// ensureRoot creates the root container, with its Create entry, when the
// store is new.
func (s *Store) ensureRoot() error {
	_, err := s.update(context.Background(), func(txn *badger.Txn) (*plan, error) {
		p := &plan{}
		if ok, err := exists(txn, "/"); err != nil || ok {
			return p, err
		}
		rec := newContainerRecord()
		p.puts = append(p.puts, putOp{path: "/", rec: rec})
		p.change(event.Create, "/", rec.etag, event.OriginSetup)
		return p, nil
	})
	return err
}
