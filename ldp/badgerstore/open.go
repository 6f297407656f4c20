package badgerstore

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
)

var (
	_ ldp.Store = (*Store)(nil)
	_ event.Log = (*Store)(nil) // the change log's consumers read it through this
)

// Options configures a Store. The zero value is usable.
type Options struct {
	// Logger receives Badger's warnings and errors and the store's own
	// background errors. Nil discards them.
	Logger *slog.Logger
	// DiskReserve is the free space (bytes) writes must leave, beyond what
	// Badger may still write into its files (space.go), or fail with
	// ldp.ErrInsufficientStorage. 0 means the default, 256 MiB; negative
	// means none: only Badger's own room is kept (SECURITY row 53).
	DiskReserve int64
	// GCInterval is how often freed bodies are dropped and value-log GC
	// runs whatever their size (reclaim.go). 0 means 10 minutes; negative
	// disables this periodic pass, but not the drop (and GC) that freed
	// bodies trigger once they add up to a threshold.
	GCInterval time.Duration
	// InMemory keeps everything in memory (benchmarks only: nothing is
	// durable and the disk reserve is not checked).
	InMemory bool
	// Quota caps the sum of stored body sizes in bytes: a write that would
	// take it over fails with ldp.ErrQuotaExceeded (usage.go). 0 or
	// negative means no quota.
	Quota int64
	// OnCommit, when set, is called with the change-log entries of every
	// committed transaction, in commit order, after the commit is durable
	// and before any of its writes is acknowledged. It runs on the single
	// committer goroutine, so it must be quick and must not write to the
	// store. The server uses it to invalidate caches derived from stored
	// data (effective ACLs), so no acknowledged write is ever followed by a
	// decision taken on the state before it.
	OnCommit func([]event.Change)
	// OnBatch, when set, is called with the number of writes of every
	// group commit once it is durable (on the committer goroutine; it must
	// not block): the server's batch-size metric.
	OnBatch func(writes int)
	// BeforeMigrate, when set, is called when the directory holds an older
	// format than this binary's (format.go), with the store open and
	// nothing changed yet: it must write a backup (st.Backup) and return
	// nil, or the store is not opened. Nil refuses to migrate.
	BeforeMigrate func(from, to int, st *Store) error

	// For tests: the value-log file size (0: from the file system's size,
	// valueLogSizeFor) and the freed bytes that trigger a drop (0:
	// defaultReclaimAfter).
	valueLogFileSize int64
	reclaimAfter     int64
}

const (
	defaultDiskReserve = 256 << 20
	defaultGCInterval  = 10 * time.Minute

	memTableSize     = 8 << 20
	numMemtables     = 2
	blockCacheSize   = 8 << 20
	indexCacheSize   = 8 << 20
	valueLogFileSize = 256 << 20
)

// Store is the Badger-backed ldp.Store. It is safe for concurrent use.
type Store struct {
	// db is replaced once, under dbMu, when a store opened read-only is
	// reopened for writing (readonly.go). Reads take dbMu's read lock
	// (view); writes need no lock, since none is admitted while the store
	// is read-only.
	db   *badger.DB
	dbMu sync.RWMutex
	dir  string
	opts Options
	log  *slog.Logger
	disk *diskGuard

	usage  usage       // bytes stored and quota (usage.go)
	mapped *mapTrimmer // keeps value-log pages out of RSS (mapped.go)

	// cm queues every record write for the one committer goroutine,
	// which owns nextSeq and lastTime (committer.go).
	cm       *committer
	nextSeq  uint64 // next change-log Seq
	lastTime int64  // last commit time stamped (unix ns)

	lastSeq  atomic.Uint64 // highest acknowledged Seq
	notifyMu sync.Mutex
	notifyCh chan struct{} // closed and replaced after each commit

	chunks sync.Pool // *[]byte of chunkSize, for staging bodies

	onCommit func([]event.Change) // Options.OnCommit

	rc *reclaimer // freed bodies and their readers (reclaim.go)
	// gate is read-locked while a commit is handed to Badger and
	// write-locked while DropPrefix runs (submit.go).
	gate sync.RWMutex

	// readers are the open body readers, whose snapshots a swap discards
	// (reader.go, readonly.go).
	readersMu sync.Mutex
	readers   map[*blobReader]struct{}

	stop      chan struct{}
	bg        sync.WaitGroup // the reclaim loop
	closeOnce sync.Once
	closeErr  error

	id          string // ID (backup.go)
	migrateFrom int    // older format found by checkFormat, 0 if none
}

