package ldp

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/naamio/naamio/event"
)

// Sentinel errors shared by every Store and by the handler. Stores wrap them
// with %w and detail; the handler maps them to statuses in statusFor.
var (
	// ErrNotFound: no resource at the path.
	ErrNotFound = errors.New("ldp: not found")
	// ErrConflict: the write would break the resource tree: "/x" and "/x/"
	// both existing, an ancestor that is not a container, deleting a
	// non-empty container.
	ErrConflict = errors.New("ldp: conflict")
	// ErrPreconditionFailed: a Precondition refused the current state.
	ErrPreconditionFailed = errors.New("ldp: precondition failed")
	// ErrNotModified: a Precondition on a read found the client's copy current.
	ErrNotModified = errors.New("ldp: not modified")
	// ErrInsufficientStorage: the disk is below its configured reserve.
	ErrInsufficientStorage = errors.New("ldp: insufficient storage")
	// ErrTooLarge: a body or term exceeds a configured limit.
	ErrTooLarge = errors.New("ldp: too large")
	// ErrRangeNotSatisfiable: a byte range lies outside the body.
	ErrRangeNotSatisfiable = errors.New("ldp: range not satisfiable")
	// ErrQuotaExceeded: the write would take the storage over its quota.
	ErrQuotaExceeded = errors.New("ldp: storage quota exceeded")
)

// Meta is what the store knows about one resource, without its body.
type Meta struct {
	// Path is the canonical escaped path ("/", "/a/", "/a/b.ttl").
	Path string
	// ContentType is the stored media type. RDF sources are stored in the
	// canonical Turtle form, so for them it is always "text/turtle".
	ContentType string
	// RDF marks an RDF source (body is canonical Turtle written by rdf/).
	RDF bool
	// Size of the stored body in bytes.
	Size int64
	// ETag is the strong validator, unquoted, derived from content (a hash),
	// never from time. For a container it also covers its children, so it
	// changes when the listing changes.
	ETag string
	// Modified is the time of the last committed change (UTC). For a
	// container it is the latest of its own and its children's changes.
	Modified time.Time
}

// IsContainer reports whether the resource is a container (path ends in "/").
func (m Meta) IsContainer() bool { return strings.HasSuffix(m.Path, "/") }

// Precondition runs inside the write transaction with the current state of
// the target (nil when absent). Returning an error aborts the write with that
// error. It may run more than once (transactions retry on conflict), so it
// must not have side effects.
type Precondition func(cur *Meta) error

// PutRequest creates or replaces one resource.
type PutRequest struct {
	Path        string
	ContentType string
	RDF         bool
	// Aux marks an auxiliary resource (".acl", ".meta"): stored and
	// versioned like any other, but not entered in its container's
	// containment index (so it is never listed and never makes the
	// container non-empty), and it creates no intermediate containers.
	Aux bool
	// Body is read to the end (streamed in chunks; never held whole by the
	// store). Nil means an empty body.
	Body io.Reader
	// SizeHint, when positive, is the body's declared length (a request's
	// Content-Length): a store without room for it refuses the write with
	// ErrInsufficientStorage before reading the body.
	SizeHint int64
	// Precondition is optional.
	Precondition Precondition
	// Origin is recorded in the change-log entry.
	Origin string
}

// DeleteRequest removes one resource, and in the same transaction every
// path in Aux that exists (its auxiliary resources).
type DeleteRequest struct {
	Path         string
	Aux          []string
	Precondition Precondition
	Origin       string
}

// Store is the single path into storage. Every write is one transaction that
// checks preconditions, writes the resource, maintains the containment index
// and appends the change-log entries, committed together and durable before
// the call returns.
type Store interface {
	// Stat returns the resource's metadata or ErrNotFound.
	Stat(ctx context.Context, path string) (Meta, error)
	// Exists reports whether a resource is at path. Unlike Stat it does not
	// derive a container's validator from its children, so it costs the
	// same for any resource (access decisions ask it on every write).
	Exists(ctx context.Context, path string) (bool, error)
	// Open returns metadata and a reader for the body. The caller closes it.
	Open(ctx context.Context, path string) (Meta, io.ReadCloser, error)
	// OpenRange is Open for the body bytes [off, off+n) only (n < 0: to the
	// end), reading no chunk outside them. off beyond the body is
	// ErrRangeNotSatisfiable.
	OpenRange(ctx context.Context, path string, off, n int64) (Meta, io.ReadCloser, error)
	// Put creates or replaces a resource. Missing ancestor containers are
	// created in the same transaction (Solid Protocol
	// server-put-patch-intermediate-containers). ErrConflict when an
	// ancestor exists as a non-container, or the path's slash twin exists.
	// created reports whether the resource was new.
	Put(ctx context.Context, req PutRequest) (m Meta, created bool, err error)
	// Delete removes a resource. ErrConflict for a non-empty container.
	Delete(ctx context.Context, req DeleteRequest) error
	// Children lists the immediate children of a container, sorted by path.
	// Auxiliary resources are not children.
	Children(ctx context.Context, container string) ([]Meta, error)
	// Changes returns up to limit change-log entries with Seq > after, in
	// Seq order. An entry is visible only once every entry with a lower Seq
	// that will ever be visible is visible too.
	Changes(ctx context.Context, after event.Cursor, limit int) ([]event.Change, error)
	// Close flushes and releases the store.
	Close() error
}

// Usage is what a store can tell about its space, for the storage
// description. Stores that track usage implement UsageReporter.
type Usage struct {
	Used  int64 // bytes of resource bodies stored
	Quota int64 // 0: no quota
}

// UsageReporter is implemented by stores that account for their usage.
type UsageReporter interface {
	Usage() Usage
}

// PodUsageReporter is implemented by stores that also account for each
// pod's usage against the pod's own quota (issue 16 item 6): pod is the
// first segment of the pod root's path ("alice" for /alice/).
type PodUsageReporter interface {
	PodUsage(pod string) Usage
}
