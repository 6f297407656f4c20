package ldp

import (
	"net/http"
	"strings"
	"time"
)

// conditions are the request's preconditions (RFC 9110 §13.1).
type conditions struct {
	ifMatch, ifNoneMatch       string
	ifModified, ifUnmodified   time.Time
	hasModified, hasUnmodified bool
}

func conditionsOf(r *http.Request) conditions {
	c := conditions{
		ifMatch:     r.Header.Get("If-Match"),
		ifNoneMatch: r.Header.Get("If-None-Match"),
	}
	// RFC 9110 §13.1.3-4: a date that does not parse is ignored.
	if v := r.Header.Get("If-Unmodified-Since"); v != "" {
		c.ifUnmodified, c.hasUnmodified = parseHTTPDate(v)
	}
	if v := r.Header.Get("If-Modified-Since"); v != "" {
		c.ifModified, c.hasModified = parseHTTPDate(v)
	}
	return c
}

func parseHTTPDate(v string) (time.Time, bool) {
	t, err := http.ParseTime(v)
	return t, err == nil
}

func (c conditions) empty() bool {
	return c.ifMatch == "" && c.ifNoneMatch == "" && !c.hasModified && !c.hasUnmodified
}

// evaluate applies RFC 9110 §13.2.2 in order against the current state
// (nil when the resource does not exist). For GET and HEAD, read is true
// and variant is the selected representation's etag suffix: a matching
// If-None-Match or a satisfied If-Modified-Since means 304, and tags are
// compared with that exact representation. For other methods a matching
// If-None-Match means 412 and any representation of the current state
// matches.
func (c conditions) evaluate(cur *Meta, read bool, variant string) error {
	match := func(list string, strong bool) bool {
		if read {
			return matchList(list, strong, func(o string) bool { return o == cur.ETag+variant })
		}
		return matchList(list, strong, func(o string) bool { return sameState(o, cur.ETag) })
	}
	// Step 1-2: If-Match, else If-Unmodified-Since.
	if c.ifMatch != "" {
		if cur == nil || !match(c.ifMatch, true) {
			return ErrPreconditionFailed
		}
	} else if c.hasUnmodified && cur != nil && lastModified(*cur).After(c.ifUnmodified) {
		return ErrPreconditionFailed
	}
	// Step 3: If-None-Match, else (GET/HEAD) If-Modified-Since.
	if c.ifNoneMatch != "" {
		if cur != nil && match(c.ifNoneMatch, false) {
			if read {
				return ErrNotModified
			}
			return ErrPreconditionFailed
		}
	} else if read && c.hasModified && cur != nil && !lastModified(*cur).After(c.ifModified) {
		return ErrNotModified
	}
	return nil
}

// lastModified is the resource time at HTTP-date precision (seconds).
func lastModified(m Meta) time.Time { return m.Modified.UTC().Truncate(time.Second) }

// matchList reports whether a list of entity tags (or "*") has one whose
// opaque part satisfies same. Strong comparison for If-Match, weak for
// If-None-Match (RFC 9110 §8.8.3.2).
func matchList(list string, strong bool, same func(opaque string) bool) bool {
	if strings.TrimSpace(list) == "*" {
		return true
	}
	for tag := range strings.SplitSeq(list, ",") {
		tag = strings.TrimSpace(tag)
		if strings.HasPrefix(tag, "W/") {
			if strong {
				continue
			}
			tag = tag[2:]
		}
		if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' {
			continue
		}
		if same(tag[1 : len(tag)-1]) {
			return true
		}
	}
	return false
}

// sameState reports whether an opaque tag names the stored state in any of
// its representations (all suffixes of one RDF source are one state).
func sameState(opaque, stored string) bool {
	if opaque == stored {
		return true
	}
	rest, ok := strings.CutPrefix(opaque, stored)
	if !ok {
		return false
	}
	for _, s := range etagSuffix {
		if s != "" && rest == s {
			return true
		}
	}
	return false
}
