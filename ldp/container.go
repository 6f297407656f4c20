package ldp

import (
	"mime"
	"strconv"
	"time"

	"github.com/naamio/naamio/rdf"
)

var (
	rdfType        = rdf.NewIRI(nsRDF + "type")
	ldpContains    = rdf.NewIRI(nsLDP + "contains")
	ldpResource    = rdf.NewIRI(nsLDP + "Resource")
	ldpContainer   = rdf.NewIRI(nsLDP + "Container")
	ldpBasic       = rdf.NewIRI(nsLDP + "BasicContainer")
	pimStorage     = rdf.NewIRI(nsPIM + "Storage")
	dcModified     = rdf.NewIRI(nsDCTerms + "modified")
	posixSize      = rdf.NewIRI(nsPosix + "size")
	posixMtime     = rdf.NewIRI(nsPosix + "mtime")
	xsdDateTime    = nsXSD + "dateTime"
	xsdInteger     = nsXSD + "integer"
	serverTypes    = []rdf.Term{ldpResource, ldpContainer, ldpBasic, pimStorage}
	childMetaPreds = []rdf.Term{dcModified, posixSize, posixMtime}
	// What a container states about its children is all generated: types
	// included (a body must not make a document pass for a container).
	childManagedPreds = append([]rdf.Term{rdfType}, childMetaPreds...)
)

// addContainerTriples adds what the server generates for a container: its
// types, one ldp:contains per child (LDP §5.2.1), and each child's
// metadata (Solid Protocol server-contained-resource-metadata): its types,
// dcterms:modified, posix:mtime and posix:size.
func (h *Handler) addContainerTriples(g *rdf.Graph, m Meta, children []Meta) {
	self := rdf.NewIRI(h.IRI(m.Path))
	g.Add(rdf.Triple{S: self, P: rdfType, O: ldpResource})
	g.Add(rdf.Triple{S: self, P: rdfType, O: ldpContainer})
	g.Add(rdf.Triple{S: self, P: rdfType, O: ldpBasic})
	if h.isStorageRoot(m.Path) {
		g.Add(rdf.Triple{S: self, P: rdfType, O: pimStorage})
	}
	addResourceMeta(g, self, m)
	for _, c := range children {
		child := rdf.NewIRI(h.IRI(c.Path))
		g.Add(rdf.Triple{S: self, P: ldpContains, O: child})
		h.describe(g, child, c)
	}
}

func addResourceMeta(g *rdf.Graph, s rdf.Term, m Meta) {
	mod := m.Modified.UTC()
	g.Add(rdf.Triple{S: s, P: dcModified, O: rdf.NewLiteral(mod.Format(time.RFC3339), xsdDateTime)})
	g.Add(rdf.Triple{S: s, P: posixMtime, O: rdf.NewLiteral(strconv.FormatInt(mod.Unix(), 10), xsdInteger)})
	if !m.IsContainer() {
		g.Add(rdf.Triple{S: s, P: posixSize, O: rdf.NewLiteral(strconv.FormatInt(m.Size, 10), xsdInteger)})
	}
}

// mediaTypeClass names a child's media type as a class in the IANA media
// types namespace, the way Solid servers commonly type listed files.
func mediaTypeClass(m Meta) string {
	mt, _, err := mime.ParseMediaType(m.ContentType)
	if err != nil {
		return ""
	}
	return nsMediaTypes + mt + "#Resource"
}

// checkServerManaged refuses a container body that tries to set what the
// server generates: containment triples (Solid Protocol
// server-protect-containment) or resource metadata of its children
// (server-protect-contained-resource-metadata). The container's own
// server types and metadata are dropped silently: they are regenerated on
// every read, so a client may PUT back what it read minus the containment.
func (h *Handler) checkServerManaged(g *rdf.Graph, p string) error {
	self := rdf.NewIRI(h.IRI(p))
	if len(g.Match(self, ldpContains, rdf.Term{})) > 0 {
		return conflictf("containment triples (ldp:contains) are managed by the server")
	}
	for _, pred := range childManagedPreds {
		for _, t := range g.Match(rdf.Term{}, pred, rdf.Term{}) {
			if t.S.Kind == rdf.IRI && h.isChildIRI(p, t.S.Value) {
				return conflictf("metadata of contained resources (%s) is managed by the server", pred.Value)
			}
		}
	}
	for _, typ := range serverTypes {
		g.Remove(rdf.Triple{S: self, P: rdfType, O: typ})
	}
	for _, pred := range childMetaPreds {
		for _, t := range g.Match(self, pred, rdf.Term{}) {
			g.Remove(t)
		}
	}
	return nil
}

// isChildIRI reports whether iri names a direct child of container p.
func (h *Handler) isChildIRI(p, iri string) bool {
	base := h.IRI(p)
	if len(iri) <= len(base) || iri[:len(base)] != base {
		return false
	}
	rest := iri[len(base):]
	for i := 0; i < len(rest)-1; i++ {
		if rest[i] == '/' || rest[i] == '#' || rest[i] == '?' {
			return false
		}
	}
	return true
}
