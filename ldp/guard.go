package ldp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/rdf"
)

// A Guard is asked before a write of a resource commits, and may refuse
// it. Wasm modules use it (modules/): a manifest written into a pod's
// module container is checked (and its module compiled) before it is
// stored, and validators see the proposed document of every write they
// cover. Nothing is stored when the guard refuses.
type Guard interface {
	// Guards reports whether writes to p are checked at all; it is asked
	// on every write, so it must be cheap. With false, the write goes on
	// as if there were no guard.
	Guards(p string) bool
	// Buffers reports whether a non-RDF body of contentType written to p
	// is to be read into memory (at most MaxGuardedBody bytes) so that
	// Check sees it.
	Buffers(p, contentType string) bool
	// Check decides on the proposed write. An error wrapping ErrRefused
	// is answered 422 with its text; any other error 503 (the checker
	// failed: the write is not made).
	Check(ctx context.Context, w Proposal) error
	// Committed is told, before the write is acknowledged, that a write
	// Check allowed has committed, with the resource's new validator.
	// It cannot undo the write.
	Committed(ctx context.Context, w Proposal, etag string)
}

// Proposal is a write about to be committed.
type Proposal struct {
	Path string
	IRI  string
	// Kind is event.Create or event.Update.
	Kind event.Kind
	// ETag is the resource's current validator ("" when it is new); the
	// write commits only if it is still the same.
	ETag string
	// ContentType is the type the resource will be stored with.
	ContentType string
	// Graph is the proposed document of an RDF source (nil otherwise).
	Graph *rdf.Graph
	// Body is a non-RDF body the guard asked for (Buffers), else nil.
	Body []byte
	// Agent is the writer.
	Agent acl.Agent
}

// AsWriter returns ctx for an in-process request made on behalf of the
// writer of w (for example to read what w's document names, with the
// writer's own rights).
func (w Proposal) AsWriter(ctx context.Context) context.Context {
	if !w.Agent.Authenticated {
		return auth.WithAgent(ctx, auth.Agent{})
	}
	return auth.WithAgent(ctx, auth.Agent{WebID: w.Agent.WebID, ClientID: w.Agent.Client})
}

// MaxGuardedBody bounds a non-RDF body read into memory for a Guard.
const MaxGuardedBody = 1 << 20

// ErrRefused marks a write a Guard refused (422, with the reason).
var ErrRefused = errors.New("refused")

// errGuardFailed marks a guard that could not decide (503).
var errGuardFailed = errors.New("ldp: the write could not be checked")

// guards reports whether writes to p go to the handler's Guard.
func (h *Handler) guards(p string) bool { return h.guardian != nil && h.guardian.Guards(p) }

// guard asks the handler's Guard, if it guards p, about a write of p
// with body b (its graph, or its buffered bytes) over the resource's
// state cur (nil when new). The caller commits only in state cur, and
// then calls the returned function (nil when p is not guarded) with the
// new validator.
func (h *Handler) guard(r *http.Request, p string, b *body, cur *Meta) (func(etag string), error) {
	if !h.guards(p) {
		return nil, nil
	}
	return h.guardChecked(r, p, b, cur)
}

// guardChecked is guard for a p the caller found guarded.
func (h *Handler) guardChecked(r *http.Request, p string, b *body, cur *Meta) (func(etag string), error) {
	w := Proposal{Path: p, IRI: h.IRI(p), Kind: event.Create, ContentType: b.contentType, Graph: b.graph, Agent: agentOf(r)}
	if cur != nil {
		w.Kind, w.ETag = event.Update, cur.ETag
	}
	if !b.rdf && h.guardian.Buffers(p, b.contentType) {
		data, err := io.ReadAll(io.LimitReader(b.reader, MaxGuardedBody+1))
		if err != nil {
			return nil, bodyReadError(err)
		}
		if len(data) > MaxGuardedBody {
			return nil, fmt.Errorf("%w: a body checked before it is stored is at most %d bytes", ErrTooLarge, MaxGuardedBody)
		}
		b.reader, w.Body = bytes.NewReader(data), data
	}
	if err := h.guardian.Check(r.Context(), w); err != nil {
		if errors.Is(err, ErrRefused) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", errGuardFailed, err)
	}
	return func(etag string) { h.guardian.Committed(r.Context(), w, etag) }, nil
}

// unchangedSince is a precondition that the resource is still in the state a
// guard decided on: cur's validator, or absent when cur is nil.
func unchangedSince(cur *Meta, pre Precondition) Precondition {
	return func(now *Meta) error {
		if (now == nil) != (cur == nil) || (now != nil && now.ETag != cur.ETag) {
			return conflictf("the resource changed while the write was checked; try again")
		}
		if pre != nil {
			return pre(now)
		}
		return nil
	}
}
