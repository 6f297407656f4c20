package badgerstore

import (
	"errors"
	"fmt"
	"strings"
)

// errBadPath: the store was given a path that is not canonical. The handler
// canonicalises every path first, so this is a programming error.
var errBadPath = errors.New("badgerstore: invalid path")

// checkPath accepts canonical paths only: a leading "/", no empty, "." or
// ".." segments, no NUL. The store keys resources on these bytes, so a
// non-canonical spelling must never reach a key.
func checkPath(p string) error {
	if p == "/" {
		return nil
	}
	if p == "" || p[0] != '/' || strings.IndexByte(p, 0) >= 0 {
		return fmt.Errorf("%w: %q", errBadPath, p)
	}
	body := strings.TrimSuffix(p[1:], "/")
	for seg := range strings.SplitSeq(body, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q", errBadPath, p)
		}
	}
	return nil
}

// isContainer reports whether p names a container.
func isContainer(p string) bool { return strings.HasSuffix(p, "/") }

// parentOf is the container holding p ("" for the root).
func parentOf(p string) string {
	if p == "/" {
		return ""
	}
	i := strings.LastIndexByte(strings.TrimSuffix(p, "/"), '/')
	return p[:i+1]
}

// nameIn is p's last segment, with its trailing slash for a container.
func nameIn(p string) string { return p[len(parentOf(p)):] }

// twinOf is p with its trailing slash toggled: "/x" and "/x/" are twins and
// never both exist. The root has no twin.
func twinOf(p string) string {
	if isContainer(p) {
		return strings.TrimSuffix(p, "/")
	}
	return p + "/"
}
