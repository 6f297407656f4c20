package ldp

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"mime"
	"net/http"
	"sync"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/rdf"
)

// Patch media types (Solid Protocol server-patch-n3-accept; SPARQL 1.1 Update).
const (
	mediaN3           = "text/n3"
	mediaSPARQLUpdate = "application/sparql-update"
)

// maxPatchAttempts bounds how often a PATCH re-reads and re-applies when a
// concurrent PUT or DELETE changed its target between read and write.
const maxPatchAttempts = 16

// errTargetChanged: the target changed after the patch read it; the patch
// is applied again to the new state.
var errTargetChanged = errors.New("ldp: target changed during patch")

// patchLocks serialises PATCHes of one path inside this process, so
// concurrent patches queue instead of losing optimistic races; the store's
// precondition still catches writes from any other path (PUT, DELETE).
type patchLocks struct {
	seed  maphash.Seed
	locks [256]sync.Mutex
}

func newPatchLocks() *patchLocks { return &patchLocks{seed: maphash.MakeSeed()} }

func (l *patchLocks) lock(p string) func() {
	m := &l.locks[maphash.String(l.seed, p)%uint64(len(l.locks))]
	m.Lock()
	return m.Unlock
}

// patch applies an N3 Patch or SPARQL Update to an RDF source, creating it
// (and its intermediate containers) when absent (Solid Protocol
// server-patch-n3-accept, server-put-patch-intermediate-containers). A
// patch applies to the representation the client sees, server-managed
// triples included; it may not remove them or add its own containment or
// child metadata (server-protect-containment, 409). The
// read, apply and write form one atomic step: the write only commits if
// the target is still in the state the patch was applied to.
func (h *Handler) patch(w http.ResponseWriter, r *http.Request, p string) error {
	// A PATCH is at least an append (WAC §"Access Modes"): an agent without
	// Append on the target is refused before its body is read.
	if _, _, err := h.allow(r, need{p, acl.Append}); err != nil {
		return err
	}
	if err := h.checkPatchTarget(r, p); err != nil {
		return h.concealed(r, p, err)
	}
	pt, err := h.readPatch(r, p)
	if err != nil {
		return err
	}
	defer h.patchLocks.lock(p)()
	for range maxPatchAttempts {
		m, created, err := h.applyOnce(r, p, pt)
		if errors.Is(err, errTargetChanged) {
			continue
		}
		if err != nil {
			return err
		}
		h.written(w, m, created, false)
		return nil
	}
	return fmt.Errorf("%w: %s kept changing while the patch was applied", ErrConflict, p)
}

func (h *Handler) checkPatchTarget(r *http.Request, p string) error {
	if err := checkTarget(p); err != nil {
		return err
	}
	if kind, subject := Auxiliary(p); kind != NotAux {
		if _, err := h.store.Stat(r.Context(), subject); err != nil {
			if isNotFound(err) {
				return conflictf("the subject resource %s of %s does not exist", subject, p)
			}
			return err
		}
	}
	return nil
}

// readPatch checks the media type and parses the patch document.
func (h *Handler) readPatch(r *http.Request, p string) (*rdf.Patch, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil, fmt.Errorf("%w: a PATCH needs a Content-Type (%s)", errBadRequest, acceptPatch)
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, fmt.Errorf("%w: Content-Type %q does not parse", errBadRequest, ct)
	}
	var parse func(io.Reader, string, rdf.Limits) (*rdf.Patch, error)
	switch mt {
	case mediaN3:
		parse = rdf.ParseN3Patch
	case mediaSPARQLUpdate:
		parse = rdf.ParseSPARQLUpdate
	default:
		return nil, fmt.Errorf("%w: %s; PATCH accepts %s", errUnsupportedType, mt, acceptPatch)
	}
	if err := ensureBudget(r.Context(), partBody, h.parseCost(h.bodyBytes(r.ContentLength), false)); err != nil {
		return nil, err
	}
	data, err := h.readLimited(r)
	if err != nil {
		return nil, err
	}
	return parse(bytes.NewReader(data), h.IRI(p), h.rdfLimits())
}

