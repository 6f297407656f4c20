package badgerstore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/naamio/naamio/ldp"
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

// The path helpers are ldp's: one definition of parent, name and
// container-ness for the handler and the store.
var (
	isContainer = ldp.IsContainerPath
	parentOf    = ldp.Parent
	nameIn      = ldp.Name
)

// twinOf is p with its trailing slash toggled: "/x" and "/x/" are twins and
// never both exist. The root has no twin.
func twinOf(p string) string {
	if isContainer(p) {
		return strings.TrimSuffix(p, "/")
	}
	return p + "/"
}
