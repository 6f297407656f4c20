package ldp

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

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
	// MaxBody caps any other request body in bytes; 0 means no cap (bodies
	// are streamed into the store).
	MaxBody int64
	// Logger receives one line per 5xx with the full error.
	Logger *slog.Logger
	// RenderCacheBytes bounds the cache of rendered representations;
	// 0 means DefaultRenderCacheBytes, negative disables it.
	RenderCacheBytes int64
	// ACL decides every request (Web Access Control). Required: there is no
	// open mode. Build it with NewACLResolver and feed it the change log
	// (InvalidateACL) so that cached decisions follow every write.
	ACL *acl.Resolver
	// Authenticator establishes the caller (Solid-OIDC). Nil: every
	// request is anonymous (public access only).
	Authenticator Authenticator
	// Groups answers acl:agentGroup. Nil: no group matches.
	Groups acl.GroupChecker
	// StorageRoot reports whether a container path other than "/" is the
	// root of a storage of its own (a pod root, "/alice/"). It is asked
	// while writing the headers of every response, so it must answer from
	// memory. Nil: "/" is the only storage root.
	StorageRoot func(path string) bool
}

// DefaultMaxRDFBody is the default cap on RDF request bodies.
const DefaultMaxRDFBody = 10 << 20

// Handler serves the Solid Protocol's resource operations for one store.
type Handler struct {
	store  Store
	log    *slog.Logger
	origin string // scheme://host[:port] of the public base URL
	prefix string // path of the public base URL without its trailing slash
	maxRDF int64
	maxBin int64
	cache  *renderCache
	// patchLocks queues concurrent PATCHes of one path.
	patchLocks *patchLocks

	acl    *acl.Resolver
	authn  Authenticator
	groups acl.GroupChecker

	storageRoot func(string) bool
}

// NewHandler checks the configuration and builds a handler.
func NewHandler(store Store, cfg Config) (*Handler, error) {
	origin, prefix, err := splitBase(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.ACL == nil {
		return nil, errors.New("ldp: an ACL resolver is required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
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
	return &Handler{
		store:  store,
		log:    log,
		origin: origin,
		prefix: prefix,
		maxRDF: maxRDF,
		maxBin: cfg.MaxBody,
		cache:  cache,

		patchLocks: newPatchLocks(),
		acl:        cfg.ACL,
		authn:      cfg.Authenticator,
		groups:     cfg.Groups,

		storageRoot: cfg.StorageRoot,
	}, nil
}

// splitBase checks a public base URL and splits it into its origin
// (scheme://host[:port]) and its path without the trailing slash.
func splitBase(base string) (origin, prefix string, err error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("ldp: base URL %q must be an absolute http(s) URL without query or fragment", base)
	}
	return u.Scheme + "://" + u.Host, strings.TrimSuffix(u.EscapedPath(), "/"), nil
}

// Close releases the handler's cache. The store is the caller's to close.
func (h *Handler) Close() { h.cache.close() }

// IRI returns the absolute IRI of a canonical path.
func (h *Handler) IRI(p string) string { return h.origin + h.prefix + p }

// pathOf maps a request to its canonical resource path.
func (h *Handler) pathOf(r *http.Request) (string, error) {
	esc := r.URL.EscapedPath()
	if h.prefix != "" {
		if !strings.HasPrefix(esc, h.prefix+"/") {
			return "", ErrNotFound
		}
		esc = esc[len(h.prefix):]
	}
	return CanonicalPath(esc)
}

// ServeHTTP dispatches on the method (Solid Protocol server-safe-methods).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, err := h.pathOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if p == storageDescriptionPath {
		h.serveDescription(w, r)
		return
	}
	if reserved(p) {
		h.fail(w, r, fmt.Errorf("%w: %s is reserved for the server", ErrNotFound, p))
		return
	}
	if r.Method == http.MethodOptions {
		// No authorization (CORS preflights and capability discovery).
		h.options(w, r, p)
		return
	}
	if r, err = h.authenticate(r); err != nil {
		h.fail(w, r, err)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.get(w, r, p)
	case http.MethodPut:
		h.put(w, r, p)
	case http.MethodPost:
		h.post(w, r, p)
	case http.MethodPatch:
		h.patch(w, r, p)
	case http.MethodDelete:
		h.delete(w, r, p)
	default:
		h.setAllow(w, p, rdfSource)
		h.fail(w, r, fmt.Errorf("%w: %s", errMethodNotAllowed, r.Method))
	}
}

// reserved reports whether p lies in the server's own top-level namespace:
// every first segment that starts with "." except the root's auxiliary
// resources ("/.acl", "/.meta"). Pod data can never be written there, so
// later server endpoints (/.well-known/, /.account/, /.naamio/) cannot be
// shadowed by a user's resource.
func reserved(p string) bool {
	if len(p) < 2 || p[1] != '.' {
		return false
	}
	return p != "/"+aclSuffix && p != "/"+metaSuffix
}

var (
	errMethodNotAllowed = errors.New("ldp: method not allowed")
	errNotAcceptable    = errors.New("ldp: not acceptable")
	errUnsupportedType  = errors.New("ldp: unsupported media type")
	errBadRequest       = errors.New("ldp: bad request")
)
