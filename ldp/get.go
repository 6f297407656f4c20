package ldp

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/rdf"
)

// get serves GET and HEAD (Solid Protocol server-safe-methods).
func (h *Handler) get(w http.ResponseWriter, r *http.Request, p string) error {
	ctx := r.Context()
	// Solid Protocol server-read-operation: Read (on the subject for a
	// description resource; Control on the subject for an ACL). Checked
	// before the store is asked, so a missing and an existing resource
	// answer alike (SECURITY row 21).
	user, public, err := h.allow(r, need{p, acl.Read})
	if err != nil {
		return err
	}
	setWACAllow(w, user, public)
	m, body, err := h.store.Open(ctx, p)
	if err != nil {
		if isNotFound(err) {
			h.setAllow(w, p, absent)
		}
		return err
	}
	defer body.Close()
	if m, err = h.servedMeta(r, m); err != nil {
		return err
	}
	if !m.RDF {
		m.ContentType = servedType(m.ContentType) // never an AS2 type (activitystreams.go)
	}
	accept := r.Header.Get("Accept")
	switch {
	case m.IsContainer() || m.RDF:
		mt, ok := negotiateRDF(accept)
		if !ok {
			return h.notAcceptable(w, m)
		}
		return h.getRDF(w, r, m, body, mt)
	default:
		if !acceptsType(accept, m.ContentType) {
			return h.notAcceptable(w, m)
		}
		return h.getBinary(w, r, m, body)
	}
}

// getRDF serves an RDF source or container in the negotiated media type.
// A document asked for as Turtle is streamed as stored; anything else is
// rendered by the one writer in rdf/.
func (h *Handler) getRDF(w http.ResponseWriter, r *http.Request, m Meta, body io.Reader, mt string) error {
	etag := representationETag(m.ETag, mt)
	if kind, _ := Auxiliary(m.Path); !m.IsContainer() && kind != AuxMeta && mt == rdf.MediaTurtle {
		return h.serve(w, r, m, etag, mt, m.Size, body)
	}
	if err := conditionsOf(r).evaluate(&m, true, etagSuffix[mt]); err != nil {
		h.setCommon(w, m, etag)
		return err
	}
	b, err := h.render(r, m, body, mt)
	if err != nil {
		return err
	}
	return h.serve(w, r, m, etag, mt, int64(len(b)), bytes.NewReader(b))
}

// readGraph parses a stored RDF body and, for a container, adds the
// generated containment and child metadata triples.
func (h *Handler) readGraph(r *http.Request, m Meta, body io.Reader) (*rdf.Graph, error) {
	g, err := rdf.Parse(body, rdf.MediaTurtle, h.IRI(m.Path), rdf.Limits{})
	if err != nil {
		return nil, fmt.Errorf("stored graph of %s: %v", m.Path, err) // not %w: our own data, so a 500
	}
	if !m.IsContainer() {
		gen, err := h.describedTriples(r.Context(), m.Path)
		addAll(g, gen)
		return g, err
	}
	children, err := h.store.Children(r.Context(), m.Path)
	if err != nil {
		return nil, err
	}
	h.addContainerTriples(g, m, children)
	return g, nil
}

// servedMeta is the state of m as served: for a description resource it
// covers its subject too (describedMeta).
func (h *Handler) servedMeta(r *http.Request, m Meta) (Meta, error) {
	subj, err := h.subjectMeta(r.Context(), m.Path)
	if err != nil {
		return m, err
	}
	return describedMeta(m, subj), nil
}

// serve writes a representation after evaluating the read preconditions.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, m Meta, etag, mt string, size int64, body io.Reader) error {
	h.setCommon(w, m, etag)
	variant := etagSuffix[mt]
	if !m.RDF && !m.IsContainer() {
		variant = ""
	}
	if err := conditionsOf(r).evaluate(&m, true, variant); err != nil {
		return err
	}
	if r.Method != http.MethodHead {
		var err error
		if body, err = readHead(m.Path, body, size); err != nil {
			return damaged(w, err)
		}
	}
	hd := w.Header()
	hd.Set("Content-Type", mt)
	hd.Set("Content-Length", strconv.FormatInt(size, 10))
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	h.copyBody(w, r, m.Path, body)
	return nil
}

// notAcceptable sets the headers of a 406 for m and returns its error.
func (h *Handler) notAcceptable(w http.ResponseWriter, m Meta) error {
	h.setAllow(w, m.Path, stateOf(m))
	w.Header().Set("Vary", varyValue)
	return fmt.Errorf("%w: %s is available as %s", errNotAcceptable, m.Path, offered(m))
}

func offered(m Meta) string {
	if m.IsContainer() || m.RDF {
		return "text/turtle, application/ld+json, application/n-triples"
	}
	return m.ContentType
}

// options answers OPTIONS with what the target supports. CORS preflights
// never reach here (server/ answers them). OPTIONS needs no mode, but
// what is there is told only to an agent who may Read it; anyone else
// learns what the path supports in any state (issue 10 item 5).
func (h *Handler) options(w http.ResponseWriter, r *http.Request, p string) error {
	if !h.mayRead(r, p) {
		h.setAllow(w, p, rdfSource)
		w.Header().Set("Vary", varyValue)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	m, err := h.store.Stat(r.Context(), p)
	st := absent
	switch {
	case err == nil:
		st = stateOf(m)
		h.setLinks(w, m)
	case !isNotFound(err):
		return err
	}
	h.setAllow(w, p, st)
	w.Header().Set("Vary", varyValue)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
