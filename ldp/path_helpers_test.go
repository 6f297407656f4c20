package ldp

import (
	"iter"
	"strings"
)

// splitSegments yields the segments of a canonical path (no leading or
// trailing slash).
func splitSegments(p string) iter.Seq[string] {
	body := strings.TrimSuffix(strings.TrimPrefix(p, "/"), "/")
	if body == "" {
		return func(func(string) bool) {}
	}
	return strings.SplitSeq(body, "/")
}
