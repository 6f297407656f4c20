package server

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/naamio/naamio/ldp/badgerstore"
)

// migrationBackup is the store's BeforeMigrate (issue 16 item 7): before
// a newer naamio migrates an older data directory, it writes a full
// backup of it, as it is, into the data directory:
// pre-migration-v<from>-to-v<to>-<UTC time>.naamio-backup (restorable
// with the older naamio by naamio restore). The file is synced before
// the migration starts; any failure leaves the directory unmigrated.
func migrationBackup(dir string) func(from, to int, st *badgerstore.Store) error {
	return func(from, to int, st *badgerstore.Store) error {
		name := filepath.Join(dir, fmt.Sprintf("pre-migration-v%d-to-v%d-%s.naamio-backup",
			from, to, time.Now().UTC().Format("20060102T150405Z")))
		f, err := os.OpenFile(name+".partial", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		err = writeBackup(context.Background(), &cmdEnv{store: st}, nil, f, io.Discard)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(name+".partial", name)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
}
