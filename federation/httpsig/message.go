package httpsig

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// message is the view of a request both signature forms sign: the method,
// the public scheme and authority, the request target as sent (path and
// query, still percent-encoded) and the header fields, with Host among
// them (net/http keeps it out of Header).
type message struct {
	method    string
	scheme    string
	authority string // lower case, default port removed
	target    string // "/path?query", as on the request line
	host      string // the Host header as sent
	header    http.Header
}

// outgoing is the message of a request this server is about to send.
func outgoing(r *http.Request) *message {
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return &message{
		method:    r.Method,
		scheme:    strings.ToLower(r.URL.Scheme),
		authority: normalAuthority(r.URL.Scheme, host),
		target:    r.URL.RequestURI(),
		host:      host,
		header:    r.Header,
	}
}

// requestTarget is the path and query of a received request exactly as the
// sender wrote them on the request line.
func requestTarget(r *http.Request) (string, bool) {
	rt := r.RequestURI
	switch {
	case rt == "":
		return r.URL.RequestURI(), true
	case strings.HasPrefix(rt, "/"):
		return rt, true
	default: // absolute form (through a proxy) or "*"
		u, err := url.ParseRequestURI(rt)
		if err != nil || u.Host == "" {
			return "", false
		}
		return u.RequestURI(), true
	}
}

// path and query split the request target.
func (m *message) path() string {
	p, _, _ := strings.Cut(m.target, "?")
	return p
}

func (m *message) query() string {
	_, q, _ := strings.Cut(m.target, "?")
	return q
}

// normalAuthority lower-cases host[:port] and drops the scheme's default
// port, as a URL parser serializes an origin.
func normalAuthority(scheme, hostport string) string {
	hostport = strings.ToLower(hostport)
	h, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	if (p == "443" && strings.EqualFold(scheme, "https")) || (p == "80" && strings.EqualFold(scheme, "http")) || p == "" {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	return hostport
}
