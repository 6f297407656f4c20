package ldp

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Locator maps the store's canonical paths to public IRIs, and requests to
// the paths they name. It is the one place that knows where a resource is
// published.
//
// By default every resource is at <base URL><path>. A pod in the subdomain
// layout (Subdomain reports true for its name) has an origin of its own:
// store path /alice/notes/x is <scheme>://alice.<base host>/notes/x. Such
// a pod is reachable only on its own host; on the base host its paths are
// not found, so each resource has exactly one IRI (and a pod's pages and
// scripts never share an origin with another pod or with the identity
// provider's cookies).
//
// The request's Host header only ever selects one of the known pod hosts.
// Any other Host (a reverse proxy that rewrites it, a client that sends an
// IP address) is served as the base host, and IRIs are always built from
// the configured base URL and pod names (SECURITY row 12).
type Locator struct {
	scheme    string // "https"
	host      string // base host[:port], lower case
	origin    string // scheme://host
	prefix    string // base path without its trailing slash
	subdomain func(name string) bool
}

// NewLocator returns the locator for a server whose public base URL is
// baseURL. subdomain reports whether a pod name is served on a host of its
// own; it is asked on every request and for every IRI built, so it must
// answer from memory. Nil: every pod is path-based.
func NewLocator(baseURL string, subdomain func(name string) bool) (*Locator, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("ldp: base URL %q must be an absolute http(s) URL without query or fragment", baseURL)
	}
	host := strings.ToLower(u.Host)
	return &Locator{
		scheme:    u.Scheme,
		host:      host,
		origin:    u.Scheme + "://" + host,
		prefix:    strings.TrimSuffix(u.EscapedPath(), "/"),
		subdomain: subdomain,
	}, nil
}

// IRI returns the public IRI of a canonical store path.
func (l *Locator) IRI(p string) string {
	if name, rest, ok := l.ownHost(p); ok {
		return l.scheme + "://" + name + "." + l.host + rest
	}
	return l.origin + l.prefix + p
}

// Path returns the store path a request names (ErrBadPath for a path no
// resource can have, ErrNotFound for one outside the server's space).
func (l *Locator) Path(r *http.Request) (string, error) {
	return l.locate(r.Host, r.URL.EscapedPath())
}

// PathOf returns the store path of a public IRI this server serves (its
// fragment and query ignored), and false for any other IRI.
func (l *Locator) PathOf(iri string) (string, bool) {
	u, err := url.Parse(iri)
	if err != nil || !l.Serves(u) {
		return "", false
	}
	p, err := l.locate(u.Host, u.EscapedPath())
	return p, err == nil
}

// locate maps a host and escaped path to a store path. A host that is no
// pod's own is treated as the base host (see Locator).
func (l *Locator) locate(host, esc string) (string, error) {
	if name, ok := l.podOfHost(host); ok {
		p, err := CanonicalPath(esc)
		if err != nil {
			return "", err
		}
		return "/" + name + p, nil
	}
	if l.prefix != "" {
		if !strings.HasPrefix(esc, l.prefix+"/") {
			return "", ErrNotFound
		}
		esc = esc[len(l.prefix):]
	}
	p, err := CanonicalPath(esc)
	if err != nil {
		return "", err
	}
	if _, _, ok := l.ownHost(p); ok {
		// Served on the pod's own host only: one IRI per resource.
		return "", fmt.Errorf("%w: %s is served on its pod's own host", ErrNotFound, p)
	}
	return p, nil
}

// RequestURL is the public URL of a request without query: the URL a DPoP
// proof's htu must name (auth.Locator).
func (l *Locator) RequestURL(r *http.Request) string {
	esc := r.URL.EscapedPath()
	if !strings.HasPrefix(esc, "/") {
		esc = "/" + esc
	}
	if name, ok := l.podOfHost(r.Host); ok {
		return l.scheme + "://" + name + "." + l.host + esc
	}
	return l.origin + esc
}

// Serves reports whether u is a URL this server answers: under the base
// URL, or on the host of a subdomain pod (auth.Locator).
func (l *Locator) Serves(u *url.URL) bool {
	if u.User != nil || u.Scheme != l.scheme {
		return false
	}
	if _, ok := l.podOfHost(u.Host); ok {
		return true
	}
	if strings.ToLower(u.Host) != l.host {
		return false
	}
	p := u.EscapedPath()
	return l.prefix == "" || p == l.prefix || strings.HasPrefix(p, l.prefix+"/")
}

// PodHost reports whether a request was made to the host of a subdomain
// pod (as opposed to the base host, where the server's own endpoints are).
func (l *Locator) PodHost(r *http.Request) bool {
	_, ok := l.podOfHost(r.Host)
	return ok
}

// descriptionPath is the store path of the storage description that
// covers p: the server's, or a subdomain pod's own
// (<scheme>://alice.<host>/.well-known/solid).
func (l *Locator) descriptionPath(p string) string {
	if name, _, ok := l.ownHost(p); ok {
		return "/" + name + storageDescriptionPath
	}
	return storageDescriptionPath
}

// describedRoot returns the storage root a storage description path
// describes, and false when p is no storage description.
func (l *Locator) describedRoot(p string) (string, bool) {
	if p == storageDescriptionPath {
		return "/", true
	}
	if name, rest, ok := l.ownHost(p); ok && rest == storageDescriptionPath {
		return "/" + name + "/", true
	}
	return "", false
}

// reserved reports whether p lies in a namespace the server keeps for
// itself: every first segment that starts with "." except the root's
// auxiliary resources ("/.acl", "/.meta"), and a subdomain pod's
// /.well-known/, which on its host is where the root's would be. Pod data
// can never be written there, so the server's endpoints (/.well-known/,
// /.account/, /.naamio/) cannot be shadowed by a user's resource.
func (l *Locator) reserved(p string) bool {
	if _, rest, ok := l.ownHost(p); ok {
		return rest == "/.well-known" || strings.HasPrefix(rest, "/.well-known/")
	}
	if len(p) < 2 || p[1] != '.' {
		return false
	}
	return p != "/"+aclSuffix && p != "/"+metaSuffix
}

// ownHost splits p into its first segment and the rest when that segment
// is a pod served on its own host: "/alice/x" gives "alice", "/x".
func (l *Locator) ownHost(p string) (name, rest string, ok bool) {
	if l.subdomain == nil || len(p) < 3 || p[0] != '/' {
		return "", "", false
	}
	i := strings.IndexByte(p[1:], '/')
	if i <= 0 {
		return "", "", false
	}
	name = p[1 : 1+i]
	if !l.subdomain(name) {
		return "", "", false
	}
	return name, p[1+i:], true
}

// podOfHost returns the pod whose own host is host, if there is one.
func (l *Locator) podOfHost(host string) (string, bool) {
	if l.subdomain == nil || len(host) <= len(l.host)+1 {
		return "", false
	}
	host = strings.ToLower(host)
	label, ok := strings.CutSuffix(host, "."+l.host)
	if !ok || label == "" || strings.IndexByte(label, '.') >= 0 || !l.subdomain(label) {
		return "", false
	}
	return label, true
}
