package ldp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/naamio/naamio/acl"
)

// Config is what the LDP handler needs to know about its deployment.
type Config struct {
	// BaseURL is the public base URL of the server (e.g.
	// "http://localhost:8080/"). Resource IRIs are built from it, never from
	// the request's Host header (SECURITY row 12).
	BaseURL string
	// MaxRDFBody caps an RDF request body in bytes (413 above it).
	MaxRDFBody int64
	// MaxRDFTriples caps the triples of one RDF document: a PUT or POST
	// body, a patch, and the result of a PATCH (413 above it; SECURITY row
	// 15). 0 means DefaultMaxRDFTriples.
	MaxRDFTriples int
	// RDFMemory is the server-wide budget, in bytes, for RDF bodies being
	// parsed and graphs being patched at once; a request that cannot get
	// its share within RDFWait is refused with 503 and Retry-After. 0 means
	// DefaultRDFMemory, negative no budget.
	RDFMemory int64
	// RDFWait is how long a request waits for its share of RDFMemory; 0
	// means DefaultRDFWait.
	RDFWait time.Duration
	// MaxBody caps any other request body in bytes; 0 means no cap (bodies
	// are streamed into the store).
	MaxBody int64
	// Problems, when set, is told of every Problem the handler meets (the
	// error behind a 5xx, an unusable ACL, a damaged body); the handler
	// logs nothing itself.
	Problems func(ctx context.Context, p Problem)
	// RenderCacheBytes bounds the cache of rendered representations;
	// 0 means DefaultRenderCacheBytes, negative disables it.
	RenderCacheBytes int64
	// ACL decides every request (Web Access Control). Required: there is no
	// open mode. Build it with NewACLResolver and feed it the change log
	// (InvalidateACL) so that cached decisions follow every write.
	ACL *acl.Resolver
	// Groups answers acl:agentGroup. Nil: no group matches.
	Groups acl.GroupChecker
	// StorageRoot reports whether a container path other than "/" is the
	// root of a storage of its own (a pod root, "/alice/"). It is asked
	// while writing the headers of every response, so it must answer from
	// memory. Nil: "/" is the only storage root.
	StorageRoot func(path string) bool
	// Locator maps store paths to IRIs and requests to paths; it must be
	// the one the ACL resolver was built with. Nil: NewLocator(BaseURL,
	// nil), every pod under the base URL.
	Locator *Locator
	// Subscriptions are the Solid Notifications subscription services
	// every storage description lists (notify/).
	Subscriptions []SubscriptionService
	// NotificationGateway, when set, is stated as the storage's
	// solid:notificationGateway (the discovery of Inrupt's notifications
	// client; notify/gateway.go).
	NotificationGateway string
	// NewGuard, when set, builds the Guard asked before every write
	// commits (guard.go; the Wasm module host). It is given the handler,
	// which the guard's own requests go through, and is called once.
	NewGuard func(*Handler) Guard
	// ResourceLinks, when set, gives extra Link header values (already
	// formatted, comma-separated) for the resource with the given IRI; every
	// response that describes a resource carries them (notify/: the
	// StreamingHTTPChannel2023 link). It must answer from memory.
	ResourceLinks func(iri string) string
	// SandboxPodHosts sandboxes user content on pods' own hosts too (the
	// subdomain layout), not only on the base host. The server sets it
	// when a data browser that holds the person's session runs on the
	// pod's origin (--data-browser solidos): a stored page there would
	// otherwise share that origin, and so the session (SECURITY row 58).
	SandboxPodHosts bool
	// KeepsControl, when set, names the clients (by client id) whose ACL
	// writes must leave the writing agent Control of the ACL's subject: a
	// PUT or PATCH of an ACL through such a client that would take it away
	// is refused (422) and nothing changes. The server names the pages' own
	// client (issue 15: the sharing page never locks its user out, even if
	// its script is wrong); other Solid clients may give up Control, as
	// WAC allows.
	KeepsControl func(clientID string) bool
}

// DefaultMaxRDFBody is the default cap on RDF request bodies.
const DefaultMaxRDFBody = 10 << 20

// Handler serves the Solid Protocol's resource operations for one store.
type Handler struct {
	store    Store
	problems func(ctx context.Context, p Problem)
	loc      *Locator
	maxRDF   int64
	maxBin   int64
	// maxTriples caps one RDF document; budget bounds the memory of all
	// RDF work at once (budget.go), waiting at most budgetWait.
	maxTriples int
	budget     *memBudget
	budgetWait time.Duration
	cache      *renderCache
	// patchLocks queues concurrent PATCHes of one path.
	patchLocks *patchLocks

	acl    *acl.Resolver
	groups acl.GroupChecker

	storageRoot func(string) bool

	subscriptions []SubscriptionService
	gateway       string
	guardian      Guard
	links         func(iri string) string
	// sandboxAll: Config.SandboxPodHosts.
	sandboxAll   bool
	keepsControl func(clientID string) bool
}

