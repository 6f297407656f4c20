package modpage

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/naamio/naamio/rdf"
)

// maxRead bounds what the page reads of one resource (a manifest, an
// ACL, a container listing).
const maxRead = 1 << 20

var errTooLarge = errors.New("modpage: resource too large")

// reply is an in-process response of the LDP handler.
type reply struct {
	status int
	header http.Header
	body   bytes.Buffer
	over   bool
}

func (r *reply) Header() http.Header { return r.header }
func (r *reply) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *reply) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	if r.body.Len()+len(b) > maxRead {
		r.over = true
		return 0, errTooLarge
	}
	return r.body.Write(b)
}

// get reads iri through the LDP handler in ctx (which carries the agent
// the read is made as: WAC decides exactly as for that agent).
func (h *Handler) get(ctx context.Context, iri, accept string) (*reply, error) {
	u, err := url.Parse(iri)
	if err != nil || !u.IsAbs() {
		return nil, errors.New("modpage: not an absolute IRI: " + iri)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, iri, nil)
	if err != nil {
		return nil, err
	}
	req.Host = u.Host
	req.RequestURI = u.RequestURI()
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rep := &reply{header: http.Header{}}
	h.cfg.LDP.ServeHTTP(rep, req)
	if rep.status == 0 {
		rep.status = http.StatusOK
	}
	if rep.over {
		return nil, errTooLarge
	}
	return rep, nil
}

// graph reads iri as N-Triples: nil with the status when it is not 200.
func (h *Handler) graph(ctx context.Context, iri string) (*rdf.Graph, *reply, error) {
	rep, err := h.get(ctx, iri, rdf.MediaNTriples)
	if err != nil || rep.status != http.StatusOK {
		return nil, rep, err
	}
	g, err := rdf.Parse(&rep.body, rdf.MediaNTriples, iri, rdf.Limits{})
	return g, rep, err
}

// members lists the IRIs a container contains (ldp:contains), sorted.
func (h *Handler) members(ctx context.Context, container string) ([]string, int, error) {
	g, rep, err := h.graph(ctx, container)
	if err != nil {
		return nil, 0, err
	}
	if g == nil {
		return nil, rep.status, nil
	}
	var out []string
	for _, t := range g.Match(rdf.NewIRI(container), rdf.NewIRI("http://www.w3.org/ns/ldp#contains"), rdf.Term{}) {
		if t.O.Kind == rdf.IRI && strings.HasPrefix(t.O.Value, container) {
			out = append(out, t.O.Value)
		}
	}
	sortStrings(out)
	return out, http.StatusOK, nil
}
