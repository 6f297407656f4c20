package web

import (
	"net/url"
	"strings"
)

// maxNextLen bounds a next parameter.
const maxNextLen = 1024

// safeNext returns next when it is a same-origin path under the base path
// (a pod page like "/alice/docs/", or a page of ours under "/.idp/" or
// "/.web/"), else "". Absolute URLs, scheme-relative ones
// ("//evil.example"), backslashes (which browsers read as slashes), dot
// segments (also percent-encoded), encoded slashes and backslashes,
// control characters, fragments and the server's other "/." endpoints
// (the provider, the account API) are refused, so that a log-in can never
// be turned into an open redirect or into a request to an endpoint.
func (h *Handler) safeNext(next string) string {
	base := strings.TrimSuffix(h.prefix, strings.TrimSuffix(PathPrefix, "/")) // "" or "/base"
	if next == "" || len(next) > maxNextLen || !strings.HasPrefix(next, base+"/") ||
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
	path, _, _ := strings.Cut(next, "?")
	lower := strings.ToLower(path)
	if strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") || strings.Contains(lower, "%00") {
		return ""
	}
	rest := strings.TrimPrefix(u.Path, base+"/")
	for i, seg := range strings.Split(rest, "/") {
		if seg == "." || seg == ".." {
			return ""
		}
		if i == 0 && strings.HasPrefix(seg, ".") && seg != ".idp" && seg != ".web" {
			return ""
		}
	}
	return next
}
