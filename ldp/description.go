package ldp

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"

	"github.com/naamio/naamio/rdf"
)

// serveDescription answers the storage description resource (Solid
// Protocol server-storage-description-resource): statements about the
// storage, linked from every resource with rel=solid:storageDescription.
func (h *Handler) serveDescription(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		w.Header().Set("Allow", "OPTIONS, HEAD, GET")
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		w.Header().Set("Allow", "OPTIONS, HEAD, GET")
		h.fail(w, r, fmt.Errorf("%w: the storage description is read-only", errMethodNotAllowed))
		return
	}
	mt, ok := negotiateRDF(r.Header.Get("Accept"))
	if !ok {
		h.fail(w, r, fmt.Errorf("%w: available as %s", errNotAcceptable, acceptPutRDF))
		return
	}
	g := rdf.NewGraph()
	root := rdf.NewIRI(h.IRI("/"))
	g.Add(rdf.Triple{S: root, P: rdfType, O: pimStorage})
	var buf bytes.Buffer
	if err := rdf.Write(&buf, g, mt); err != nil {
		h.fail(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Allow", "OPTIONS, HEAD, GET")
	hd.Set("Content-Type", mt)
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	hd.Set("Vary", varyValue)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}
