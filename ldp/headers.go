package ldp

import (
	"net/http"
	"strings"
)

// Vocabulary IRIs used in headers and generated triples.
const (
	nsLDP        = "http://www.w3.org/ns/ldp#"
	nsPIM        = "http://www.w3.org/ns/pim/space#"
	nsSolid      = "http://www.w3.org/ns/solid/terms#"
	nsDCTerms    = "http://purl.org/dc/terms/"
	nsPosix      = "http://www.w3.org/ns/posix/stat#"
	nsRDF        = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	nsXSD        = "http://www.w3.org/2001/XMLSchema#"
	nsMediaTypes = "http://www.w3.org/ns/iana/media-types/"

	// storageDescriptionPath is the storage description resource
	// (Solid Protocol server-storage-description-resource).
	storageDescriptionPath = "/.well-known/solid"
)

// Header values that never change; built once.
var (
	linkResource     = `<` + nsLDP + `Resource>; rel="type"`
	linkRDFSource    = `<` + nsLDP + `RDFSource>; rel="type"`
	linkNonRDFSource = `<` + nsLDP + `NonRDFSource>; rel="type"`
	linkContainer    = `<` + nsLDP + `Container>; rel="type", <` + nsLDP + `BasicContainer>; rel="type"`
	linkStorage      = `<` + nsPIM + `Storage>; rel="type"`

	acceptPutRDF = "text/turtle, application/ld+json, application/n-triples"
	acceptPutAny = acceptPutRDF + ", */*"
	acceptPost   = "*/*"
	acceptPatch  = "text/n3, application/sparql-update"
	varyValue    = "Accept, Authorization, Origin"
)

// isStorageRoot reports whether p is the root container of a storage: "/"
// always, and each container Config.StorageRoot names (a pod root). A
// storage root is typed pim:Storage in its Link header and its generated
// triples (Solid Protocol server-storage-link) and cannot be deleted.
func (h *Handler) isStorageRoot(p string) bool {
	return p == "/" || (h.storageRoot != nil && IsContainerPath(p) && h.storageRoot(p))
}

// undeletable reports whether DELETE is refused for p: a storage root and
// its ACL (Solid Protocol server-delete-protect-root-container). For a pod
// root this holds too: removing a pod is an account operation (idp/pod),
// never a DELETE over HTTP.
func (h *Handler) undeletable(p string) bool {
	if h.isStorageRoot(p) {
		return true
	}
	kind, subject := Auxiliary(p)
	return kind == AuxACL && h.isStorageRoot(subject)
}

// state is what a request found at its target, as far as Allow cares.
type state int

const (
	absent    state = iota // nothing there: it can be created
	rdfSource              // an RDF source or container: PATCH-able
	binary                 // a non-RDF resource
)

func stateOf(m Meta) state {
	if m.RDF || m.IsContainer() {
		return rdfSource
	}
	return binary
}

// allowed lists the methods p supports (Solid Protocol
// server-allow-methods); PATCH applies to RDF sources and creates missing
// ones (server-patch-n3-accept).
func (h *Handler) allowed(p string, st state) string {
	var b strings.Builder
	b.WriteString("OPTIONS")
	if st == absent {
		b.WriteString(", PUT, PATCH")
		return b.String()
	}
	b.WriteString(", HEAD, GET")
	if IsContainerPath(p) {
		b.WriteString(", POST")
	}
	b.WriteString(", PUT")
	if st == rdfSource {
		b.WriteString(", PATCH")
	}
	if !h.undeletable(p) {
		b.WriteString(", DELETE")
	}
	return b.String()
}

// setAllow writes Allow with the matching Accept-* headers (Solid Protocol
// server-accept-headers, server-patch-n3-advertise).
func (h *Handler) setAllow(w http.ResponseWriter, p string, st state) {
	hd := w.Header()
	hd.Set("Allow", h.allowed(p, st))
	kind, _ := Auxiliary(p)
	if IsContainerPath(p) || kind != NotAux {
		hd.Set("Accept-Put", acceptPutRDF)
	} else {
		hd.Set("Accept-Put", acceptPutAny)
	}
	if st != binary {
		hd.Set("Accept-Patch", acceptPatch)
	}
	if st != absent && IsContainerPath(p) {
		hd.Set("Accept-Post", acceptPost)
	}
}

// setLinks writes the Link header of an existing resource (Solid Protocol
// server-link-storage, server-link-auxiliary-type; LDP §4.2.1.4).
func (h *Handler) setLinks(w http.ResponseWriter, m Meta) {
	var b strings.Builder
	b.Grow(512)
	b.WriteString(linkResource)
	switch {
	case m.IsContainer():
		b.WriteString(", ")
		b.WriteString(linkContainer)
		if h.isStorageRoot(m.Path) {
			b.WriteString(", ")
			b.WriteString(linkStorage)
		}
	case m.RDF:
		b.WriteString(", ")
		b.WriteString(linkRDFSource)
	default:
		b.WriteString(", ")
		b.WriteString(linkNonRDFSource)
	}
	kind, subject := Auxiliary(m.Path)
	switch kind {
	case NotAux:
		iri := h.IRI(m.Path)
		b.WriteString(`, <` + iri + aclSuffix + `>; rel="acl", <` + iri + metaSuffix + `>; rel="describedby"`)
	case AuxMeta:
		// RFC 6892 "describes", the inverse of describedby (Solid Protocol client-link-describes).
		b.WriteString(`, <` + h.IRI(subject) + `>; rel="describes"`)
	}
	b.WriteString(`, <` + h.IRI(h.loc.descriptionPath(m.Path)) + `>; rel="` + nsSolid + `storageDescription"`)
	if h.links != nil {
		if l := h.links(h.IRI(m.Path)); l != "" {
			b.WriteString(", ")
			b.WriteString(l)
		}
	}
	w.Header().Set("Link", b.String())
}

// setCommon writes the headers every resource response carries.
func (h *Handler) setCommon(w http.ResponseWriter, m Meta, etag string) {
	hd := w.Header()
	h.setLinks(w, m)
	h.setAllow(w, m.Path, stateOf(m))
	hd.Set("ETag", etag)
	hd.Set("Last-Modified", m.Modified.UTC().Format(http.TimeFormat))
	hd.Set("Vary", varyValue)
}

// cspSandbox keeps user-written content from running with the server's
// origin (SECURITY row 58): a document served with it gets an opaque
// origin, no scripts, no forms, no pop-ups, no plug-ins. It is not a
// same-origin sandbox (no allow-same-origin), so even a browser that ran
// its scripts would give them no access to the identity provider's pages,
// cookies or storage on this origin.
const cspSandbox = "sandbox"

// setContentSecurity writes the headers that decide how a browser may treat
// what it receives (SECURITY row 58). Every answer carries nosniff, so a
// body is never run as something other than its Content-Type. On the base
// host, which the identity provider's pages and the account API share,
// every answer is also sandboxed: a stored HTML, SVG or XML page renders,
// but inert. A pod served on a host of its own (the subdomain layout) has
// an origin no other pod and no provider page shares, so its pages may run
// scripts as web apps do: they get no sandbox — unless
// Config.SandboxPodHosts says a data browser holding sessions runs there.
func (h *Handler) setContentSecurity(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	if h.sandboxAll || !h.loc.PodHost(r) {
		hd.Set("Content-Security-Policy", cspSandbox)
	}
}
