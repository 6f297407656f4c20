package ldp

import (
	"net/http"

	"github.com/naamio/naamio/acl"
)

// put creates or replaces a resource (Solid Protocol §"Writing Resources"):
// intermediate containers are created by the store in the same transaction
// (server-put-patch-intermediate-containers); containment triples are never
// writable (server-protect-containment).
func (h *Handler) put(w http.ResponseWriter, r *http.Request, p string) error {
	if err := checkTarget(p); err != nil {
		return err
	}
	// Write on the target (Control on the subject for an ACL), and Append
	// where it becomes a member when it is new (acl/doc.go).
	needs, existed, err := h.writeNeeds(r.Context(), p, acl.Write)
	if err == nil {
		_, _, err = h.allow(r, needs...)
	}
	if err != nil {
		return err
	}
	kind, subject := Auxiliary(p)
	if kind != NotAux {
		if _, err := h.store.Stat(r.Context(), subject); err != nil {
			if isNotFound(err) {
				err = conflictf("the subject resource %s of %s does not exist", subject, p)
			}
			return h.concealed(r, p, err)
		}
	}
	b, err := h.readBody(r, h.IRI(p), IsContainerPath(p) || kind != NotAux)
	if err != nil {
		return err
	}
	if b.rdf {
		gen, err := h.describedTriples(r.Context(), p)
		if err == nil {
			err = h.checkManaged(b.graph, p, gen, false)
		}
		if err == nil && kind == AuxACL {
			err = h.checkACL(r, b.graph, p)
		}
		if err != nil {
			return err
		}
	}
	pre, err := h.userPrecondition(r, p)
	if err != nil {
		return err
	}
	cond := sameExistence(existed, pre)
	var committed func(string)
	if h.guards(p) {
		// The guard decides on the current state, and the write commits
		// only in that state.
		var cur *Meta
		if existed {
			m, err := h.store.Stat(r.Context(), p)
			if err != nil {
				return h.concealed(r, p, err)
			}
			cur = &m
		}
		if committed, err = h.guardChecked(r, p, b, cur); err != nil {
			return err
		}
		cond = unchangedSince(cur, pre)
	}
	rd, err := storeReader(b)
	if err != nil {
		return err
	}
	m, created, err := h.store.Put(r.Context(), PutRequest{
		Path:         p,
		ContentType:  b.contentType,
		RDF:          b.rdf || IsContainerPath(p),
		Aux:          kind != NotAux,
		Body:         rd,
		SizeHint:     sizeHint(r, b),
		Precondition: cond,
		Origin:       originOf(r),
	})
	if err != nil {
		// A slash twin (409) or a precondition (412) tells of the state:
		// only for those who may Read it (issue 10 item 5).
		return h.concealed(r, p, err)
	}
	if committed != nil {
		committed(m.ETag)
	}
	h.written(w, m, created, !b.rdf)
	return nil
}

// sizeHint is the declared length of a body stored as sent (not RDF, which
// is stored as parsed and written again), so a store without room for it
// refuses before reading it (SECURITY row 53).
func sizeHint(r *http.Request, b *body) int64 {
	if b.rdf {
		return 0
	}
	return max(r.ContentLength, 0)
}

// sameExistence guards a write whose authorization depended on whether
// its target existed: if a concurrent write created or deleted it since,
// the decision no longer applies and the write is refused (409), before
// pre runs.
func sameExistence(existed bool, pre Precondition) Precondition {
	return func(cur *Meta) error {
		if (cur != nil) != existed {
			return conflictf("the resource was created or deleted concurrently; try again")
		}
		if pre != nil {
			return pre(cur)
		}
		return nil
	}
}

// written answers a successful write: 201 with Location for a new resource,
// 204 for a replaced one. RFC 9110 §9.3.4: a validator goes out only when
// the stored representation is exactly what was sent, which holds for
// non-RDF bodies (RDF is stored canonicalised).
func (h *Handler) written(w http.ResponseWriter, m Meta, created, verbatim bool) {
	hd := w.Header()
	if verbatim {
		hd.Set("ETag", representationETag(m.ETag, ""))
		hd.Set("Last-Modified", lastModified(m).Format(http.TimeFormat))
	}
	if created {
		hd.Set("Location", h.IRI(m.Path))
		h.setLinks(w, m)
		w.WriteHeader(http.StatusCreated)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
