package badgerstore

import (
	"testing"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/storetest"
)

// openTemp opens a store in a fresh temporary directory, closed at cleanup.
func openTemp(t testing.TB, opts Options) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, dir
}

func TestStoreSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ldp.Store {
		s, _ := openTemp(t, Options{})
		return s
	})
}

func TestQuotaSuite(t *testing.T) {
	storetest.RunQuota(t, func(t *testing.T, quota int64) interface {
		ldp.Store
		ldp.UsageReporter
	} {
		s, _ := openTemp(t, Options{Quota: quota})
		return s
	})
}
