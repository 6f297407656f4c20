package badgerstore

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Reclaiming the space of freed bodies.
//
// A body no record points at any more (replaced, deleted, or an upload
// that failed) is "freed". Its chunks cannot simply be deleted: Badger's
// value-log GC (value.go, valueLog.pickLog) only rewrites a value-log file
// whose discard statistics say enough of it is garbage, and those
// statistics are only raised when a compaction drops a key pointing into
// the file (levels.go, levelsController.subcompact, updateStats). Deleting
// a chunk writes a small tombstone that sits in the memtable, so nothing is
// compacted, GC finds nothing to rewrite, and every overwrite of a large
// body adds its full size to the disk (measured: 20 overwrites of 32 MiB
// grew the value log by 640 MiB, GC returning ErrNoRewrite each time).
//
// Instead, freed blobs are collected here and their key ranges dropped
// together with DB.DropPrefix (db.go). DropPrefix stops writes, flushes
// every memtable to level 0 and runs a forced compaction that skips every
// key under the prefixes, all versions, crediting each skipped value
// pointer to its file's discard statistics (subcompact's dropPrefixes
// branch). Value-log GC then rewrites the files that became mostly garbage
// and deletes them. Two Badger facts shape the rest:
//
//   - DropPrefix skips a prefix none of whose keys is visible
//     (DB.filterPrefixesToDrop), so freed chunks are never deleted with
//     tombstones first: they stay until they are dropped. A crash before
//     that leaves them unreferenced, and Open's orphan sweep drops them.
//   - DropPrefix removes every version regardless of open snapshots, so a
//     reader still streaming a freed body would find its chunks gone. A
//     freed blob is therefore dropped only once no reader that could see
//     it is open (the ticket and reader counts below).
//
// While DropPrefix runs, Badger refuses writes with ErrBlockedWrites
// (DB.sendToWriteCh). The store never lets a write reach Badger then: every
// commit is submitted under gate's read lock (submit.go) and the drop
// holds its write lock, so writes wait for the drop instead of failing.
type reclaimer struct {
	mu      sync.Mutex
	gen     uint64           // counts frees; a ticket is the gen at reader start
	tickets map[uint64]int   // readers that have not yet found their blob, by ticket
	readers map[blobID]int   // open readers of each blob
	pending map[blobID]freed // freed blobs not yet dropped
	bytes   int64            // sum of pending sizes
	gcDue   bool             // a drop (or Open's sweep) made value-log GC worth running
	stats   reclaimStats     // for tests and logs
	after   int64            // drop once this many eligible bytes are pending
	kick    chan struct{}    // wakes the reclaim loop (capacity 1)
	run     sync.Mutex       // serializes reclaim passes
}

// freed is a blob waiting to be dropped.
type freed struct {
	size int64
	gen  uint64 // r.gen right after the free
}

// reclaimStats records what the reclaimer did.
type reclaimStats struct {
	drops    int           // DropPrefix calls
	blobs    int           // blobs dropped
	maxStall time.Duration // longest time writes were held for a drop
	lastDrop time.Duration
	rewrites int // value-log files rewritten by GC
	gcRuns   int // value-log GC passes (runValueLogGC)
	moved    int // chunk reads retried after GC moved the value (reader.go)
}

// defaultReclaimAfter is how many bytes of freed bodies, droppable now,
// trigger a drop between GC intervals. Each drop holds writes for the
// length of a memtable flush and a level-0 compaction, so drops are
// batched; the bytes wait on disk meanwhile (see the bound in
// reclaim_test.go).
const defaultReclaimAfter = 64 << 20

// maxDropBatch bounds the prefixes handed to one DropPrefix call: Badger
// tests every key of the compaction against each prefix.
const maxDropBatch = 256

func newReclaimer(after int64) *reclaimer {
	if after <= 0 {
		after = defaultReclaimAfter
	}
	return &reclaimer{
		tickets: map[uint64]int{},
		readers: map[blobID]int{},
		pending: map[blobID]freed{},
		after:   after,
		kick:    make(chan struct{}, 1),
	}
}

