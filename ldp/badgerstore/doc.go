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
// Every Put and Delete is one Badger transaction that reads the target and
// its ancestors, runs the caller's Precondition, checks the Solid tree rules,
// and then, under a small commit mutex, stamps the commit time, allocates the
// change-log sequence numbers and hands the transaction to Badger
// (Txn.CommitWith). Badger checks conflicts and assigns its commit timestamp
// synchronously inside CommitWith, so holding the mutex across it makes the
// log's Seq order equal Badger's commit order; Badger's read watermark then
// guarantees that a reader sees a prefix of that order, so no change-log
// entry is visible before a lower one. The mutex is released before waiting
// for the commit callback, so fsyncs of concurrent writers are still grouped.
// A transaction that loses a conflict burns its sequence numbers (gaps are
// allowed) and is run again, a bounded number of times.
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
// after its write-ahead log entry (and value-log entry, for large values) has
// been fsynced. Badger's single writer goroutine takes every request that is
// waiting and writes and syncs them together, so concurrent commits share an
// fsync (group commit) without ever acknowledging unsynced data. Large bodies
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
// # Usage and quota
//
// The store knows the sum of its stored body sizes without a counter key
// every write would conflict on: Open sums the record sizes, and each commit
// adds its size delta in memory afterwards. With Options.Quota, a write
// that grows the total reserves its growth before committing, under one
// mutex, and fails with ldp.ErrQuotaExceeded when the committed total plus
// the reservations in flight would pass the quota: concurrent writers cannot
// overshoot it together. Shrinking writes and deletes are always allowed.
// A streamed body is also checked after each batch, so a body far over the
// quota is refused early (and its batches deleted) rather than read to the
// end. See usage.go.
package badgerstore
