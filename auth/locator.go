package auth

import (
	"net/http"
	"net/url"
	"strings"
)

// Locator knows the public URLs of the server (ldp.Locator implements it).
type Locator interface {
	// RequestURL is the public URL of r without query: what the htu of
	// r's DPoP proof must name. It must never be built from an unchecked
	// Host header.
	RequestURL(r *http.Request) string
	// Serves reports whether u is answered by this server.
	Serves(u *url.URL) bool
}

// baseLocator is the Locator of a server with one origin.
type baseLocator struct {
	origin   string // scheme://host[:port] of BaseURL
	basePath string // BaseURL's path without trailing slash
}

func (l baseLocator) RequestURL(r *http.Request) string {
	p := r.URL.EscapedPath()
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return l.origin + p
}

func (l baseLocator) Serves(u *url.URL) bool {
	if u.User != nil || u.Scheme+"://"+u.Host != l.origin {
		return false
	}
	return l.basePath == "" || u.EscapedPath() == l.basePath || strings.HasPrefix(u.EscapedPath(), l.basePath+"/")
}

// requestURL is the URL the proof's htu must match (AuthOptions.Locator).
func (a *Authenticator) requestURL(r *http.Request) string { return a.loc.RequestURL(r) }
