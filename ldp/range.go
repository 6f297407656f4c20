package ldp

import (
	"io"
	"net/http"
)

// getBinary serves a non-RDF resource whose full body is open.
func (h *Handler) getBinary(w http.ResponseWriter, r *http.Request, m Meta, body io.ReadCloser) {
	h.serve(w, r, m, representationETag(m.ETag, ""), m.ContentType, m.Size, body)
}
