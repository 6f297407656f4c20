package ldp

import (
	"context"
	"time"
)

// KV is a namespace of server-internal records (accounts, tokens, module
// records, queues): small values under string keys, durable when a call
// returns, never reachable through a resource URL and not in the change
// log. A missing key is an error matching ErrNotFound.
type KV interface {
	Get(ctx context.Context, key string) ([]byte, error)
	// Put stores value; ttl > 0 makes the record expire.
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Update runs fn in one atomic read-write transaction. fn may run more
	// than once, so it must have no side effects outside tx.
	Update(ctx context.Context, fn func(tx KVTxn) error) error
	// List calls fn for each record whose key starts with prefix, in key
	// order; value is valid only during the call.
	List(ctx context.Context, prefix string, fn func(key string, value []byte) error) error
}

// KVTxn reads and writes inside one KV.Update.
type KVTxn interface {
	Get(key string) ([]byte, error)
	Set(key string, value []byte, ttl time.Duration) error
	Delete(key string) error
}
