package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/naamio/naamio/ldp/badgerstore"
)

// restore runs "naamio restore --data NEWDIR FILE...": it verifies every
// file (checksum, completeness) and that they chain (each incremental's
// parent is the file before it, of the same store), writing nothing
// until they all check out; then applies them in order to a new database
// in NEWDIR and opens the result as the server would (format, table
// checksums, orphan sweep). NEWDIR must be empty or absent; on a failure
// it is removed again if restore created it, else emptied.
func restore(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, restoreUsage)
		fmt.Fprintln(stderr, "Flags of naamio restore:")
		fs.PrintDefaults()
	}
	data := fs.String("data", envOr("NAAMIO_DATA", "./data"), "the new data directory, empty or absent (env NAAMIO_DATA)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	files := fs.Args()
	if *data == "" || len(files) == 0 {
		fs.Usage()
		return errors.New("restore: at least one backup file is needed")
	}
	if entries, err := os.ReadDir(*data); err == nil && len(entries) > 0 {
		return fmt.Errorf("restore: %s is not empty: restore only into a new or empty directory", *data)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	// First pass: verify everything.
	var prev *backupInfo
	for i, name := range files {
		info, err := readBackupFile(name, nil)
		if err != nil {
			return fmt.Errorf("restore: %s: %w (nothing was written)", name, err)
		}
		if err := chains(prev, info, i); err != nil {
			return fmt.Errorf("restore: %s: %w (nothing was written)", name, err)
		}
		fmt.Fprintf(stderr, "%s: verified, %d keys, %s backup of store %s taken %s\n", name, info.Keys,
			map[bool]string{true: "full", false: "incremental"}[info.Since == 0], info.Store, info.Created.Format("2006-01-02 15:04:05Z"))
		prev = &info
	}
	if prev.Format > badgerstore.FormatVersion() {
		return fmt.Errorf("restore: %w", badgerstore.ErrNewerFormat{Dir: prev.Format, Binary: badgerstore.FormatVersion()})
	}
	_, statErr := os.Stat(*data)
	created := errors.Is(statErr, os.ErrNotExist)
	err := applyBackups(*data, files)
	if err == nil {
		// Open it as the server will: proves it starts.
		var st *badgerstore.Store
		if st, err = badgerstore.Open(*data, badgerstore.Options{DiskReserve: -1, GCInterval: -1,
			BeforeMigrate: migrationBackup(*data)}); err == nil {
			err = st.Close()
		}
	}
	if err != nil {
		if created {
			_ = os.RemoveAll(*data)
		} else if entries, rerr := os.ReadDir(*data); rerr == nil {
			for _, e := range entries {
				_ = os.RemoveAll(*data + "/" + e.Name())
			}
		}
		return fmt.Errorf("restore: %w (%s was emptied again)", err, *data)
	}
	fmt.Fprintf(stdout, "restored %d backup file(s) into %s\n", len(files), *data)
	return nil
}

// chains checks that info is the i-th file of a chain whose previous file
// is prev.
func chains(prev *backupInfo, info backupInfo, i int) error {
	switch {
	case i == 0 && info.Since != 0:
		return errors.New("the first file must be a full backup; this one is incremental")
	case i > 0 && info.Since == 0:
		return errors.New("a full backup after the first file: give one full backup and the incrementals taken after it")
	case i > 0 && (info.Parent != prev.Sum || info.Store != prev.Store || info.Since != prev.Upto):
		return errors.New("this incremental does not continue the file before it (give the files in the order they were taken)")
	}
	return nil
}

func readBackupFile(name string, put func(badgerstore.BackupKV) error) (backupInfo, error) {
	f, err := os.Open(name)
	if err != nil {
		return backupInfo{}, err
	}
	defer f.Close()
	return readBackup(f, put)
}

func applyBackups(dir string, files []string) error {
	r, err := badgerstore.NewRestorer(dir)
	if err != nil {
		return err
	}
	for _, name := range files {
		r.Begin()
		// Verified above; read again (a file changed since fails its
		// checksum here, and the directory is emptied).
		if _, err := readBackupFile(name, r.Put); err != nil {
			r.Abort()
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := r.End(); err != nil {
			r.Abort()
			return err
		}
	}
	return r.Close()
}
