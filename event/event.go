// Package event holds the shape of the durable change log: one Change per
// resource that a committed write created, updated or deleted. The log is
// written by the storage layer in the same transaction as the write itself and
// read afterwards by notify/, federation/ and modules/ through a cursor.
package event

import (
	"context"
	"time"
)

// Kind says what happened to a resource.
type Kind string

const (
	// Create: the resource did not exist before the write.
	Create Kind = "Create"
	// Update: the resource existed and its representation changed.
	Update Kind = "Update"
	// Delete: the resource was removed.
	Delete Kind = "Delete"
)

// Change is one entry of the change log.
type Change struct {
	// Seq is the entry's position in the log. It grows strictly with commit
	// order; gaps are allowed (a transaction that lost a conflict burns its
	// number), reordering is not.
	Seq uint64 `json:"seq"`
	// Kind of change.
	Kind Kind `json:"kind"`
	// Path is the canonical escaped path of the resource ("/a/b", "/c/").
	Path string `json:"path"`
	// ETag is the resource's strong validator after the change (empty for Delete).
	ETag string `json:"etag,omitempty"`
	// Time is when the write committed (UTC).
	Time time.Time `json:"time"`
	// Origin names who caused the write (origin.go: a WebID, a module's
	// agent IRI, OriginAnonymous, or the server), so consumers can tell who
	// changed what and avoid reacting to their own writes.
	Origin string `json:"origin,omitempty"`
}

// Cursor is a consumer's position in the log: the Seq of the last entry it
// has processed. Reading resumes with entries whose Seq is greater.
type Cursor uint64

// Log is the read side of the change log, as its consumers see it: up to
// limit entries with Seq > after, in commit order (none when the consumer
// is up to date). The store implements it (ldp.Store.Changes); the durable
// feed that wakes consumers on commit is built on it.
type Log interface {
	Changes(ctx context.Context, after Cursor, limit int) ([]Change, error)
}