// applyOnce reads the target, applies the patch and writes the result on
// the condition that the target did not change in between.
func (h *Handler) applyOnce(r *http.Request, p string, pt *rdf.Patch) (Meta, bool, error) {
	ctx := r.Context()
	cur, g, err := h.patchBase(r, p)
	if err != nil {
		return Meta{}, false, h.concealed(r, p, err) // 415: a non-RDF resource is there
	}
	// The modes the patch's parts need (acl/doc.go note 4), on the state it
	// applies to; the write below commits only in that state.
	needs := []need{{p, acl.ModesForPatch(pt.Reads(), pt.Appends(), pt.HasDeletes())}}
	if cur == nil {
		more, err := h.createNeeds(ctx, p)
		if err != nil {
			return Meta{}, false, err
		}
		needs = append(needs, more...)
	}
	if _, _, err := h.allow(r, needs...); err != nil {
		return Meta{}, false, err
	}
	if IsContainerPath(p) && statesContainment(pt) {
		return Meta{}, false, errClientContainment
	}
	gen, err := h.generatedTriples(ctx, p)
	if err != nil {
		return Meta{}, false, err
	}
	addAll(g, gen)
	changed, err := pt.ApplyChanged(g, rdf.ApplyLimits{})
	if err != nil {
		return Meta{}, false, err
	}
	if !changed && cur != nil {
		// The patch leaves the document as it is (it deletes what it
		// inserts again, or inserts what is there): nothing to write, no
		// new version, no change event. The client's conditions still
		// hold or fail as for a write.
		user, err := h.userPrecondition(r, p)
		if err != nil {
			return Meta{}, false, err
		}
		if user != nil {
			if err := user(cur); err != nil {
				return Meta{}, false, err
			}
		}
		return *cur, false, nil
	}
	if n := g.Len() - len(gen); n > h.maxTriples {
		// SECURITY row 15: the result is a document like any other.
		return Meta{}, false, fmt.Errorf("%w: the patched document would have %d triples, more than %d", ErrTooLarge, n, h.maxTriples)
	}
	if err := h.checkManaged(g, p, gen, true); err != nil {
		return Meta{}, false, err
	}
	if kind, _ := Auxiliary(p); kind == AuxACL {
		if err := h.checkACL(r, g, p); err != nil {
			return Meta{}, false, err
		}
	}
	committed, err := h.guard(r, p, &body{contentType: rdf.MediaTurtle, rdf: true, graph: g}, cur)
	if err != nil {
		return Meta{}, false, err
	}
	var buf bytes.Buffer
	if err := rdf.Write(&buf, g, rdf.MediaTurtle); err != nil {
		return Meta{}, false, err
	}
	user, err := h.userPrecondition(r, p)
	if err != nil {
		return Meta{}, false, err
	}
	kind, _ := Auxiliary(p)
	m, created, err := h.store.Put(ctx, PutRequest{
		Path:        p,
		ContentType: rdf.MediaTurtle,
		RDF:         true,
		Aux:         kind != NotAux,
		Body:        &buf,
		Origin:      originOf(r),
		Precondition: func(now *Meta) error {
			if user != nil {
				if err := user(now); err != nil {
					return err
				}
			}
			if (now == nil) != (cur == nil) || (now != nil && now.ETag != cur.ETag) {
				return errTargetChanged
			}
			return nil
		},
	})
	if err != nil && !errors.Is(err, errTargetChanged) {
		err = h.concealed(r, p, err) // 412, slash twin 409
	}
	if err == nil && committed != nil {
		committed(m.ETag)
	}
	return m, created, err
}

// patchBase reads the target's current state and graph: an empty graph
// when it does not exist; 415 when it is not an RDF source.
func (h *Handler) patchBase(r *http.Request, p string) (*Meta, *rdf.Graph, error) {
	m, body, err := h.store.Open(r.Context(), p)
	if isNotFound(err) {
		return nil, rdf.NewGraph(), nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer body.Close()
	if !m.RDF && !m.IsContainer() {
		return nil, nil, fmt.Errorf("%w: %s is not an RDF source; PATCH applies to RDF sources", errUnsupportedType, p)
	}
	// The stored graph, its patched copy and the Turtle written from it
	// share the RDF memory budget (SECURITY row 15).
	if err := ensureBudget(r.Context(), partStored, h.parseCost(m.Size, false)); err != nil {
		return nil, nil, err
	}
	g, err := rdf.Parse(body, rdf.MediaTurtle, h.IRI(p), h.rdfLimits())
	if errors.Is(err, rdf.ErrTooLarge) {
		// Stored under a larger --max-rdf-triples: it can be read and
		// replaced, not patched.
		return nil, nil, fmt.Errorf("%w: %s has more than %d triples", ErrTooLarge, p, h.maxTriples)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("stored graph of %s: %v", p, err)
	}
	return &m, g, nil
}

// statesContainment reports whether a patch inserts or deletes ldp:contains
// statements (Solid Protocol server-protect-containment: such a request is
// refused even when it would change nothing). Containment is the server's
// alone, so the subject does not matter: the container in any spelling,
// another IRI, a blank node or a variable (issue 10 item 4). Patterns with
// a variable predicate are judged by their effect instead, in checkManaged.
func statesContainment(pt *rdf.Patch) bool {
	for _, set := range [][]rdf.Pattern{pt.Inserts, pt.Deletes} {
		for _, q := range set {
			if q.P.Var == "" && q.P.Term == ldpContains {
				return true
			}
		}
	}
	return false
}

// readLimited reads a request body within the RDF body cap.
func (h *Handler) readLimited(r *http.Request) ([]byte, error) {
	if r.ContentLength > h.maxRDF {
		return nil, fmt.Errorf("%w: body of %d bytes is over the limit of %d", ErrTooLarge, r.ContentLength, h.maxRDF)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, h.maxRDF+1))
	if err != nil {
		return nil, bodyReadError(err)
	}
	if int64(len(data)) > h.maxRDF {
		return nil, fmt.Errorf("%w: body is over the limit of %d bytes", ErrTooLarge, h.maxRDF)
	}
	return data, nil
}

func addAll(g *rdf.Graph, ts []rdf.Triple) {
	for _, t := range ts {
		g.Add(t)
	}
}