// Open opens (creating if needed) the store in dir. It refuses a directory
// whose data does not check out (a corrupt or truncated database, or one
// that is not a Naamio store) with an error, never serving wrong data.
//
// When the disk has no room for the files Badger creates when it opens a
// database for writing (space.go), an existing store is opened read-only
// instead: reads are served, writes fail with ldp.ErrInsufficientStorage,
// and the store reopens itself for writing once there is room (readonly.go;
// SECURITY row 53).
func Open(dir string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	z := sizes{valueLog: valueLogFileSize, memTable: memTableSize}
	var hadTables, readOnly bool
	if !opts.InMemory {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("badgerstore: open %s: %w", dir, err)
		}
		var err error
		if hadTables, err = preflight(dir); err != nil {
			return nil, fmt.Errorf("badgerstore: open %s: %w", dir, err)
		}
		z = sizesFor(dir, opts)
		if readOnly, err = mustOpenReadOnly(dir, z); err != nil {
			return nil, fmt.Errorf("badgerstore: open %s: %w", dir, err)
		}
	}
	db, err := openDB(dir, opts, z, readOnly)
	if err != nil {
		return nil, fmt.Errorf("badgerstore: open %s: %w", dir, err)
	}
	// Badger's iterators end quietly at a block whose checksum fails, so a
	// damaged table would read as missing keys: silently wrong data
	// (SECURITY row 54). Every table is verified before serving instead.
	// Tables hold only records and indexes (bodies over ValueThreshold live
	// in the value log, whose entries are checked on every read), so this
	// costs little next to the data size.
	if err := verifyTables(db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("badgerstore: open %s: %w: %v", dir, errDamaged, err)
	}
	s := &Store{
		db:       db,
		dir:      dir,
		opts:     opts,
		log:      opts.Logger,
		disk:     newDiskGuard(dir, opts.DiskReserve, z, opts.InMemory),
		mapped:   newMapTrimmer(vlogDir(dir, opts.InMemory)),
		notifyCh: make(chan struct{}),
		rc:       newReclaimer(opts.reclaimAfter),
		readers:  map[*blobReader]struct{}{},
		stop:     make(chan struct{}),
		onCommit: opts.OnCommit,
	}
	s.disk.readOnly.Store(readOnly)
	s.startCommitter()
	if err := s.start(hadTables, opts.Quota, readOnly); err != nil {
		s.stopCommitter()
		_ = db.Close()
		return nil, fmt.Errorf("badgerstore: open %s: %w", dir, err)
	}
	s.bg.Add(1)
	go s.reclaimLoop(opts.GCInterval)
	s.rc.wake() // GC after the orphan sweep's drops, if any
	if readOnly {
		s.log.Warn("no room on the disk to open the store for writing: serving reads only, writes get 507 until there is room",
			"dir", dir)
		s.bg.Add(1)
		go s.reopenLoop()
	}
	return s, nil
}

// openDB opens Badger on dir, read-only or for writing.
func openDB(dir string, opts Options, z sizes, readOnly bool) (*badger.DB, error) {
	if readOnly {
		// Write-ahead logs left by a run that did not close the database
		// end in unused space Badger would truncate; read-only, it refuses
		// them instead (ErrTruncateNeeded), so they are trimmed first.
		if err := trimWALs(dir); err != nil {
			return nil, err
		}
	}
	return badger.Open(badgerOptions(dir, opts, z).WithReadOnly(readOnly))
}

// verifyTables checks every table block's checksum. Badger v4.8.0's
// Table.VerifyChecksum dereferences a nil block while formatting the error
// for a block that fails to read (table.go, "checksum validation failed"),
// so the failure arrives as a panic in this goroutine; it is recovered and
// reported as the damage it is.
func verifyTables(db *badger.DB) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("table checksum verification failed on a damaged block (%v)", v)
		}
	}()
	if err := db.VerifyChecksum(); err != nil {
		return fmt.Errorf("table checksum verification failed: %w", err)
	}
	return nil
}

