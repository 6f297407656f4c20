package modpage

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/naamio/naamio/rdf"
	"github.com/naamio/naamio/web/ui"
)

// maxRead bounds what the page reads of one resource (a manifest, an
// ACL, a container listing).
const maxRead = 1 << 20

var errTooLarge = errors.New("modpage: resource too large")

// reply is an in-process response of the LDP handler (at most maxRead
// bytes of the body).
type reply = ui.Recorder

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
	rep := ui.Serve(h.cfg.LDP, req, maxRead)
	if rep.Truncated {
		return nil, errTooLarge
	}
	return rep, nil
}

// graph reads iri as N-Triples: nil with the status when it is not 200.
func (h *Handler) graph(ctx context.Context, iri string) (*rdf.Graph, *reply, error) {
	rep, err := h.get(ctx, iri, rdf.MediaNTriples)
	if err != nil || rep.Status != http.StatusOK {
		return nil, rep, err
	}
	g, err := rdf.Parse(&rep.Body, rdf.MediaNTriples, iri, rdf.Limits{})
	return g, rep, err
}

// members lists the IRIs a container contains (ldp:contains), sorted.
func (h *Handler) members(ctx context.Context, container string) ([]string, int, error) {
	g, rep, err := h.graph(ctx, container)
	if err != nil {
		return nil, 0, err
	}
	if g == nil {
		return nil, rep.Status, nil
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
