package acl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/naamio/naamio/rdf"
)

// iriHasMember is vcard:hasMember, which lists the members of a vcard:Group.
const iriHasMember = "http://www.w3.org/2006/vcard/ns#hasMember"

var termHasMember = rdf.NewIRI(iriHasMember)

// ErrGroupUnknown is wrapped by every error of Groups.Member: the membership
// could not be determined (the group IRI is not an absolute http(s) IRI, the
// fetch failed or timed out, the document is not RDF or does not parse). The
// caller treats it as "not a member" (fail closed).
var ErrGroupUnknown = errors.New("acl: group membership unknown")

// GroupFetcher fetches the document that holds a group: docURL is the group
// IRI without its fragment. It returns the body and its media type (e.g.
// "text/turtle", "application/ld+json"; parameters are ignored), or an error.
//
// The fetcher does the I/O, so it owns the network rules: it must refuse
// internal addresses (the SSRF-safe client; SECURITY row 24), follow no
// redirect it would not fetch directly, bound the body size, and honour ctx,
// which carries the per-fetch deadline. It may serve groups that live on this
// server from the store.
type GroupFetcher func(ctx context.Context, docURL string) (body []byte, mediaType string, err error)

// GroupOptions tune Groups. A zero field takes its default.
type GroupOptions struct {
	// Timeout is the deadline of one fetch (default 3s). Member never waits
	// longer than this for a document, even if the fetcher ignores ctx.
	Timeout time.Duration
	// TTL is how long a fetched document is reused (default 1 min). A failed
	// fetch is remembered for min(TTL, 10s), so a slow or broken host is not
	// asked again by every request.
	TTL time.Duration
	// MaxEntries bounds the number of cached documents (default 1024); when
	// the cache is full an arbitrary entry is evicted.
	MaxEntries int
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
}

// Defaults of GroupOptions, and the longest time a failure is remembered.
const (
	DefaultGroupTimeout    = 3 * time.Second
	DefaultGroupTTL        = time.Minute
	DefaultGroupMaxEntries = 1024
	maxGroupFailureTTL     = 10 * time.Second
)

// Groups is the GroupChecker for acl:agentGroup (WAC §"Access Subjects",
// acl:agentGroup): the object of acl:agentGroup is a vcard:Group, and its
// members are the objects of vcard:hasMember on that group. An agent is a
// member of group G exactly when the document G names (G without its
// fragment) contains the triple
//
//	<G> vcard:hasMember <WebID> .
//
// Nothing else counts: no rdf:type vcard:Group is required, no nested groups
// are followed, and membership is never inferred from the WebID's side.
//
// Groups caches, per document, the parsed member sets (group IRI → member
// WebIDs) of every group in it, not the document's bytes. Concurrent lookups
// of one document share one fetch. The fetch has its own deadline (Timeout)
// and is detached from the cancellation of the caller that started it, so
// the other callers waiting for it still get the answer; each caller stops
// waiting when its own ctx ends.
//
// Member fails closed: any doubt is (false, error wrapping ErrGroupUnknown),
// never a grant. Groups is safe for concurrent use.
type Groups struct {
	fetch      GroupFetcher
	timeout    time.Duration
	ttl        time.Duration
	failTTL    time.Duration
	maxEntries int
	now        func() time.Time

	mu    sync.RWMutex
	gen   uint64                // bumped by Invalidate
	docs  map[string]*groupDoc  // docURL → cached answer
	calls map[string]*groupCall // docURL → fetch in flight
}

var _ GroupChecker = (*Groups)(nil)

// groupDoc is the cached answer for one document: members or err.
type groupDoc struct {
	members map[string]map[string]struct{} // group IRI → member WebIDs
	err     error
	expires time.Time
}

// groupCall is one fetch in flight; doc is set before done is closed.
type groupCall struct {
	done     chan struct{}
	deadline <-chan struct{} // the fetch's own deadline
	doc      *groupDoc
}

// NewGroups returns a Groups that reads group documents through fetch.
func NewGroups(fetch GroupFetcher, opts GroupOptions) *Groups {
	g := &Groups{
		fetch:      fetch,
		timeout:    opts.Timeout,
		ttl:        opts.TTL,
		maxEntries: opts.MaxEntries,
		now:        opts.Now,
		docs:       make(map[string]*groupDoc),
		calls:      make(map[string]*groupCall),
	}
	if g.timeout <= 0 {
		g.timeout = DefaultGroupTimeout
	}
	if g.ttl <= 0 {
		g.ttl = DefaultGroupTTL
	}
	if g.maxEntries <= 0 {
		g.maxEntries = DefaultGroupMaxEntries
	}
	if g.now == nil {
		g.now = time.Now
	}
	g.failTTL = min(g.ttl, maxGroupFailureTTL)
	return g
}

// Member reports whether webID is listed as a member of groupIRI (see
// Groups). groupIRI must be an absolute http(s) IRI; its document is fetched
// unless a fresh answer is cached. An empty webID (the public) is a member of
// nothing and causes no fetch.
// Any failure is (false, err) with err wrapping ErrGroupUnknown.
func (g *Groups) Member(ctx context.Context, groupIRI, webID string) (bool, error) {
	if webID == "" {
		return false, nil
	}
	docURL, _, _ := strings.Cut(groupIRI, "#")
	d, err := g.doc(ctx, docURL)
	if err != nil {
		return false, err
	}
	_, ok := d.members[groupIRI][webID]
	return ok, nil
}

// Invalidate drops the cached answer for a document (a fragment is ignored),
// and detaches any fetch of it in flight, so the next lookup fetches it
// again. The server calls it when a group document it hosts changes.
func (g *Groups) Invalidate(docURL string) {
	docURL, _, _ = strings.Cut(docURL, "#")
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gen++
	delete(g.docs, docURL)
	delete(g.calls, docURL)
}