// enter is called before a reader opens its snapshot. The ticket it
// returns holds back every blob freed after this call until the reader
// says which blob it reads (bind) or that it reads none (leave): any
// snapshot that can still see a blob began before that blob was freed.
func (r *reclaimer) enter() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.gen
	r.tickets[t]++
	return t
}

// bind turns ticket t into a reader of blob id, which is then not dropped
// until release(id).
func (r *reclaimer) bind(t uint64, id blobID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.readers[id]++
	r.dropTicket(t)
}

// leave ends ticket t of a reader that reads no blob.
func (r *reclaimer) leave(t uint64) {
	r.mu.Lock()
	r.dropTicket(t)
	waiting := len(r.pending) > 0
	r.mu.Unlock()
	if waiting {
		r.wake()
	}
}

// release ends a reader of blob id.
func (r *reclaimer) release(id blobID) {
	r.mu.Lock()
	if r.readers[id]--; r.readers[id] <= 0 {
		delete(r.readers, id)
	}
	_, freed := r.pending[id]
	r.mu.Unlock()
	if freed {
		r.wake()
	}
}

func (r *reclaimer) dropTicket(t uint64) {
	if r.tickets[t]--; r.tickets[t] <= 0 {
		delete(r.tickets, t)
	}
}

// free queues blobs for dropping. Call it only after the commit that
// stopped referencing them returned.
func (r *reclaimer) free(bs []blobRef) {
	if len(bs) == 0 {
		return
	}
	r.mu.Lock()
	r.gen++
	for _, b := range bs {
		r.pending[b.id] = freed{size: b.size, gen: r.gen}
		r.bytes += b.size
	}
	r.mu.Unlock()
	r.wake()
}

// wake nudges the reclaim loop without blocking.
func (r *reclaimer) wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// eligible returns the pending blobs that may be dropped now (no reader,
// no ticket older than the free) and their total size, at most limit of
// them.
func (r *reclaimer) eligible(limit int) ([]blobID, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	oldest, anyTicket := uint64(0), false
	for t := range r.tickets {
		if !anyTicket || t < oldest {
			oldest, anyTicket = t, true
		}
	}
	var ids []blobID
	var size int64
	for id, f := range r.pending {
		if len(ids) == limit {
			break
		}
		if r.readers[id] > 0 || (anyTicket && oldest < f.gen) {
			continue
		}
		ids = append(ids, id)
		size += f.size
	}
	return ids, size
}

// snapshot returns the statistics and the bytes still pending.
func (r *reclaimer) snapshot() (reclaimStats, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats, r.bytes
}

// dropped forgets blobs whose keys are gone.
func (r *reclaimer) dropped(ids []blobID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		r.bytes -= r.pending[id].size
		delete(r.pending, id)
	}
}

// blobRef names a blob and the size of the body it holds.
type blobRef struct {
	id   blobID
	size int64
}

// freeBlobs queues blobs no record points at any more for reclaiming.
func (s *Store) freeBlobs(bs []blobRef) {
	s.rc.free(bs)
}

// reclaimLoop drops freed blobs when enough are droppable, and at every GC
// interval drops whatever is droppable and runs value-log GC, until Close.
// interval <= 0 disables the periodic pass.
func (s *Store) reclaimLoop(interval time.Duration) {
	defer s.bg.Done()
	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		var all bool
		select {
		case <-s.stop:
			return
		case <-tick:
			all = true
		case <-s.rc.kick:
		}
		if err := s.reclaim(all); err != nil {
			s.log.Error("reclaiming freed bodies", "err", err)
		}
	}
}

