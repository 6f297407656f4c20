package ldp

import (
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"
)

// ErrBadPath: the request path cannot name a resource (dot segments, NUL,
// empty segments, invalid escapes or UTF-8). Mapped to 400.
var ErrBadPath = errors.New("ldp: bad path")

// Auxiliary resource suffixes (Solid Protocol §"Auxiliary Resources").
const (
	aclSuffix  = ".acl"
	metaSuffix = ".meta"
)

// CanonicalPath turns the escaped path of a request URL into the key the
// store uses. Each segment is percent-decoded exactly once and re-encoded in
// one canonical way, so "%41" and "A" name the same resource while "%2F"
// stays inside its segment and never becomes a separator (SECURITY rows 1-2).
// Dot segments (also when escaped), NUL, empty segments and invalid UTF-8
// are refused, so no spelling reaches another resource's key.
func CanonicalPath(escaped string) (string, error) {
	if escaped == "" || escaped[0] != '/' {
		return "", ErrBadPath
	}
	if escaped == "/" {
		return "/", nil
	}
	container := strings.HasSuffix(escaped, "/")
	body := strings.TrimSuffix(escaped[1:], "/")
	var b strings.Builder
	b.Grow(len(escaped) + 8)
	for seg := range strings.SplitSeq(body, "/") {
		dec, err := url.PathUnescape(seg)
		if err != nil || dec == "" || dec == "." || dec == ".." ||
			strings.IndexByte(dec, 0) >= 0 || !utf8.ValidString(dec) {
			return "", ErrBadPath
		}
		b.WriteByte('/')
		escapeSegment(&b, dec)
	}
	if container {
		b.WriteByte('/')
	}
	return b.String(), nil
}

// escapeSegment writes s with every byte escaped except RFC 3986 unreserved
// characters, sub-delims, ':' and '@' (the pchar set, §3.3), upper-case hex.
func escapeSegment(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isPchar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}

func isPchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0
}

// EscapeSegment returns the canonical escaped form of one decoded segment.
func EscapeSegment(s string) string {
	var b strings.Builder
	escapeSegment(&b, s)
	return b.String()
}

// IsContainerPath reports whether p names a container.
func IsContainerPath(p string) bool { return strings.HasSuffix(p, "/") }

// Parent returns the container holding p ("" for the root).
func Parent(p string) string {
	if p == "/" {
		return ""
	}
	i := strings.LastIndexByte(strings.TrimSuffix(p, "/"), '/')
	return p[:i+1]
}

// Name returns the last segment of p, with a trailing slash for containers.
func Name(p string) string {
	return p[len(Parent(p)):]
}

// Twin returns the path that differs from p only in the trailing slash
// (Solid Protocol server-uri-trailing-slash-distinct).
func Twin(p string) string {
	if IsContainerPath(p) {
		return strings.TrimSuffix(p, "/")
	}
	return p + "/"
}

// AuxKind tells which auxiliary resource a path is, if any.
type AuxKind int

const (
	// NotAux: an ordinary resource.
	NotAux AuxKind = iota
	// AuxACL: the Web Access Control resource of its subject.
	AuxACL
	// AuxMeta: the description resource of its subject (rel="describedby").
	AuxMeta
)

// Auxiliary splits an auxiliary resource path into its kind and subject:
// "/a.acl" -> (ACL, "/a"), "/c/.meta" -> (Meta, "/c/"). Containers are never
// auxiliary.
func Auxiliary(p string) (AuxKind, string) {
	if IsContainerPath(p) {
		return NotAux, ""
	}
	switch {
	case strings.HasSuffix(p, aclSuffix):
		return AuxACL, strings.TrimSuffix(p, aclSuffix)
	case strings.HasSuffix(p, metaSuffix):
		return AuxMeta, strings.TrimSuffix(p, metaSuffix)
	}
	return NotAux, ""
}

// AuxPaths returns the auxiliary resources of subject p, deleted with it
// (Solid Protocol server-delete-remove-auxiliary-resource).
func AuxPaths(p string) []string {
	return []string{p + aclSuffix, p + metaSuffix}
}

// hasAuxName reports whether a segment name (without trailing slash) would
// be read as an auxiliary resource.
func hasAuxName(name string) bool {
	return strings.HasSuffix(name, aclSuffix) || strings.HasSuffix(name, metaSuffix)
}
