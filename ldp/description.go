package ldp

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"

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
	h.addLimits(g, root, rootPath)
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
// For a pod's own storage (rootPath /alice/), quota and usage are the
// pod's (issue 16 item 6).
func (h *Handler) addLimits(g *rdf.Graph, root rdf.Term, rootPath string) {
	g.Add(rdf.Triple{S: root, P: naamioMaxRDFBody, O: integerLiteral(h.maxRDF)})
	g.Add(rdf.Triple{S: root, P: naamioMaxRDFTriples, O: integerLiteral(int64(h.maxTriples))})
	if rootPath != "/" {
		h.addPodUsage(g, root, rootPath)
		return
	}
	ur, ok := h.store.(UsageReporter)
	if !ok {
		return
	}
	u := ur.Usage()
	integer := integerLiteral
	g.Add(rdf.Triple{S: root, P: naamioUsed, O: integer(u.Used)})
	if u.Quota > 0 {
		g.Add(rdf.Triple{S: root, P: naamioQuota, O: integer(u.Quota)})
	}
}

func integerLiteral(n int64) rdf.Term { return rdf.NewLiteral(strconv.FormatInt(n, 10), xsdInteger) }

// addPodUsage states the usage and quota of the pod whose root container
// is rootPath (/alice/), when the store accounts for pods: the storage
// description of a pod on its own host. (Path-based pods share the
// server's description, which states the server's usage; their root
// container does not state it either, since its ETag follows its content
// and children, not the pod's usage.)
func (h *Handler) addPodUsage(g *rdf.Graph, root rdf.Term, rootPath string) {
	pr, ok := h.store.(PodUsageReporter)
	if !ok || len(rootPath) < 3 || strings.Count(rootPath, "/") != 2 || !strings.HasSuffix(rootPath, "/") {
		return
	}
	u := pr.PodUsage(rootPath[1 : len(rootPath)-1])
	g.Add(rdf.Triple{S: root, P: naamioUsed, O: integerLiteral(u.Used)})
	if u.Quota > 0 {
		g.Add(rdf.Triple{S: root, P: naamioQuota, O: integerLiteral(u.Quota)})
	}
}
