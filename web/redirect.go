package web

import (
	"net/url"
	"strings"
)

// maxNextLen bounds a next parameter.
const maxNextLen = 512

// safeNext returns next when it is a path of our pages ("/.idp/…", under
// the base path), else "". Absolute URLs, scheme-relative ones
// ("//evil.example"), backslashes (which browsers read as slashes), dot
// segments, control characters and anything with a host are refused, so
// that a log-in can never be turned into an open redirect.
func (h *Handler) safeNext(next string) string {
	if next == "" || len(next) > maxNextLen || !strings.HasPrefix(next, h.prefix+"/") ||
		strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\#") {
		return ""
	}
	for i := 0; i < len(next); i++ {
		if next[i] < 0x21 || next[i] == 0x7f {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return ""
		}
	}
	if path, _, _ := strings.Cut(next, "?"); strings.Contains(path, "%") {
		// Escapes could hide slashes, dots or backslashes; our paths have none.
		return ""
	}
	return next
}