// doc returns the fresh answer for docURL: from the cache, by joining a fetch
// in flight, or by starting one. Only validated URLs reach the cache, so a
// hit needs no validation.
func (g *Groups) doc(ctx context.Context, docURL string) (*groupDoc, error) {
	now := g.now()
	g.mu.RLock()
	d, ok := g.docs[docURL]
	g.mu.RUnlock()
	if ok && now.Before(d.expires) {
		return d, d.err
	}
	if err := checkGroupDocURL(docURL); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil { // do not start a fetch for a caller already gone
		return nil, fmt.Errorf("%w: %s: %w", ErrGroupUnknown, docURL, context.Cause(ctx))
	}
	g.mu.Lock()
	if d, ok := g.docs[docURL]; ok && now.Before(d.expires) {
		g.mu.Unlock()
		return d, d.err
	}
	c, ok := g.calls[docURL]
	if !ok {
		c = g.start(ctx, docURL)
	}
	g.mu.Unlock()
	return c.wait(ctx, docURL)
}

// start registers and runs a fetch of docURL. The caller holds g.mu.
func (g *Groups) start(ctx context.Context, docURL string) *groupCall {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.timeout)
	c := &groupCall{done: make(chan struct{}), deadline: fctx.Done()}
	g.calls[docURL] = c
	go g.run(fctx, cancel, docURL, c, g.gen)
	return c
}

// run fetches and parses docURL, caches the answer unless an Invalidate
// happened meanwhile, and releases the waiters.
func (g *Groups) run(ctx context.Context, cancel context.CancelFunc, docURL string, c *groupCall, gen uint64) {
	members, err := g.load(ctx, docURL)
	ttl := g.ttl
	if err != nil {
		ttl = g.failTTL
	}
	c.doc = &groupDoc{members: members, err: err, expires: g.now().Add(ttl)}
	g.mu.Lock()
	if g.calls[docURL] == c {
		delete(g.calls, docURL)
	}
	if g.gen == gen {
		if _, ok := g.docs[docURL]; !ok {
			evictOne(g.docs, g.maxEntries)
		}
		g.docs[docURL] = c.doc
	}
	g.mu.Unlock()
	close(c.done)
	cancel() // after close: a waiter seeing the deadline fire also sees done
}

// wait returns the call's answer, or an error when the caller's ctx ends or
// the fetch's deadline passes first (a fetcher that ignores its ctx cannot
// hold a request beyond Timeout).
func (c *groupCall) wait(ctx context.Context, docURL string) (*groupDoc, error) {
	select {
	case <-c.done:
	case <-c.deadline:
		select {
		case <-c.done:
		default:
			return nil, fmt.Errorf("%w: fetching %s: %w", ErrGroupUnknown, docURL, context.DeadlineExceeded)
		}
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %s: %w", ErrGroupUnknown, docURL, context.Cause(ctx))
	}
	return c.doc, c.doc.err
}

// load fetches docURL and returns the member sets of the groups in it. A
// panicking fetcher is an error, not a crash of the server.
func (g *Groups) load(ctx context.Context, docURL string) (members map[string]map[string]struct{}, err error) {
	defer func() {
		if r := recover(); r != nil {
			members, err = nil, fmt.Errorf("%w: fetching %s: fetcher panicked: %v", ErrGroupUnknown, docURL, r)
		}
	}()
	body, mediaType, err := g.fetch(ctx, docURL)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err() // answered after its deadline: the waiters already gave up
	}
	if err != nil {
		return nil, fmt.Errorf("%w: fetching %s: %w", ErrGroupUnknown, docURL, err)
	}
	return parseGroupDoc(body, mediaType, docURL)
}

// parseGroupDoc parses an RDF document and collects its vcard:hasMember
// triples whose subject and object are IRIs.
func parseGroupDoc(body []byte, mediaType, docURL string) (map[string]map[string]struct{}, error) {
	mt, _, _ := strings.Cut(mediaType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if !rdf.Supported(mt) {
		return nil, fmt.Errorf("%w: %s: %w %q", ErrGroupUnknown, docURL, rdf.ErrUnsupported, mediaType)
	}
	graph, err := rdf.Parse(bytes.NewReader(body), mt, docURL, rdf.Limits{})
	if err != nil {
		return nil, fmt.Errorf("%w: parsing %s: %w", ErrGroupUnknown, docURL, err)
	}
	members := make(map[string]map[string]struct{})
	for _, t := range graph.Match(rdf.Term{}, termHasMember, rdf.Term{}) {
		if t.S.Kind != rdf.IRI || t.O.Kind != rdf.IRI {
			continue
		}
		set := members[t.S.Value]
		if set == nil {
			set = make(map[string]struct{})
			members[t.S.Value] = set
		}
		set[t.O.Value] = struct{}{}
	}
	return members, nil
}

// checkGroupDocURL accepts only an absolute http(s) URL with a host, no user
// information and no whitespace or control characters. Anything else (a
// relative IRI, urn:, file:, …) is never fetched.
func checkGroupDocURL(docURL string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: group document %q: %s", ErrGroupUnknown, docURL, why)
	}
	if strings.ContainsFunc(docURL, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return bad("whitespace or control character")
	}
	u, err := url.Parse(docURL)
	if err != nil {
		return bad(err.Error())
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return bad("not an absolute http(s) IRI")
	}
	if u.Host == "" || u.Opaque != "" || u.User != nil {
		return bad("no host, or user information")
	}
	return nil
}
