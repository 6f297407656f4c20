package acl

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// ErrNoACL: no resource on the path's ancestor chain, up to the root
// container, has an ACL. The caller denies; the server guarantees a root ACL
// (server-root-container-acl), so this is a misconfiguration.
var ErrNoACL = errors.New("acl: no effective ACL")

// ErrBadPath: Effective was given something that is not a canonical resource
// path ("" or not starting with "/"), or the path of an auxiliary resource.
// Access to R.acl is decided on R (Control) and access to R.meta as for R
// (see the table in the package documentation), so the caller resolves R;
// resolving "/a.meta" itself would wrongly skip /a.acl.
var ErrBadPath = errors.New("acl: not a resource path")

// Auxiliary resource suffixes (the conventions of ldp/path.go): the ACL
// resource of "/a" is "/a.acl", of "/c/" it is "/c/.acl".
const (
	aclSuffix  = ".acl"
	metaSuffix = ".meta"
)

// Loader reads the ACL resource at aclPath from the store. found is false when
// it has no representation; version is its ETag (a strong validator that
// changes whenever the content does). An error is an I/O failure: the request
// is denied and nothing is cached.
type Loader func(ctx context.Context, aclPath string) (turtle []byte, version string, found bool, err error)

// Effective is the ACL that governs one resource (WAC §"ACL Resolution
// Algorithm"). It is a snapshot; ACL is immutable and shared.
type Effective struct {
	// ACL is the compiled ACL resource.
	ACL *ACL
	// ACLPath is the path of that ACL resource ("/a.acl", "/c/.acl").
	ACLPath string
	// Target is the IRI the Authorizations are matched against: the resource
	// itself (acl:accessTo) or the container whose acl:default applies.
	Target string
	// Inherited is true when the ACL is an ancestor container's (acl:default).
	Inherited bool
}

// Allow is (*ACL).Allow with this Effective's target and inheritance.
func (e *Effective) Allow(ctx context.Context, ag Agent, groups GroupChecker) (user, public Mode) {
	return e.ACL.Allow(ctx, e.Target, e.Inherited, ag, groups)
}

// Resolver finds, compiles and caches the effective ACL of resources. It is
// safe for concurrent use.
//
// # Caches
//
// Two caches, each bounded by cacheSize entries (random eviction when full):
//
//   - compiled: aclPath → (version, *ACL or compile error). A load whose
//     version matches is not compiled again; a new version replaces the old.
//   - resolution: resource path → its Effective (or the error that denies
//     it: ErrNoACL, a compile error). A hit needs no load and no compile.
//
// # Invalidation
//
// The caller calls Invalidate for every change-log entry, after the change is
// visible to the Loader. A path's resolution is a function of exactly the
// existence and content of the ACL resources of the path itself and of its
// ancestor containers — nothing else is read. Every create, update or delete
// of such an ACL resource is a change-log entry for its path X = S + ".acl",
// so Invalidate(X) drops every resolution whose chain contains X: the entry
// for S and, when S is a container, every entry under S (a new /a/b/.acl
// changes the result for everything under /a/b/; a deleted one sends them
// back to the parent; an updated one may now fail to compile). That is a
// superset of the entries that depended on X, so no stale entry survives.
// The deletion of a resource deletes its ACL with it (and logs that), which
// drops its resolution; Invalidate of any other path also drops that path's
// own entry, so a deleted-then-recreated resource is resolved afresh even if
// the ACL's entry were missing (SECURITY row 22).
//
// A resolution computed concurrently with an Invalidate may have read the
// store before the change: every Invalidate bumps a generation counter, and a
// resolution is stored only if the generation did not move while it ran.
type Resolver struct {
	load    Loader
	baseIRI func(path string) string
	size    int
	compile func(src []byte, aclIRI string) (*ACL, error) // Parse; tests count calls

	mu       sync.RWMutex
	gen      uint64
	resolved map[string]*resolution
	compiled map[string]*compiled
}

// resolution is a cached answer for one path: eff or err, never both.
type resolution struct {
	eff *Effective
	err error
}

// compiled is one version of one ACL resource: acl or err.
type compiled struct {
	version string
	acl     *ACL
	err     error
}

// DefaultCacheSize is used when NewResolver is given cacheSize <= 0.
const DefaultCacheSize = 1 << 14

// NewResolver returns a Resolver that reads ACL resources through load and
// turns store paths into IRIs with baseIRI (the configured public base URL,
// never the request's Host). cacheSize bounds each cache (<= 0: DefaultCacheSize).
func NewResolver(load Loader, baseIRI func(path string) string, cacheSize int) *Resolver {
	if cacheSize <= 0 {
		cacheSize = DefaultCacheSize
	}
	return &Resolver{
		load:     load,
		baseIRI:  baseIRI,
		size:     cacheSize,
		compile:  Parse,
		resolved: make(map[string]*resolution),
		compiled: make(map[string]*compiled),
	}
}

// Effective returns the effective ACL of the resource at path, a canonical
// escaped store path (containers end in "/"; the path need not exist). It
// walks from the resource upwards: the resource's own ACL if it has one
// (acl:accessTo, Inherited false), else the nearest ancestor container's
// (acl:default, Inherited true). No ACL anywhere is ErrNoACL. The nearest ACL
// failing to compile is that error: there is no fallback to a parent
// (SECURITY row 23). On any error the caller denies.
func (r *Resolver) Effective(ctx context.Context, path string) (*Effective, error) {
	e, err := r.resolve(ctx, path)
	if err != nil {
		return nil, err
	}
	c := *e // the cached value stays private
	return &c, nil
}

