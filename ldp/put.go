package ldp

import (
	"net/http"
)

// put creates or replaces a resource (Solid Protocol §"Writing Resources"):
// intermediate containers are created by the store in the same transaction
// (server-put-patch-intermediate-containers); containment triples are never
// writable (server-protect-containment).
func (h *Handler) put(w http.ResponseWriter, r *http.Request, p string) {
	if err := checkTarget(p); err != nil {
		h.fail(w, r, err)
		return
	}
	kind, subject := Auxiliary(p)
	if kind != NotAux {
		if _, err := h.store.Stat(r.Context(), subject); err != nil {
			if isNotFound(err) {
				err = conflictf("the subject resource %s of %s does not exist", subject, p)
			}
			h.fail(w, r, err)
			return
		}
	}
	b, err := h.readBody(r, h.IRI(p), IsContainerPath(p) || kind != NotAux)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if b.rdf {
		gen, err := h.describedTriples(r.Context(), p)
		if err == nil {
			err = h.checkManaged(b.graph, p, gen, false)
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
	}
	pre, err := h.userPrecondition(r, p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rd, err := storeReader(b)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	m, created, err := h.store.Put(r.Context(), PutRequest{
		Path:         p,
		ContentType:  b.contentType,
		RDF:          b.rdf || IsContainerPath(p),
		Aux:          kind != NotAux,
		Body:         rd,
		Precondition: pre,
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.written(w, m, created, !b.rdf)
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
