package pod

import (
	"fmt"
	"net/url"
	"strings"
)

// Layout places pods: the store path of a pod's root container and its
// public IRI. Every other resource of the pod is at the same relative
// path under both. Implementations answer from the name alone (no I/O).
type Layout interface {
	// Root returns the store path and IRI of the root container of pod
	// name, for a server whose public base URL is base (ending in "/").
	Root(base, name string) (path, iri string)
	// PodOf returns the name of the pod whose root container is at store
	// path p, when p has that shape; whether such a pod exists is for
	// the caller's account records to say.
	PodOf(p string) (name string, ok bool)
}

// PathLayout puts pod "alice" at the container /alice/ (IRI <base>alice/).
type PathLayout struct{}

var _ Layout = PathLayout{}

// Root implements Layout.
func (PathLayout) Root(base, name string) (path, iri string) {
	return "/" + name + "/", base + name + "/"
}

// PodOf implements Layout: "/alice/" is pod "alice"; the server's
// ldp.Config.StorageRoot can be PodOf combined with its pod records.
func (PathLayout) PodOf(p string) (string, bool) {
	if len(p) < 3 || p[0] != '/' || p[len(p)-1] != '/' {
		return "", false
	}
	name := p[1 : len(p)-1]
	if checkSyntax(name) != nil {
		return "", false
	}
	return name, true
}

// SubdomainLayout gives pod "alice" an origin of its own: its root
// container is still /alice/ in the store, but its IRI is
// <scheme>://alice.<base host>/ (the base URL's path is not used). The
// server must answer for that host (wildcard DNS and certificate) and its
// ldp.Locator must know the pod is served there.
type SubdomainLayout struct{}

var _ Layout = SubdomainLayout{}

// Root implements Layout.
func (SubdomainLayout) Root(base, name string) (path, iri string) {
	u, err := url.Parse(base)
	if err != nil {
		return "/" + name + "/", ""
	}
	return "/" + name + "/", u.Scheme + "://" + name + "." + strings.ToLower(u.Host) + "/"
}

// PodOf implements Layout: the store paths are those of PathLayout.
func (SubdomainLayout) PodOf(p string) (string, bool) { return PathLayout{}.PodOf(p) }

// LayoutFor is SubdomainLayout when subdomain, else PathLayout.
func LayoutFor(subdomain bool) Layout {
	if subdomain {
		return SubdomainLayout{}
	}
	return PathLayout{}
}

// normalizeBase checks the server's public base URL and returns it with
// exactly one trailing slash.
func normalizeBase(base string) (string, error) {
	if err := checkHTTPURL(base, false); err != nil {
		return "", fmt.Errorf("pod: base URL: %w", err)
	}
	return strings.TrimSuffix(base, "/") + "/", nil
}

// checkHTTPURL accepts an absolute http(s) URL without a query, and
// without a fragment unless withFragment (a WebID has one).
func checkHTTPURL(s string, withFragment bool) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || (u.Fragment != "" && !withFragment) {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return nil
}