// reclaim drops the droppable freed blobs, when all is set or they add up
// to the threshold, and then runs value-log GC if a drop happened since
// the last run (or, with all, in any case).
func (s *Store) reclaim(all bool) error {
	s.rc.run.Lock()
	defer s.rc.run.Unlock()
	if s.disk.readOnly.Load() {
		return nil // nothing is freed, nor can be dropped, while read-only
	}
	for {
		ids, size := s.rc.eligible(maxDropBatch)
		if len(ids) == 0 || (!all && size < s.rc.after && len(ids) < maxDropBatch) {
			break
		}
		if err := s.dropBlobs(ids); err != nil {
			return err
		}
		if s.stopping() {
			return nil
		}
	}
	s.rc.mu.Lock()
	due := s.rc.gcDue || all
	s.rc.gcDue = false
	s.rc.mu.Unlock()
	if !due {
		return nil
	}
	return s.runValueLogGC()
}

// dropBlobs drops the key ranges of blobs nothing refers to or reads, with
// writes held at the gate meanwhile. A blob whose keys are still there
// afterwards (Badger gave up on a compaction: levelsController.dropPrefixes
// logs a warning and returns nil when the level-0 compaction fails) stays
// pending for the next pass.
func (s *Store) dropBlobs(ids []blobID) error {
	prefixes := make([][]byte, len(ids))
	for i, id := range ids {
		prefixes[i] = blobPrefix(id)
	}
	s.gate.Lock()
	start := time.Now()
	err := s.db.DropPrefix(prefixes...)
	stall := time.Since(start)
	s.gate.Unlock()
	s.rc.mu.Lock()
	s.rc.stats.drops++
	s.rc.stats.lastDrop = stall
	s.rc.stats.maxStall = max(s.rc.stats.maxStall, stall)
	s.rc.mu.Unlock()
	if err != nil {
		return fmt.Errorf("dropping %d freed bodies: %w", len(ids), err)
	}
	gone := ids[:0:0]
	for _, id := range ids {
		ok, err := s.hasBlob(id)
		if err != nil {
			return err
		}
		if !ok {
			gone = append(gone, id)
		}
	}
	s.rc.dropped(gone)
	s.rc.mu.Lock()
	s.rc.stats.blobs += len(gone)
	s.rc.gcDue = true
	s.rc.mu.Unlock()
	if len(gone) < len(ids) {
		return fmt.Errorf("%d of %d freed bodies still present after DropPrefix; retrying later", len(ids)-len(gone), len(ids))
	}
	return nil
}

// hasBlob reports whether any chunk of blob id is visible.
func (s *Store) hasBlob(id blobID) (bool, error) {
	var ok bool
	err := s.view(func(txn *badger.Txn) error {
		prefix := blobPrefix(id)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		it.Seek(prefix)
		ok = it.Valid()
		return nil
	})
	return ok, err
}

// stopping reports whether Close has begun.
func (s *Store) stopping() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// runValueLogGC rewrites value-log files until none has enough garbage.
// Badger picks only the file with the most discarded bytes and declines
// (ErrNoRewrite) when that file is below the ratio or is the file being
// written (valueLog.pickLog), so the active file's garbage waits until it
// fills and a new one starts.
//
// A rewrite copies up to one file's live values into the active file, so
// it runs only while there is room for that (SECURITY row 53).
func (s *Store) runValueLogGC() error {
	s.rc.mu.Lock()
	s.rc.stats.gcRuns++
	s.rc.mu.Unlock()
	for range 100 {
		if s.stopping() {
			return nil
		}
		done, err := s.disk.admit(s.disk.sizes.valueLog, false)
		if err != nil {
			return nil // no room: the garbage waits
		}
		err = s.db.RunValueLogGC(gcDiscardRatio)
		done()
		if errors.Is(err, badger.ErrNoRewrite) || errors.Is(err, badger.ErrRejected) ||
			errors.Is(err, badger.ErrGCInMemoryMode) {
			return nil
		}
		if err != nil {
			return err
		}
		s.rc.mu.Lock()
		s.rc.stats.rewrites++
		s.rc.mu.Unlock()
	}
	return nil
}
