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
// (server-protect-contained-resource-metadata). Containment is the
// server's alone, so ldp:contains is refused whatever its subject: the
// container in any spelling (no slash, other case, percent-encoded, dot
// segments), another resource, or a blank node (issue 10 item 4). Subjects
// are compared after normalisation (normalPathOf). The container's own
// server types and metadata are dropped silently: they are regenerated on
// every read, so a client may PUT back what it read minus the containment.
func (h *Handler) checkServerManaged(g *rdf.Graph, p string) error {
	if len(g.Match(rdf.Term{}, ldpContains, rdf.Term{})) > 0 {
		return errClientContainment
	}
	for _, pred := range childManagedPreds {
		for _, t := range g.Match(rdf.Term{}, pred, rdf.Term{}) {
			if t.S.Kind == rdf.IRI && h.isChildIRI(p, t.S.Value) {
				return conflictf("metadata of contained resources (%s) is managed by the server", pred.Value)
			}
		}
	}
	for _, t := range g.Triples() {
		if !h.namesPath(t.S, p) {
			continue
		}
		if (t.P == rdfType && isServerTypeOf(t.O)) || isChildMetaPred(t.P) {
			g.Remove(t)
		}
	}
	return nil
}

// errClientContainment refuses containment triples in client data (409).
var errClientContainment = conflictf("containment triples (ldp:contains) are managed by the server")

func isServerTypeOf(o rdf.Term) bool {
	for _, typ := range serverTypes {
		if o == typ {
			return true
		}
	}
	return false
}

func isChildMetaPred(p rdf.Term) bool {
	for _, m := range childMetaPreds {
		if p == m {
			return true
		}
	}
	return false
}

// namesPath reports whether term s is an IRI naming store path p in any
// spelling.
func (h *Handler) namesPath(s rdf.Term, p string) bool {
	if s.Kind != rdf.IRI {
		return false
	}
	q, ok := h.loc.normalPathOf(s.Value)
	return ok && q == p
}

// isChildIRI reports whether iri names a direct child of container p, in
// any spelling (normalPathOf).
func (h *Handler) isChildIRI(p, iri string) bool {
	q, ok := h.loc.normalPathOf(iri)
	return ok && q != p && Parent(q) == p
}
