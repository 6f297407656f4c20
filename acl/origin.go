package acl

import (
	"net"
	"net/url"
	"strings"
)

// normalizeOrigin returns the ASCII serialization of an origin
// (RFC 6454 §6.2: scheme "://" host [ ":" port ], lower-case, default port
// omitted) and whether s is a usable origin at all. "null", opaque or relative
// references, user info, queries and fragments are not origins. allowSlash
// accepts a lone "/" path, which ACL authors often write after an origin IRI
// (<https://app.example/>); an Origin request header never has a path.
func normalizeOrigin(s string, allowSlash bool) (string, bool) {
	if s == "" || s == "null" || strings.ContainsAny(s, " \t\r\n") {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Opaque != "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") {
		return "", false
	}
	if u.Path != "" && !(allowSlash && u.Path == "/") {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	for _, c := range port {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		return scheme + "://" + net.JoinHostPort(host, port), true
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host, true
}
