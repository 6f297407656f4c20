package ldp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/naamio/naamio/rdf"
)

func conflictf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConflict}, args...)...)
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// body is a request body checked and made ready for the store.
type body struct {
	contentType string
	rdf         bool
	reader      io.Reader
	graph       *rdf.Graph // parsed RDF (nil for non-RDF)
}

// hasContent reports whether the request carries content: a positive
// Content-Length, or a body of unknown length (chunked).
func hasContent(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}

// readBody checks the Content-Type and prepares the body of a PUT or POST
// whose target has IRI base. rdfOnly is set for containers and auxiliary
// resources, which are RDF sources by definition.
func (h *Handler) readBody(r *http.Request, base string, rdfOnly bool) (*body, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		if hasContent(r) {
			// Solid Protocol server-content-type-missing.
			return nil, fmt.Errorf("%w: a request with content needs a Content-Type", errBadRequest)
		}
		if rdfOnly {
			return &body{contentType: rdf.MediaTurtle, rdf: true, graph: rdf.NewGraph()}, nil
		}
		return &body{contentType: "application/octet-stream", reader: http.NoBody}, nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, fmt.Errorf("%w: Content-Type %q does not parse", errBadRequest, ct)
	}
	if err := refuseActivityStreams(mt, params); err != nil {
		return nil, err
	}
	if rdf.Supported(mt) {
		g, err := h.parseRDF(r, mt, base)
		if err != nil {
			return nil, err
		}
		return &body{contentType: rdf.MediaTurtle, rdf: true, graph: g}, nil
	}
	if rdfOnly {
		return nil, fmt.Errorf("%w: %s; this resource accepts %s", errUnsupportedType, mt, acceptPutRDF)
	}
	if h.maxBin > 0 {
		if r.ContentLength > h.maxBin {
			return nil, fmt.Errorf("%w: body of %d bytes is over the limit of %d", ErrTooLarge, r.ContentLength, h.maxBin)
		}
		r.Body = http.MaxBytesReader(nil, r.Body, h.maxBin)
	}
	return &body{contentType: mime.FormatMediaType(mt, params), reader: clientBody{r.Body}}, nil
}

// errClientBody marks a failure to read the request body: the client hung
// up, sent less than it announced, or stalled. It is the client's error,
// not the server's, whatever the store makes of it.
var errClientBody = errors.New("ldp: request body could not be read")

// clientBody tags every read failure of a request body (io.EOF, the normal
// end, is passed through untouched as io.Reader requires).
type clientBody struct{ r io.Reader }

func (c clientBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %w", errClientBody, err)
	}
	return n, err
}

// parseRDF reads an RDF body within the configured caps and parses it,
// stopping at the triple limit (SECURITY row 15: 413). Its memory is
// reserved from the budget before the first byte is read.
func (h *Handler) parseRDF(r *http.Request, mt, base string) (*rdf.Graph, error) {
	cost := h.parseCost(h.bodyBytes(r.ContentLength), mt == rdf.MediaJSONLD)
	if err := ensureBudget(r.Context(), partBody, cost); err != nil {
		return nil, err
	}
	data, err := h.readLimited(r)
	if err != nil {
		return nil, err
	}
	return rdf.Parse(bytes.NewReader(data), mt, base, h.rdfLimits())
}

// rdfLimits are the parser limits of every RDF document the handler reads.
func (h *Handler) rdfLimits() rdf.Limits { return rdf.Limits{MaxTriples: h.maxTriples} }

// bodyReadError classifies a failure to read a request body: a stalled
// body (408) and an over-limit one (413) keep their cause; anything else
// is the client's malformed request.
func bodyReadError(err error) error {
	return fmt.Errorf("%w: %w", errClientBody, err)
}

// storeReader turns a checked body into what the store keeps: RDF sources
// are stored in the canonical Turtle of the one writer, so a GET of Turtle
// is a plain copy of stored bytes.
func storeReader(b *body) (io.Reader, error) {
	if !b.rdf {
		return b.reader, nil
	}
	var buf bytes.Buffer
	if err := rdf.Write(&buf, b.graph, rdf.MediaTurtle); err != nil {
		return nil, err
	}
	return &buf, nil
}

// checkTarget applies the naming rules to a write target: no auxiliary
// resource of an auxiliary resource, and no container whose name would read
// as an auxiliary resource.
func checkTarget(p string) error {
	if IsContainerPath(p) {
		if p != "/" && hasAuxName(strings.TrimSuffix(Name(p), "/")) {
			return fmt.Errorf("%w: a container name cannot end in .acl or .meta", errBadRequest)
		}
		return nil
	}
	if kind, subject := Auxiliary(p); kind != NotAux {
		if k, _ := Auxiliary(subject); k != NotAux {
			return fmt.Errorf("%w: auxiliary resources have no auxiliary resources", errBadRequest)
		}
	}
	return nil
}
