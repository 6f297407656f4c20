package server

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/naamio/naamio/ldp/badgerstore"
)

// naamio backup and naamio restore (issue 16 item 2; SECURITY row 56).
//
// A backup file is one snapshot of the whole store (resources, change
// log, accounts, keys, modules, federation: everything lives in the one
// Badger database; the data directory's modules-cache is a compilation
// cache rebuilt from the stored modules and is not backed up):
//
//	naamio-backup 1\n            magic and file format version
//	{header JSON}\n              backupHeader
//	records                      'K' key-only, 'V' key and value (below)
//	'E' uvarint(upto) uvarint(keys)   end
//	sha256 of every byte before it (32 bytes)
//
// A record is: tag, uvarint(len key), key, and for 'V': user meta byte,
// uvarint(expiresAt), uvarint(len value), value. Every key of the
// snapshot is listed; 'K' keys are unchanged since the previous backup
// of the chain (badgerstore/backup.go says why deletes need this).
//
// A file without its end record and checksum (cut by a kill, a full
// disk, a closed pipe) is refused whole; restore verifies every file
// and the chain before it writes anything.

const (
	backupMagic   = "naamio-backup 1\n"
	maxBackupHead = 4 << 10
	maxBackupKey  = 1 << 16 // Badger's key limit is 65000 bytes
	maxBackupVal  = 1 << 30 // Badger's value limit
	backupUsage   = `Usage: naamio backup [--data DIR] [-o FILE] [--since PREVIOUS]
  Writes a consistent point-in-time backup of the data directory, to FILE
  (FILE.partial until it is complete) or to standard output, while the
  server keeps running. --since PREVIOUS writes an incremental backup
  holding what changed after the backup file PREVIOUS.
`
	restoreUsage = `Usage: naamio restore --data NEWDIR FULL [INCREMENTAL...]
  Rebuilds a data directory from a full backup and the incremental
  backups taken after it, in order. NEWDIR must be empty or absent
  (default ./data, env NAAMIO_DATA); a restore never overwrites data.
`
)

// backupHeader is what a backup file says about itself.
type backupHeader struct {
	Store   string    `json:"store"`   // the store's ID (badgerstore.Store.ID)
	Format  int       `json:"format"`  // the data directory's format version
	Since   uint64    `json:"since"`   // 0: full; else the previous backup's upto
	Parent  string    `json:"parent"`  // the previous backup's checksum (hex), "" if full
	Created time.Time `json:"created"` // when the backup began
}

// backupInfo is a verified backup file.
type backupInfo struct {
	backupHeader
	Upto uint64 // highest version in the snapshot: the next backup's since
	Keys uint64
	Sum  string // hex SHA-256: the next backup's parent
}

func parseBackup(fs *flag.FlagSet, _ cmdDefaults, args []string, stderr io.Writer) (cmdRun, error) {
	fs.String("o", "", "write the backup to `FILE` (FILE.partial until complete) instead of standard output")
	since := fs.String("since", "", "incremental: only what changed after the backup `FILE` PREVIOUS")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != 0 {
		return nil, fmt.Errorf("backup: unexpected argument %q", fs.Arg(0))
	}
	incremental := *since != ""
	return func(ctx context.Context, env *cmdEnv, stdin io.Reader, stdout, stderr io.Writer) error {
		var prev *backupInfo
		if incremental {
			// The CLI opened PREVIOUS and passes it as standard input
			// (command.in): it is read whole, which verifies it.
			info, err := readBackup(stdin, nil)
			if err != nil {
				return fmt.Errorf("backup --since: the previous backup: %w", err)
			}
			if info.Store != env.store.ID() {
				return fmt.Errorf("backup --since: the previous backup is of another store (%s, this one is %s; a restored directory starts a new chain): take a full backup", info.Store, env.store.ID())
			}
			prev = &info
		}
		return writeBackup(ctx, env, prev, stdout, stderr)
	}, nil
}

