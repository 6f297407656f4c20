package badgerstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// errDamaged: the data directory is damaged in a way Badger would not
// report cleanly (it panics on some truncated tables, and silently starts
// empty when its MANIFEST is lost).
var errDamaged = errors.New("store directory is damaged")

// preflight inspects dir before Badger opens it and reports whether it
// already holds table files (so an empty database after Open means the
// MANIFEST lost them).
func preflight(dir string) (hasTables bool, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	var hasManifest, hasData bool
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == "MANIFEST":
			hasManifest = true
		case strings.HasSuffix(name, ".sst"):
			hasTables, hasData = true, true
			if err := checkTableTrailer(filepath.Join(dir, name)); err != nil {
				return false, err
			}
		case strings.HasSuffix(name, ".vlog"), strings.HasSuffix(name, ".mem"):
			hasData = true
		}
	}
	if hasData && !hasManifest {
		return false, fmt.Errorf("%w: data files without a MANIFEST", errDamaged)
	}
	return hasTables, nil
}

// checkTableTrailer checks that a table's footer (checksum length,
// checksum, index length, index; see badger/table) fits inside the file,
// so a truncated table is an error rather than a panic inside Badger.
// Badger itself then verifies the index checksum.
func checkTableTrailer(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	bad := fmt.Errorf("%w: table %s is truncated", errDamaged, filepath.Base(path))
	var u32 [4]byte
	if size < 8 {
		return bad
	}
	if _, err := f.ReadAt(u32[:], size-4); err != nil {
		return err
	}
	chkLen := int64(binary.BigEndian.Uint32(u32[:]))
	if chkLen > size-8 {
		return bad
	}
	if _, err := f.ReadAt(u32[:], size-8-chkLen); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if int64(binary.BigEndian.Uint32(u32[:])) > size-8-chkLen {
		return bad
	}
	return nil
}
