package badgerstore

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/naamio/naamio/event"
)

// maxAttempts bounds how often a write is run again after losing a
// conflict.
const maxAttempts = 64

var (
	// errContention: a write lost its conflict check maxAttempts times.
	errContention = errors.New("badgerstore: write kept conflicting, giving up")
	// errCommit wraps a failure of Badger to write a commit; whether the
	// data reached the disk is then unknown.
	errCommit = errors.New("badgerstore: commit failed")
)

// plan is what one logical write decided to do. The planner only reads;
// the committer applies the plan (apply) into its batch transaction,
// stamping the commit time and sequence numbers.
type plan struct {
	puts    []putOp
	dels    []delOp
	guards  []string       // containers whose membership changed
	changes []event.Change // Seq and Time are stamped at commit
	free    []blobRef      // blobs no longer referenced once committed
	delta   int64          // change of the stored body bytes (usage.go)
	pod     string         // the pod whose quota delta counts against (usage.go)
	now     int64          // commit time (unix ns), set by apply
	// body, when set, has chunks held in memory that apply writes under
	// its blob (planners never write to the transaction themselves).
	body *stagedBody
}

// putOp writes one record, and its containment entry when listed.
type putOp struct {
	path   string
	rec    *record
	listed bool // enter in the parent's containment index
	unlist bool // remove a containment entry left from a listed version
	// keep, when non-zero, is the modification time to keep: the write
	// leaves the content (ETag) as it was, so the representation, and with
	// it Last-Modified and every listing that shows it, stays the same
	// under the same validator (RFC 9110 §8.8.2).
	keep int64
}

// delOp removes one record and its containment entry and guard.
type delOp struct {
	path string
}

// change appends a change-log entry to be stamped at commit.
func (p *plan) change(kind event.Kind, path, etag, origin string) {
	p.changes = append(p.changes, event.Change{Kind: kind, Path: path, ETag: etag, Origin: origin})
}

// backoff sleeps a little, growing with attempt, with jitter so that
// colliding writers spread out.
func backoff(attempt int) {
	d := time.Duration(min(attempt+1, 20)) * 50 * time.Microsecond
	time.Sleep(d/2 + rand.N(d))
}

// apply stamps the commit time and sequence numbers and sets every key of
// the plan. Called by the committer only (committer.go), which owns
// nextSeq and lastTime.
func (s *Store) apply(txn *badger.Txn, p *plan) error {
	if p.body != nil {
		if err := p.body.setChunks(txn); err != nil {
			return err
		}
	}
	now := time.Now().UnixNano()
	if now <= s.lastTime {
		now = s.lastTime + 1
	}
	s.lastTime = now
	p.now = now
	for _, op := range p.puts {
		if err := setRecord(txn, op, now); err != nil {
			return err
		}
	}
	for _, op := range p.dels {
		if err := deleteRecord(txn, op.path); err != nil {
			return err
		}
	}
	stamp := binary.BigEndian.AppendUint64(nil, uint64(now))
	for _, c := range p.guards {
		if err := txn.Set(guardKey(c), stamp); err != nil {
			return err
		}
	}
	return s.appendChanges(txn, p.changes, now)
}

// setRecord writes op's record and containment entry, stamped now.
func setRecord(txn *badger.Txn, op putOp, now int64) error {
	op.rec.modified = now
	if op.keep != 0 {
		op.rec.modified = op.keep
	}
	e := badger.NewEntry(recordKey(op.path), op.rec.encode(nil, true))
	if op.rec.hasBlob {
		e = e.WithMeta(userMetaBlob)
	}
	if err := txn.SetEntry(e); err != nil {
		return err
	}
	parent := parentOf(op.path)
	switch {
	case parent == "":
		return nil
	case op.listed:
		return txn.Set(containKey(parent, nameIn(op.path)), op.rec.encode(nil, false))
	case op.unlist:
		return txn.Delete(containKey(parent, nameIn(op.path)))
	}
	return nil
}

// deleteRecord removes a record, its containment entry (a no-op for
// auxiliary resources) and, for a container, its guard.
func deleteRecord(txn *badger.Txn, path string) error {
	if err := txn.Delete(recordKey(path)); err != nil {
		return err
	}
	if isContainer(path) {
		if err := txn.Delete(guardKey(path)); err != nil {
			return err
		}
	}
	if parent := parentOf(path); parent != "" {
		return txn.Delete(containKey(parent, nameIn(path)))
	}
	return nil
}
