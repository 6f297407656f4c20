package ldp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// The RDF memory budget (SECURITY row 15, issue 10 item 7). Parsing an RDF
// body, and reading, patching and re-writing a stored graph, hold memory in
// proportion to the document; a server-wide budget bounds the sum over all
// requests at once. A request reserves its estimated peak before it reads
// a byte, waits at most budgetWait when the budget is spent, and is then
// refused with 503 and Retry-After: memory never grows with the number of
// concurrent requests.

// Defaults for Config.RDFMemory, Config.RDFWait and Config.MaxRDFTriples.
const (
	DefaultRDFMemory     = 96 << 20
	DefaultRDFWait       = 10 * time.Second
	DefaultMaxRDFTriples = 200_000
)

// Estimates of the memory one document costs while it is handled, measured
// with rdf.BenchmarkGraphBytesPerTriple and the bench/rdfmem.sh load script
// (figures in the README). A graph costs bytesPerTriple for each triple
// (terms, indexes, and the patch evaluator's index), and a body of n bytes
// is held about twice (the bytes read and the Turtle written back).
// JSON-LD goes through json-gold's expanded form first: about 1.5 KB per
// JSON value (at most rdf.DefaultLimits.MaxJSONValues, 2,000; 340 bytes
// per byte of the densest body, BenchmarkJSONLDWorstAllowed) and a few
// copies of the strings.
const (
	bytesPerTriple  = 160
	minTripleBytes  = 4 // the densest Turtle: "1,2,3,…" object lists
	jsonLDFixed     = 4 << 20
	jsonLDBodyCost  = 4
	plainBodyCopies = 2
)

// errBusy: the RDF memory budget stayed spent for the whole wait (503).
var errBusy = errors.New("ldp: server busy with other RDF documents, try again")

// memBudget is a weighted semaphore in bytes with first-come, first-served
// waiters, so one large request is not starved by a stream of small ones.
type memBudget struct {
	mu      sync.Mutex
	size    int64
	used    int64
	waiters []*budgetWaiter
}

type budgetWaiter struct {
	n       int64
	granted bool
	ready   chan struct{}
}

func newMemBudget(size int64) *memBudget { return &memBudget{size: size} }

// acquire takes n bytes of the budget (at most its size, so a request that
// alone exceeds it still runs, alone), waiting at most wait. It returns
// the amount taken.
func (b *memBudget) acquire(ctx context.Context, n int64, wait time.Duration) (int64, error) {
	n = min(n, b.size)
	if n <= 0 {
		return 0, nil
	}
	b.mu.Lock()
	if len(b.waiters) == 0 && b.used+n <= b.size {
		b.used += n
		b.mu.Unlock()
		return n, nil
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.mu.Unlock()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var err error
	select {
	case <-w.ready:
		return n, nil
	case <-timer.C:
		err = fmt.Errorf("%w (%d bytes of RDF work waited %s)", errBusy, n, wait)
	case <-ctx.Done():
		err = ctx.Err()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if w.granted {
		return n, nil
	}
	for i, x := range b.waiters {
		if x == w {
			b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
			break
		}
	}
	b.grantLocked() // the next waiter may fit now that this one left the head
	return 0, err
}

// release returns n bytes to the budget and wakes the waiters that fit.
func (b *memBudget) release(n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	b.grantLocked()
	b.mu.Unlock()
}

func (b *memBudget) grantLocked() {
	for len(b.waiters) > 0 && b.used+b.waiters[0].n <= b.size {
		w := b.waiters[0]
		b.waiters = b.waiters[1:]
		b.used += w.n
		w.granted = true
		close(w.ready)
	}
}

// budgetHold is one request's share of the budget. It only grows (ensure)
// and is returned whole when the request ends (ServeHTTP releases it), so
// the graph, the Turtle written from it and the store write are all
// covered.
type budgetHold struct {
	b    *memBudget
	wait time.Duration
	mu   sync.Mutex
	want [2]int64 // per part: the request body, the stored graph (PATCH)
	held int64
}

// The parts of a request's hold.
const (
	partBody   = 0 // the request body and the graph parsed from it
	partStored = 1 // the stored graph a PATCH reads, changes and writes
)

type holdKey struct{}

// withHold gives a write request its (empty) hold on the budget.
func (h *Handler) withHold(ctx context.Context) (context.Context, *budgetHold) {
	hold := &budgetHold{b: h.budget, wait: h.budgetWait}
	return context.WithValue(ctx, holdKey{}, hold), hold
}

// ensureBudget grows the request's hold so that part holds at least n
// bytes. Outside a write request (no hold) it does nothing.
func ensureBudget(ctx context.Context, part int, n int64) error {
	hold, _ := ctx.Value(holdKey{}).(*budgetHold)
	if hold == nil || hold.b == nil {
		return nil
	}
	hold.mu.Lock()
	defer hold.mu.Unlock()
	hold.want[part] = max(hold.want[part], n)
	n = min(hold.want[0]+hold.want[1], hold.b.size)
	if n <= hold.held {
		return nil
	}
	got, err := hold.b.acquire(ctx, n-hold.held, hold.wait)
	hold.held += got
	return err
}

func (hold *budgetHold) release() {
	hold.mu.Lock()
	defer hold.mu.Unlock()
	if hold.b != nil {
		hold.b.release(hold.held)
	}
	hold.held = 0
}

// reserve takes n bytes of the budget for work outside a write request
// (rendering a stored graph in another media type), waiting at most the
// configured wait; release returns them.
func (h *Handler) reserve(ctx context.Context, n int64) (release func(), err error) {
	if h.budget == nil {
		return func() {}, nil
	}
	got, err := h.budget.acquire(ctx, n, h.budgetWait)
	if err != nil {
		return nil, err
	}
	return func() { h.budget.release(got) }, nil
}

// parseCost estimates the peak memory of parsing an RDF body of n bytes of
// media type mt and writing it back as Turtle: the body, its copy, and a
// graph of at most maxTriples triples.
func (h *Handler) parseCost(n int64, jsonLD bool) int64 {
	triples := min(int64(h.maxTriples), n/minTripleBytes+1)
	cost := plainBodyCopies*n + triples*bytesPerTriple
	if jsonLD {
		cost += jsonLDFixed + jsonLDBodyCost*n
	}
	return cost
}

// bodyBytes is what a request body may hold: its Content-Length, or the
// RDF cap when the length is not announced.
func (h *Handler) bodyBytes(contentLength int64) int64 {
	if contentLength < 0 || contentLength > h.maxRDF {
		return h.maxRDF
	}
	return contentLength
}
