// Package kv is the key-value interface for server-internal records:
// accounts, pods, tokens and the records of the packages to come (modules,
// delivery queues, notification channels). They are small values under
// string keys, durable when a call returns, never reachable through a
// resource URL and not in the change log.
//
// The package imports nothing of the project: the storage (Badger, in
// ldp/badgerstore) implements KV, and every user (idp, notify, federation,
// modules) depends on this package only.
package kv

import (
	"context"
	"errors"
	"time"
)

// Errors of every implementation. Implementations wrap them with %w.
var (
	// ErrNotFound: no record under that key.
	ErrNotFound = errors.New("kv: not found")
	// ErrInsufficientStorage: the write was refused because the disk is
	// (nearly) full or the store is read-only; reads still work.
	ErrInsufficientStorage = errors.New("kv: insufficient storage")
)

// KV is one namespace of server-internal records. A missing key is an error
// matching ErrNotFound.
type KV interface {
	Get(ctx context.Context, key string) ([]byte, error)
	// Put stores value; ttl > 0 makes the record expire.
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Update runs fn in one atomic read-write transaction. fn may run more
	// than once, so it must have no side effects outside tx.
	Update(ctx context.Context, fn func(tx Txn) error) error
	// List calls fn for each record whose key starts with prefix, in key
	// order; value is valid only during the call.
	List(ctx context.Context, prefix string, fn func(key string, value []byte) error) error
}

// Txn reads and writes inside one KV.Update.
type Txn interface {
	Get(key string) ([]byte, error)
	Set(key string, value []byte, ttl time.Duration) error
	Delete(key string) error
}
