package ldp

import (
	"fmt"
	"net/http"

	"github.com/naamio/naamio/acl"
)

// delete removes a resource with its auxiliary resources (Solid Protocol
// server-delete-remove-auxiliary-resource); containment is updated by the
// store (server-delete-remove-containment). The storage root and its ACL
// are never deleted (server-delete-protect-root-container), and a non-empty
// container is refused by the store (server-delete-protect-nonempty-container).
func (h *Handler) delete(w http.ResponseWriter, r *http.Request, p string) error {
	// Solid Protocol server-delete-operation: Write on the resource and on
	// its container (Control on the subject for an ACL; acl/doc.go). A
	// storage root is nobody's member: Write on it is asked before the 405,
	// so only those who may write it learn that it cannot be deleted.
	needs := []need{{p, acl.Write}}
	if kind, _ := Auxiliary(p); kind == NotAux && !h.isStorageRoot(p) {
		needs = append(needs, need{Parent(p), acl.Write})
	}
	if _, _, err := h.allow(r, needs...); err != nil {
		return err
	}
	if h.undeletable(p) {
		h.setAllow(w, p, rdfSource)
		return fmt.Errorf("%w: %s cannot be deleted", errMethodNotAllowed, p)
	}
	pre, err := h.userPrecondition(r, p)
	if err != nil {
		return err
	}
	req := DeleteRequest{Path: p, Precondition: pre, Origin: originOf(r)}
	if kind, _ := Auxiliary(p); kind == NotAux {
		req.Aux = AuxPaths(p)
	}
	if err := h.store.Delete(r.Context(), req); err != nil {
		// Missing (404), non-empty (409), precondition (412): only for
		// those who may Read it (issue 10 item 5).
		return h.concealed(r, p, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