// Decide resolves path and evaluates its effective ACL for agent: the modes of
// the agent (user) and of the public, as (*ACL).Allow. On error both are 0.
func (r *Resolver) Decide(ctx context.Context, path string, agent Agent, groups GroupChecker) (user, public Mode, err error) {
	e, err := r.resolve(ctx, path)
	if err != nil {
		return 0, 0, err
	}
	user, public = e.Allow(ctx, agent, groups)
	return user, public, nil
}

// Invalidate is called for every change-log entry with the changed path. For
// an ACL resource it drops the resolutions of its subject and, for a
// container's ACL, of everything under the container; for any other path it
// drops that path's resolution. See Resolver for why this is complete.
func (r *Resolver) Invalidate(changedPath string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gen++
	subject, isACL := strings.CutSuffix(changedPath, aclSuffix)
	if !isACL || strings.HasSuffix(changedPath, "/") {
		delete(r.resolved, changedPath)
		return
	}
	if !strings.HasSuffix(subject, "/") {
		delete(r.resolved, subject)
		return
	}
	if subject == "/" {
		clear(r.resolved)
		return
	}
	for p := range r.resolved {
		if strings.HasPrefix(p, subject) {
			delete(r.resolved, p)
		}
	}
}

func (r *Resolver) resolve(ctx context.Context, path string) (*Effective, error) {
	if path == "" || path[0] != '/' || isAuxPath(path) {
		return nil, fmt.Errorf("%w: %q", ErrBadPath, path)
	}
	r.mu.RLock()
	res, ok := r.resolved[path]
	gen := r.gen
	r.mu.RUnlock()
	if ok {
		return res.eff, res.err
	}
	res, err := r.walk(ctx, path)
	if err != nil {
		return nil, err // I/O or context error: not cached
	}
	r.mu.Lock()
	if r.gen == gen {
		evictOne(r.resolved, r.size)
		r.resolved[path] = res
	}
	r.mu.Unlock()
	return res.eff, res.err
}

// walk resolves path from the store, starting at the resource and stopping at
// the first ACL resource found or at the first ancestor whose resolution is
// already cached (it holds, for every path below it without an ACL of its own,
// the same answer). The returned error is an I/O error; a denial is in res.err.
func (r *Resolver) walk(ctx context.Context, path string) (*resolution, error) {
	for p, own := path, true; p != ""; p, own = parent(p), false {
		if !own {
			r.mu.RLock()
			anc, ok := r.resolved[p]
			r.mu.RUnlock()
			if ok {
				return inheritFrom(anc), nil
			}
		}
		aclPath := p + aclSuffix
		src, version, found, err := r.load(ctx, aclPath)
		if err != nil {
			return nil, fmt.Errorf("acl: loading %s: %w", aclPath, err)
		}
		if !found {
			continue
		}
		a, err := r.compiledACL(aclPath, src, version)
		if err != nil {
			return &resolution{err: err}, nil
		}
		return &resolution{eff: &Effective{ACL: a, ACLPath: aclPath, Target: r.baseIRI(p), Inherited: !own}}, nil
	}
	return &resolution{err: ErrNoACL}, nil
}

// inheritFrom turns the resolution of container C into that of a member of C
// without an ACL of its own: C's own ACL becomes inherited with target C; an
// inherited ACL or a denial is passed on unchanged.
func inheritFrom(anc *resolution) *resolution {
	if anc.err != nil || anc.eff.Inherited {
		return anc
	}
	e := *anc.eff
	e.Inherited = true
	return &resolution{eff: &e}
}

// compiledACL returns the compiled ACL for (aclPath, version), compiling it
// only when that version is not cached. An empty version cannot identify the
// content, so it is compiled every time and not cached.
func (r *Resolver) compiledACL(aclPath string, src []byte, version string) (*ACL, error) {
	if version != "" {
		r.mu.RLock()
		c, ok := r.compiled[aclPath]
		r.mu.RUnlock()
		if ok && c.version == version {
			return c.acl, c.err
		}
	}
	a, err := r.compile(src, r.baseIRI(aclPath))
	if version != "" {
		r.mu.Lock()
		if _, ok := r.compiled[aclPath]; !ok {
			evictOne(r.compiled, r.size)
		}
		r.compiled[aclPath] = &compiled{version: version, acl: a, err: err}
		r.mu.Unlock()
	}
	return a, err
}

// evictOne removes an arbitrary entry (Go randomizes map iteration) when m
// holds size entries, making room for one more.
func evictOne[V any](m map[string]V, size int) {
	if len(m) < size {
		return
	}
	for k := range m {
		delete(m, k)
		return
	}
}

// isAuxPath reports whether p names an auxiliary resource (containers never
// do), as ldp.Auxiliary.
func isAuxPath(p string) bool {
	return !strings.HasSuffix(p, "/") && (strings.HasSuffix(p, aclSuffix) || strings.HasSuffix(p, metaSuffix))
}

// parent returns the container holding p ("" for the root), as ldp.Parent.
func parent(p string) string {
	if p == "/" {
		return ""
	}
	i := strings.LastIndexByte(strings.TrimSuffix(p, "/"), '/')
	return p[:i+1]
}
