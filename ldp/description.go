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
// storage whose root container is rootPath, linked from every resource in
// it with rel=solid:storageDescription.
func (h *Handler) serveDescription(w http.ResponseWriter, r *http.Request, rootPath string) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		w.Header().Set("Allow", "OPTIONS, HEAD, GET")
		w.WriteHeader(http.StatusNoContent)
		return nil
	default:
		w.Header().Set("Allow", "OPTIONS, HEAD, GET")
		return fmt.Errorf("%w: the storage description is read-only", errMethodNotAllowed)
	}
	mt, ok := negotiateRDF(r.Header.Get("Accept"))
	if !ok {
		return fmt.Errorf("%w: available as %s", errNotAcceptable, acceptPutRDF)
	}
	g := rdf.NewGraph()
	root := rdf.NewIRI(h.IRI(rootPath))
	g.Add(rdf.Triple{S: root, P: rdfType, O: pimStorage})
	h.addLimits(g, root)
	h.addSubscriptions(g, root)
	var buf bytes.Buffer
	if err := rdf.Write(&buf, g, mt); err != nil {
		return err
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
	return nil
}

// Naamio's own terms for what no Solid vocabulary names yet.
const nsNaamio = "https://naamio.org/ns#"

var (
	naamioMaxRDFBody    = rdf.NewIRI(nsNaamio + "maxRdfBodyBytes")
	naamioMaxRDFTriples = rdf.NewIRI(nsNaamio + "maxRdfTriples")
	naamioQuota         = rdf.NewIRI(nsNaamio + "quotaBytes")
	naamioUsed          = rdf.NewIRI(nsNaamio + "usedBytes")
)

// addLimits states the storage's limits: the largest RDF body accepted,
// the most triples one RDF document may have (SECURITY row 15), and, when the store accounts for it, its quota and usage.
func (h *Handler) addLimits(g *rdf.Graph, root rdf.Term) {
	integer := func(n int64) rdf.Term { return rdf.NewLiteral(strconv.FormatInt(n, 10), xsdInteger) }
	g.Add(rdf.Triple{S: root, P: naamioMaxRDFBody, O: integer(h.maxRDF)})
	g.Add(rdf.Triple{S: root, P: naamioMaxRDFTriples, O: integer(int64(h.maxTriples))})
	ur, ok := h.store.(UsageReporter)
	if !ok {
		return
	}
	u := ur.Usage()
	g.Add(rdf.Triple{S: root, P: naamioUsed, O: integer(u.Used)})
	if u.Quota > 0 {
		g.Add(rdf.Triple{S: root, P: naamioQuota, O: integer(u.Quota)})
	}
}
