package badgerstore

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
)

// Delete removes a resource and, in the same transaction, each of
// req.Aux that exists, each with its own Delete entry. A container with
// children is a conflict (Solid Protocol §5.4); the root is never deleted.
func (s *Store) Delete(ctx context.Context, req ldp.DeleteRequest) error {
	if err := checkPath(req.Path); err != nil {
		return err
	}
	for _, a := range req.Aux {
		if err := checkPath(a); err != nil {
			return err
		}
	}
	if err := s.disk.check(0); err != nil {
		return err
	}
	p, err := s.update(ctx, func(txn *badger.Txn) (*plan, error) {
		return planDelete(txn, req)
	})
	if err != nil {
		return err
	}
	s.freeBlobs(p.free)
	return nil
}

// planDelete runs the precondition and plans the removal of the subject
// and its existing auxiliary resources.
func planDelete(txn *badger.Txn, req ldp.DeleteRequest) (*plan, error) {
	cur, err := current(txn, req.Path, req.Precondition)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, notFound(req.Path)
	}
	if req.Path == "/" {
		return nil, fmt.Errorf("%w: the root container is never deleted", ldp.ErrConflict)
	}
	p := &plan{}
	if err := planDeleteOne(txn, p, req.Path, cur, req.Origin); err != nil {
		return nil, err
	}
	for _, a := range req.Aux {
		if a == req.Path || a == "/" {
			continue
		}
		rec, err := getRecord(txn, a, false)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			continue
		}
		if err := planDeleteOne(txn, p, a, rec, req.Origin); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// planDeleteOne plans the removal of one existing resource. For a
// container it reads the guard, so a child creation committed beside it
// would make the transaction conflict (doc.go; with the one committer,
// writes are serial and this stays as a safeguard).
func planDeleteOne(txn *badger.Txn, p *plan, path string, rec *record, origin string) error {
	if isContainer(path) {
		if _, err := guardTime(txn, path); err != nil {
			return err
		}
		if hasChildren(txn, path) {
			return fmt.Errorf("%w: container %s is not empty", ldp.ErrConflict, path)
		}
	}
	p.dels = append(p.dels, delOp{path: path})
	p.pod = podOf(path)
	p.delta -= rec.size
	if !rec.aux {
		p.guards = append(p.guards, parentOf(path))
	}
	if rec.hasBlob {
		p.free = append(p.free, blobRef{rec.blob, rec.size})
	}
	p.change(event.Delete, path, "", origin)
	return nil
}
