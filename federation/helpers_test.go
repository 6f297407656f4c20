package federation

import (
	"testing"

	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/badgerstore"
)

// openStore is a real Badger store in a temporary directory.
func openStore(t testing.TB) *badgerstore.Store {
	t.Helper()
	st, err := badgerstore.Open(t.TempDir(), badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// records is the store's federation namespace.
func records(t testing.TB, st *badgerstore.Store) kv.KV {
	t.Helper()
	r, err := st.KV(kv.Federation)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
