package ldp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/naamio/naamio/rdf"
)

// Description resources (Solid Protocol §"Auxiliary Resources",
// rel="describedby"): "/x.meta" holds what clients state about /x, and is
// served together with what the server itself knows about /x, its types,
// modification time and size. Those server-managed statements cannot be
// changed through the description resource (409).

// describe adds what the server states about a resource: its types and its
// metadata (Solid Protocol server-contained-resource-metadata).
func (h *Handler) describe(g *rdf.Graph, s rdf.Term, m Meta) {
	g.Add(rdf.Triple{S: s, P: rdfType, O: ldpResource})
	if m.IsContainer() {
		g.Add(rdf.Triple{S: s, P: rdfType, O: ldpContainer})
		g.Add(rdf.Triple{S: s, P: rdfType, O: ldpBasic})
		if h.isStorageRoot(m.Path) {
			g.Add(rdf.Triple{S: s, P: rdfType, O: pimStorage})
		}
	} else if mt := mediaTypeClass(m); mt != "" {
		g.Add(rdf.Triple{S: s, P: rdfType, O: rdf.NewIRI(mt)})
	}
	addResourceMeta(g, s, m)
}

// describedTriples returns the server-managed triples shown in description
// resource p (nil for any other resource, or when the subject is gone).
func (h *Handler) describedTriples(ctx context.Context, p string) ([]rdf.Triple, error) {
	sm, err := h.subjectMeta(ctx, p)
	if sm == nil || err != nil {
		return nil, err
	}
	g := rdf.NewGraph()
	h.describe(g, rdf.NewIRI(h.IRI(sm.Path)), *sm)
	return g.Triples(), nil
}

// isServerType reports whether an rdf:type object is one the server assigns.
func isServerType(o rdf.Term) bool {
	if o.Kind != rdf.IRI {
		return false
	}
	return strings.HasPrefix(o.Value, nsLDP) || o == pimStorage || strings.HasPrefix(o.Value, nsMediaTypes)
}

// isManagedStatement reports whether t is a statement only the server may
// make about subject.
func isManagedStatement(t rdf.Triple, subject rdf.Term) bool {
	if t.S != subject {
		return false
	}
	if t.P == rdfType {
		return isServerType(t.O)
	}
	for _, p := range childMetaPreds {
		if t.P == p {
			return true
		}
	}
	return false
}

// generatedTriples is what a client sees at p beyond the stored triples:
// a container's listing (containment, types, its own and its children's
// metadata) or a description resource's statements about its subject. A
// PATCH applies to that whole representation, so its where clause can
// match them (nil for other resources, or when p does not exist).
func (h *Handler) generatedTriples(ctx context.Context, p string) ([]rdf.Triple, error) {
	if !IsContainerPath(p) {
		return h.describedTriples(ctx, p)
	}
	m, err := h.store.Stat(ctx, p)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	children, err := h.store.Children(ctx, p)
	if err != nil {
		return nil, err
	}
	g := rdf.NewGraph()
	h.addContainerTriples(g, m, children)
	return g.Triples(), nil
}

// checkManaged checks and cleans a graph about to be stored at p. gen are
// the server's own statements the client was shown: after a PATCH
// (patched) none of them may be gone, and they are dropped before storing,
// being regenerated on every read. Then, for a container: no containment
// or child metadata of the client's own (checkServerManaged); for a
// description resource: server-managed statements about the subject may
// appear only as the server states them.
func (h *Handler) checkManaged(g *rdf.Graph, p string, gen []rdf.Triple, patched bool) error {
	if patched {
		for _, t := range gen {
			if !g.Has(t) {
				return conflictf("the server-managed statement %s %s is not the client's to delete", t.P.Value, t.O.Value)
			}
		}
		for _, t := range gen {
			g.Remove(t)
		}
	}
	if IsContainerPath(p) {
		return h.checkServerManaged(g, p)
	}
	kind, subject := Auxiliary(p)
	if kind != AuxMeta {
		return nil
	}
	s := rdf.NewIRI(h.IRI(subject))
	known := rdf.NewGraph()
	addAll(known, gen)
	for _, t := range g.Match(s, rdf.Term{}, rdf.Term{}) {
		if !isManagedStatement(t, s) {
			continue
		}
		if !known.Has(t) {
			return conflictf("%s of %s is managed by the server", t.P.Value, subject)
		}
		g.Remove(t)
	}
	return nil
}

// describedMeta is the state of description resource m as served: its
// representation also shows the subject's metadata, so its validator and
// time cover the subject's too.
func describedMeta(m Meta, subject *Meta) Meta {
	if subject == nil {
		return m
	}
	sum := sha256.Sum256([]byte(m.ETag + "\x00" + subject.ETag + "\x00" +
		strconv.FormatInt(subject.Modified.UnixNano(), 10)))
	m.ETag = hex.EncodeToString(sum[:16])
	if subject.Modified.After(m.Modified) {
		m.Modified = subject.Modified
	}
	return m
}

// subjectMeta returns the subject's metadata when p is a description
// resource whose subject exists (else nil).
func (h *Handler) subjectMeta(ctx context.Context, p string) (*Meta, error) {
	kind, subject := Auxiliary(p)
	if kind != AuxMeta {
		return nil, nil
	}
	sm, err := h.store.Stat(ctx, subject)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &sm, nil
}

// userPrecondition turns the request's conditional headers into a check
// that runs inside the write transaction, against the state a client sees
// (for a description resource, the combined state).
func (h *Handler) userPrecondition(r *http.Request, p string) (Precondition, error) {
	conds := conditionsOf(r)
	if conds.empty() {
		return nil, nil
	}
	subj, err := h.subjectMeta(r.Context(), p)
	if err != nil {
		return nil, err
	}
	return func(cur *Meta) error {
		if cur == nil {
			return conds.evaluate(nil, false, "")
		}
		seen := describedMeta(*cur, subj)
		return conds.evaluate(&seen, false, "")
	}, nil
}