// start checks the format, restores the log position, removes orphan blobs,
// sums the stored bytes and creates the root container.
func (s *Store) start(hadTables bool, quota int64, readOnly bool) error {
	if err := s.checkFormat(hadTables, readOnly); err != nil {
		return err
	}
	if err := s.loadID(readOnly); err != nil {
		return err
	}
	if s.migrateFrom != 0 {
		if err := s.migrate(s.migrateFrom, readOnly); err != nil {
			return err
		}
	}
	if err := s.initLog(); err != nil {
		return err
	}
	if readOnly {
		// Orphans are swept and the root created once writable.
		return s.initUsage(quota)
	}
	if err := s.sweepOrphans(); err != nil {
		return err
	}
	if err := s.initUsage(quota); err != nil {
		return err
	}
	return s.ensureRoot()
}

// vlogDir is where Badger keeps its value log ("" in memory).
func vlogDir(dir string, inMemory bool) string {
	if inMemory {
		return ""
	}
	return dir
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.DiskReserve == 0 {
		o.DiskReserve = defaultDiskReserve
	}
	if o.GCInterval == 0 {
		o.GCInterval = defaultGCInterval
	}
	return o
}

// badgerOptions: synced writes (see doc.go), checksums verified on every
// block and value read so corruption surfaces as an error, small values
// kept in the LSM tree and body chunks in the value log. Memory is bounded
// for a home server (Badger's defaults are sized for large machines: five
// 64 MiB memtables, a 256 MiB block cache, every table index resident).
func badgerOptions(dir string, o Options, z sizes) badger.Options {
	bo := badger.DefaultOptions(dir).
		WithLogger(badgerLogger{o.Logger}).
		WithSyncWrites(true).
		WithValueThreshold(4 << 10).
		WithNumVersionsToKeep(1).
		WithNumCompactors(2).
		WithChecksumVerificationMode(options.OnBlockRead).
		WithVerifyValueChecksum(true).
		WithMetricsEnabled(false).
		WithMemTableSize(memTableSize).
		WithNumMemtables(numMemtables).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithBlockCacheSize(blockCacheSize).
		WithIndexCacheSize(indexCacheSize).
		WithValueLogFileSize(z.valueLog)
	if o.InMemory {
		bo = bo.WithDir("").WithValueDir("").WithInMemory(true).WithSyncWrites(false)
	}
	return bo
}

// checkFormat writes the format marker into a new database and refuses one
// whose marker is missing or different. hadTables says the directory held
// table files before Open: an empty database then means they were lost.
func (s *Store) checkFormat(hadTables, readOnly bool) error {
	run := s.db.Update
	if readOnly {
		run = s.db.View
	}
	return run(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keyFormat))
		if errors.Is(err, badger.ErrKeyNotFound) && readOnly {
			return errors.New("format marker missing, and no room on the disk to write it")
		}
		if errors.Is(err, badger.ErrKeyNotFound) {
			if !s.isEmpty(txn) {
				return errors.New("not a naamio store: format marker missing")
			}
			if hadTables {
				return fmt.Errorf("%w: table files present but the database is empty (MANIFEST damaged?)", errDamaged)
			}
			return txn.Set([]byte(keyFormat), formatMarker(currentFormat))
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			n, err := parseFormat(v)
			switch {
			case err != nil:
				return err
			case n > currentFormat:
				return ErrNewerFormat{Dir: n, Binary: currentFormat}
			case n < currentFormat:
				s.migrateFrom = n
			}
			return nil
		})
	})
}

// isEmpty reports whether the database holds no keys at all.
func (s *Store) isEmpty(txn *badger.Txn) bool {
	it := txn.NewIterator(badger.IteratorOptions{})
	defer it.Close()
	it.Rewind()
	return !it.Valid()
}

// Close commits the writes already queued, stops background work (a drop
// in progress is finished) and closes the database. Writes arriving after
// Close fail with errClosed. Freed bodies not yet dropped are orphans at
// the next Open. It is safe to call more than once.
//
// Closing a database open for writing flushes its memtable into a table,
// written through a mapped file; when the disk has no room for it (filled
// by something else since the last write), the database is left as a
// crash would leave it rather than fault: every acknowledged write is in
// its synced write-ahead log, which the next Open replays (or trims, when
// it opens read-only).
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stopCommitter() // writes queued before Close are committed
		close(s.stop)
		s.bg.Wait()
		s.lockDB(0)
		defer s.dbMu.Unlock()
		if s.db == nil {
			return
		}
		if !s.disk.disabled && !s.disk.readOnly.Load() {
			if free, need, ok := roomToClose(s.dir); !ok {
				s.log.Error("no room on the disk to close the store cleanly: leaving its write-ahead log for the next start",
					"free", free, "need", need)
				return
			}
		}
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}