// NewHandler checks the configuration and builds a handler.
func NewHandler(store Store, cfg Config) (*Handler, error) {
	loc := cfg.Locator
	if loc == nil {
		var err error
		if loc, err = NewLocator(cfg.BaseURL, nil); err != nil {
			return nil, err
		}
	}
	if cfg.ACL == nil {
		return nil, errors.New("ldp: an ACL resolver is required")
	}
	maxRDF := cfg.MaxRDFBody
	if maxRDF <= 0 {
		maxRDF = DefaultMaxRDFBody
	}
	cacheBytes := cfg.RenderCacheBytes
	if cacheBytes == 0 {
		cacheBytes = DefaultRenderCacheBytes
	}
	cache, err := newRenderCache(cacheBytes)
	if err != nil {
		return nil, err
	}
	maxTriples := cfg.MaxRDFTriples
	if maxTriples <= 0 {
		maxTriples = DefaultMaxRDFTriples
	}
	var budget *memBudget
	switch {
	case cfg.RDFMemory == 0:
		budget = newMemBudget(DefaultRDFMemory)
	case cfg.RDFMemory > 0:
		budget = newMemBudget(cfg.RDFMemory)
	}
	wait := cfg.RDFWait
	if wait <= 0 {
		wait = DefaultRDFWait
	}
	h := &Handler{
		maxTriples: maxTriples,
		budget:     budget,
		budgetWait: wait,

		store:    store,
		problems: cfg.Problems,
		loc:      loc,
		maxRDF:   maxRDF,
		maxBin:   cfg.MaxBody,
		cache:    cache,

		patchLocks: newPatchLocks(),
		acl:        cfg.ACL,
		groups:     cfg.Groups,

		storageRoot: cfg.StorageRoot,

		subscriptions: cfg.Subscriptions,
		gateway:       cfg.NotificationGateway,
		links:         cfg.ResourceLinks,
		sandboxAll:    cfg.SandboxPodHosts,
		keepsControl:  cfg.KeepsControl,
	}
	if cfg.NewGuard != nil {
		h.guardian = cfg.NewGuard(h)
	}
	return h, nil
}

// Close releases the handler's cache. The store is the caller's to close.
func (h *Handler) Close() { h.cache.close() }

// Locator is the handler's map between paths, IRIs and requests.
func (h *Handler) Locator() *Locator { return h.loc }

// IRI returns the absolute IRI of a canonical path.
func (h *Handler) IRI(p string) string { return h.loc.IRI(p) }

// ServeHTTP dispatches on the method (Solid Protocol server-safe-methods).
// The caller is the one the request's context carries (auth.AgentFrom):
// the server authenticates every request before it arrives here; without
// that, every request is anonymous (public access only).
//
// Every method returns its error to this one place, which answers it
// (fail: the status from statusFor); a method that returns an error has
// written nothing but headers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.setContentSecurity(w, r)
	if err := h.dispatch(w, r); err != nil {
		h.fail(w, r, err)
	}
}

// dispatch serves r, or returns the error to answer it with.
func (h *Handler) dispatch(w http.ResponseWriter, r *http.Request) error {
	p, err := h.loc.Path(r)
	if err != nil {
		return err
	}
	if root, ok := h.loc.describedRoot(p); ok {
		return h.serveDescription(w, r, root)
	}
	if h.loc.reserved(p) {
		return fmt.Errorf("%w: %s is reserved for the server", ErrNotFound, p)
	}
	if r.Method == http.MethodOptions {
		// No authorization needed (capability discovery); credentials that
		// do not verify leave the caller anonymous (agentOf).
		return h.options(w, r, p)
	}
	if err := callerError(r); err != nil {
		return err
	}
	switch r.Method {
	case http.MethodPut, http.MethodPost, http.MethodPatch:
		// The request's share of the RDF memory budget, taken where a body
		// or stored graph is parsed and returned when the method is done.
		ctx, hold := h.withHold(r.Context())
		defer hold.release()
		r = r.WithContext(ctx)
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return h.get(w, r, p)
	case http.MethodPut:
		return h.put(w, r, p)
	case http.MethodPost:
		return h.post(w, r, p)
	case http.MethodPatch:
		return h.patch(w, r, p)
	case http.MethodDelete:
		return h.delete(w, r, p)
	default:
		h.setAllow(w, p, rdfSource)
		return fmt.Errorf("%w: %s", errMethodNotAllowed, r.Method)
	}
}

var (
	errMethodNotAllowed = errors.New("ldp: method not allowed")
	errNotAcceptable    = errors.New("ldp: not acceptable")
	errUnsupportedType  = errors.New("ldp: unsupported media type")
	errBadRequest       = errors.New("ldp: bad request")
)