// writeBackup writes a backup of env's store to w: full, or incremental
// after prev.
func writeBackup(ctx context.Context, env *cmdEnv, prev *backupInfo, w io.Writer, stderr io.Writer) error {
	h := backupHeader{Store: env.store.ID(), Format: badgerstore.FormatVersion(), Created: time.Now().UTC()}
	if prev != nil {
		h.Since, h.Parent = prev.Upto, prev.Sum
	}
	bw := newBackupWriter(w)
	head, err := json.Marshal(h)
	if err != nil {
		return err
	}
	bw.write([]byte(backupMagic))
	bw.write(append(head, '\n'))
	// A full backup writes about the bodies stored, plus every key: the
	// store's accounting of bodies estimates it (no estimate for an
	// incremental, which writes only what changed).
	var estimate int64
	if prev == nil {
		estimate = env.store.Usage().Used
	}
	p := env.progress(stderr, estimate, "keys")
	var keys int64
	upto, err := env.store.Backup(ctx, h.Since, func(kvs []badgerstore.BackupKV) error {
		for _, kv := range kvs {
			bw.record(kv)
		}
		keys += int64(len(kvs))
		p.Update(bw.n, keys)
		return bw.err
	})
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if prev != nil {
		upto = max(upto, prev.Upto)
	}
	var end []byte
	end = append(end, 'E')
	end = binary.AppendUvarint(end, upto)
	end = binary.AppendUvarint(end, uint64(keys))
	bw.write(end)
	bw.write(bw.h.Sum(nil))
	if err := bw.flush(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	p.Done(bw.n, keys)
	return nil
}

type backupWriter struct {
	w   *bufio.Writer
	h   hash.Hash
	n   int64
	err error
	buf []byte
}

func newBackupWriter(w io.Writer) *backupWriter {
	return &backupWriter{w: bufio.NewWriterSize(w, 256<<10), h: sha256.New()}
}

func (b *backupWriter) write(p []byte) {
	if b.err != nil {
		return
	}
	b.h.Write(p)
	_, b.err = b.w.Write(p)
	b.n += int64(len(p))
}

func (b *backupWriter) record(kv badgerstore.BackupKV) {
	r := b.buf[:0]
	if kv.HasValue {
		r = append(r, 'V')
	} else {
		r = append(r, 'K')
	}
	r = binary.AppendUvarint(r, uint64(len(kv.Key)))
	r = append(r, kv.Key...)
	if kv.HasValue {
		r = append(r, kv.UserMeta)
		r = binary.AppendUvarint(r, kv.ExpiresAt)
		r = binary.AppendUvarint(r, uint64(len(kv.Value)))
	}
	b.buf = r
	b.write(r)
	if kv.HasValue {
		b.write(kv.Value)
	}
}

func (b *backupWriter) flush() error {
	if b.err != nil {
		return b.err
	}
	return b.w.Flush()
}

// errBackupTruncated: the file ends before its end record and checksum.
var errBackupTruncated = errors.New("the file is truncated (no end record and checksum: an interrupted backup, e.g. a FILE.partial)")

// readBackup reads and verifies a backup file, calling put (if not nil)
// with each key. Nothing it hands put may be trusted before it returns
// without error: the checksum is checked at the end.
func readBackup(r io.Reader, put func(badgerstore.BackupKV) error) (_ backupInfo, err error) {
	// A read that fails (a directory, an I/O error) is that error, not a
	// truncated file.
	er := &readErr{r: r}
	defer func() {
		if errors.Is(err, errBackupTruncated) && er.err != nil {
			err = er.err
		}
	}()
	raw := bufio.NewReaderSize(er, 256<<10)
	br := &hashReader{br: raw, h: sha256.New()}
	var info backupInfo
	magic := make([]byte, len(backupMagic))
	if _, err := io.ReadFull(br, magic); err != nil {
		return info, errBackupTruncated
	}
	if string(magic) != backupMagic {
		return info, errors.New("not a naamio backup file (or one of another file format version)")
	}
	line, err := raw.ReadSlice('\n')
	if err != nil || len(line) > maxBackupHead {
		return info, errors.New("bad backup header")
	}
	br.h.Write(line)
	if err := json.Unmarshal(line, &info.backupHeader); err != nil {
		return info, fmt.Errorf("bad backup header: %w", err)
	}
	if info.Store == "" {
		return info, errors.New("bad backup header: no store")
	}
	uv := func() (uint64, error) {
		v, err := binary.ReadUvarint(br)
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return v, err
	}
	var keys uint64
	var key, val []byte
	for {
		tag, err := br.ReadByte()
		if err != nil {
			return info, errBackupTruncated
		}
		switch tag {
		case 'K', 'V':
		case 'E':
			upto, err := uv()
			if err != nil {
				return info, errBackupTruncated
			}
			n, err := uv()
			if err != nil {
				return info, errBackupTruncated
			}
			if n != keys {
				return info, fmt.Errorf("the file lists %d keys, its end record says %d", keys, n)
			}
			// The checksum covers every byte before it.
			want := br.h.Sum(nil)
			got := make([]byte, sha256.Size)
			if _, err := io.ReadFull(raw, got); err != nil {
				return info, errBackupTruncated
			}
			if string(got) != string(want) {
				return info, errors.New("checksum mismatch: the file is damaged")
			}
			if _, err := raw.ReadByte(); err != io.EOF {
				return info, errors.New("data after the end of the backup")
			}
			info.Upto, info.Keys, info.Sum = upto, keys, hex.EncodeToString(got)
			return info, nil
		default:
			return info, fmt.Errorf("damaged: unknown record %q after %d keys", tag, keys)
		}
		n, err := uv()
		if err != nil {
			return info, errBackupTruncated
		}
		if n == 0 || n > maxBackupKey {
			return info, fmt.Errorf("damaged: a key of %d bytes", n)
		}
		key = grow(key, int(n))
		if _, err := io.ReadFull(br, key); err != nil {
			return info, errBackupTruncated
		}
		kv := badgerstore.BackupKV{Key: key}
		if tag == 'V' {
			if kv.UserMeta, err = br.ReadByte(); err != nil {
				return info, errBackupTruncated
			}
			if kv.ExpiresAt, err = uv(); err != nil {
				return info, errBackupTruncated
			}
			if n, err = uv(); err != nil {
				return info, errBackupTruncated
			}
			if n > maxBackupVal {
				return info, fmt.Errorf("damaged: a value of %d bytes", n)
			}
			// Read in pieces: a damaged length must not allocate a GiB
			// before the file proves to hold it.
			val = val[:0]
			for rest := int64(n); rest > 0; {
				piece := min(rest, 1<<20)
				start := len(val)
				val = grow(val, start+int(piece))
				if _, err := io.ReadFull(br, val[start:]); err != nil {
					return info, errBackupTruncated
				}
				rest -= piece
			}
			kv.HasValue, kv.Value = true, val
		}
		keys++
		if put != nil {
			if err := put(kv); err != nil {
				return info, err
			}
		}
	}
}

// readErr remembers the first error of r other than io.EOF.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// hashReader hashes every byte read through it.
type hashReader struct {
	br *bufio.Reader
	h  hash.Hash
}

func (r *hashReader) ReadByte() (byte, error) {
	c, err := r.br.ReadByte()
	if err == nil {
		r.h.Write([]byte{c})
	}
	return c, err
}

func (r *hashReader) Read(p []byte) (int, error) {
	n, err := r.br.Read(p)
	r.h.Write(p[:n])
	return n, err
}

func grow(b []byte, n int) []byte {
	if cap(b) >= n {
		return b[:n]
	}
	nb := make([]byte, n, max(n, 2*cap(b)))
	copy(nb, b)
	return nb
}
