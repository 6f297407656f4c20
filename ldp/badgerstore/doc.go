// Package badgerstore is the embedded default ldp.Store, built on Badger.
//
// # Layout
//
// Every key the store writes is listed in keys.go. A resource is one record
// (r/<path>) holding its metadata and, for small bodies, the body itself;
// larger bodies live in 64 KiB chunks under a random blob id (b/<id><n>).
// Each listed resource also has an entry in its container's containment
// index (c/<container>\x00<name>) whose value repeats the child's metadata,
// so listing a container, and deriving its ETag and Modified, is one prefix
// scan. The change log is l/<seq>.
//
// # Write path
//
// Every Put and Delete is one logical write: a planner that reads the
// target and its ancestors, runs the caller's Precondition, checks the Solid
// tree rules and returns a plan, without writing anything. One committer
// goroutine (committer.go) runs every logical write: it takes all writes
// queued (up to maxBatch), opens one read-write transaction and, for each
// in queue order, runs the planner and then applies its plan into that
// same transaction (apply: body chunks held in memory, records,
// containment entries, guards, and the change-log entries, stamped with the
// commit time and the next sequence numbers). It then commits the batch
// with one Txn.CommitWith, under the reclaim gate (submit.go), waits for
// the callback (the data is durable) and only then answers every write of
// the batch. One batch costs one WAL sync, where one transaction per write
// cost one each: Badger v4.8.0 syncs once per write request in its writer
// goroutine (db.go: writeRequests calls writeToLSM per request, which ends
// with mt.SyncWAL when SyncWrites is set), so syncs of concurrent
// transactions were never shared.
//
// A batch is serial execution: a write's planner sees the writes applied
// before it in the batch, because Badger's read-write transactions read
// their own pending writes (txn.go: Txn.Get checks pendingWrites;
// iterator.go: Txn.NewIterator merges newPendingWritesIterator ahead of the
// memtables and tables, a snapshot of the writes made before the iterator
// is created, which is when every planner scan starts). So a precondition
// judges exactly the state the write will commit on, and containment scans
// and container ETags include earlier writes of the batch. A write whose
// planner fails (its precondition, a tree rule, the quota) is answered with
// that error and leaves nothing in the transaction. A write whose plan
// fails half-applied (Badger refused a key; ErrTxnTooBig) cannot be taken
// back out of the transaction, so the transaction is discarded, the writes
// before it are planned again as a batch of their own, and it is retried
// at the head of the next batch; alone in a batch it gets the error. A
// write whose context has ended before its turn is answered with the
// context's error; once in a batch it is committed, and its caller waits
// for the answer.
//
// Sequence numbers and commit times are handed out by the committer in
// batch order, and a batch commits atomically (one Badger commit
// timestamp), so the log's Seq order is commit order; Badger's read
// watermark guarantees that a reader sees a prefix of that order, so no
// change-log entry is visible before a lower one. LastSeq is published
// after the callback. Batches run strictly one after another and the
// committer is the only writer of records, so batches never conflict with
// each other; only the chunk writes of streamed bodies commit beside them,
// and no planner reads chunk keys. ErrConflict is still handled: each
// write of that batch is run again alone, a bounded number of times
// (sequence numbers burnt then are not reused; gaps are allowed). Close
// lets the committer commit what is queued; later writes fail with
// errClosed.
//
// Concurrent creations of siblings never write a key the other reads: the
// parent container's ETag and Modified are derived at read time from the
// containment scan. To stop a container being deleted while a child is being
// created in it (a phantom Badger's conflict detection cannot see), a child
// creation blindly writes the parent's guard key (g/<container>) and a
// container delete reads it. Blind writes never conflict with each other.
//
// # Durability
//
// The store opens Badger with SyncWrites=true: a Put or Delete returns only
// after the Badger commit holding it has had its write-ahead log entry (and
// value-log entry, for large values) fsynced. Writes are grouped by the
// committer (one transaction per batch), never by turning SyncWrites off
// and syncing later: DB.Sync syncs only the active memtable's WAL, and
// ensureRoomForWrite rotates memtables without syncing the old one, so that
// would acknowledge writes a power loss could still take away. Large bodies
// are written in their own synced batches before the transaction that points
// the resource at them, so a crash leaves at worst an orphan blob (or a
// freed one not yet dropped), which Open removes.
//
// # Large bodies
//
// A body is read once, in 64 KiB chunks. Up to 1 MiB it is held and written
// in the resource's own transaction; beyond that it is committed to a fresh
// blob in 4 MiB batches (one synced write each, so a 1 GiB upload costs 256
// fsyncs, not 16,384) and only the resource transaction points at it. A body
// that ends in an error (a client hanging up short of its Content-Length)
// is never stored; its committed batches are deleted at once. Reads load
// one chunk at a time from a snapshot, and OpenRange reads only the chunks
// holding the range. Chunks live in Badger's value log, which Badger
// memory-maps; mapped.go keeps those pages from accumulating in the
// process's resident memory.
//
// A body that is replaced or deleted is freed, not deleted key by key:
// freed blobs are collected and their key ranges dropped in batches with
// Badger's DropPrefix, which is what lets value-log GC find and rewrite the
// files they filled, so disk use stays bounded under overwrites. A freed
// body is kept while a reader that may still see it is open, and writes
// wait (briefly) rather than fail while a drop runs. See reclaim.go.
//
// # Full disk
//
// Badger writes its value log, write-ahead logs and tables through
// memory-mapped files it extends first, so a write it makes when the disk
// is full is a SIGBUS, not an error. The disk guard (disk.go) admits a
// write only while the free space covers what Badger may still write into
// the files it has created (space.go), the writes under way, and the
// operator's reserve; streamed bodies are admitted batch by batch, and
// value-log GC only when there is room for a rewrite. When there is no room
// to open the store for writing, Open opens it read-only (trimming the
// write-ahead logs a killed run left, wal.go) and reopens it for writing by
// itself once there is room (readonly.go); Close leaves the write-ahead log
// for the next start rather than flush it onto a full disk.
//
// # Usage and quota
//
// The store knows the sum of its stored body sizes without a counter key
// every write would conflict on: Open sums the record sizes, and each commit
// adds its size delta in memory afterwards. With Options.Quota, a write
// that grows the total reserves its growth before committing, under one
// mutex, and fails with ldp.ErrQuotaExceeded when the committed total plus
// the reservations in flight (earlier writes of its batch included) would
// pass the quota: concurrent writers cannot overshoot it together; the
// reservations are settled once the batch has committed or failed.
// Shrinking writes and deletes are always allowed. A streamed body is also
// checked after each of its chunk batches, so a body far over the quota is
// refused early (and its chunks deleted) rather than read to the end. See
// usage.go.
package badgerstore
