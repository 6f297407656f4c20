package ldp

import (
	"net/url"
	"strings"
)

// normalPathOf returns the store path of an IRI this server serves after
// RFC 3986 §6.2.2 normalisation — scheme and host case, a default port,
// percent-encoding (each segment decoded once and re-encoded canonically,
// so "%69nbox" is "inbox"), and dot segments ("./", "../", also escaped) —
// and false for any other IRI. Unlike Locator.PathOf it resolves dot
// segments, because here it compares what a client wrote with what the
// server manages, and any spelling that names a resource counts (issue 10
// item 4). The trailing slash is kept: "/inbox" and "/inbox/" differ
// (Solid Protocol server-uri-trailing-slash-distinct).
func (l *Locator) normalPathOf(iri string) (string, bool) {
	u, err := url.Parse(iri)
	if err != nil || u.Opaque != "" || u.Scheme == "" || u.Host == "" || u.User != nil {
		return "", false
	}
	u.Host = strings.ToLower(u.Host)
	switch {
	case u.Scheme == "http" && strings.HasSuffix(u.Host, ":80"):
		u.Host = strings.TrimSuffix(u.Host, ":80")
	case u.Scheme == "https" && strings.HasSuffix(u.Host, ":443"):
		u.Host = strings.TrimSuffix(u.Host, ":443")
	}
	esc, ok := removeDotSegments(u.EscapedPath())
	if !ok {
		return "", false
	}
	u.RawPath, u.Path = "", ""
	if u, err = url.Parse(u.Scheme + "://" + u.Host + esc); err != nil || !l.Serves(u) {
		return "", false
	}
	p, err := l.locate(u.Host, esc)
	return p, err == nil
}

// removeDotSegments resolves "." and ".." segments (also percent-encoded)
// of an escaped absolute path (RFC 3986 §5.2.4); a path ending in a dot
// segment names a container. It fails for a path that climbs above the
// root or does not start with "/".
func removeDotSegments(esc string) (string, bool) {
	if esc == "" || esc[0] != '/' {
		return "", false
	}
	segs := strings.Split(esc[1:], "/")
	out := make([]string, 0, len(segs))
	trailing := false
	for i, s := range segs {
		dec, err := url.PathUnescape(s)
		if err != nil {
			return "", false
		}
		last := i == len(segs)-1
		switch dec {
		case ".":
			trailing = last
		case "..":
			if len(out) == 0 {
				return "", false
			}
			out = out[:len(out)-1]
			trailing = last
		default:
			out = append(out, s)
			trailing = false
		}
	}
	p := "/" + strings.Join(out, "/")
	if trailing && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p, true
}
