package modules

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/rdf"
)

// MaxHostCalls bounds the pod_* calls of one invocation (the contract);
// past it every call answers 429.
const MaxHostCalls = 100

// maxHostBody bounds a body a host call returns to a module: it must fit
// the module's memory, and a module reads what it needs.
const maxHostBody = MaxInput

// invocation is one call of a module's export: who the module is (its
// agent IRI and its pod's owner, for ldp.AsModule) and how many pod_*
// calls it has made.
type invocation struct {
	agent string
	owner string
	calls atomic.Int32
}

type invocationKey struct{}

func withInvocation(ctx context.Context, inv *invocation) context.Context {
	return context.WithValue(ctx, invocationKey{}, inv)
}

// hostRequest is the input of every pod_* function.
type hostRequest struct {
	IRI         string `json:"iri"`
	ContentType string `json:"contentType,omitempty"`
	Body        string `json:"body,omitempty"`
	Encoding    string `json:"encoding,omitempty"` // "" or "base64"
	Accept      string `json:"accept,omitempty"`
}

// hostResponse is the output of every pod_* function: the status the
// same request would get over HTTP as the module's agent.
type hostResponse struct {
	Status      int      `json:"status"`
	ETag        string   `json:"etag,omitempty"`
	ContentType string   `json:"contentType,omitempty"`
	Encoding    string   `json:"encoding,omitempty"`
	Body        string   `json:"body,omitempty"`
	Members     []string `json:"members,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// Host answers modules' pod_* calls through the LDP handler, as the
// calling module's agent: the normal request path with its access
// checks, never a side door into the store.
type Host struct {
	LDP *ldp.Handler
}

// Call is the engine's HostFunc. It never fails: bad input, an IRI
// outside the server, a call past the limit are answers (400, 429).
func (h *Host) Call(ctx context.Context, name string, in []byte) []byte {
	out, _ := marshal(h.call(ctx, name, in))
	return out
}

// marshal is json.Marshal without HTML escaping: what modules read is
// JSON, never HTML, and RDF bodies are full of "<" and ">", which
// escaping would make six bytes each. Decoding JSON costs a guest more
// than the host (Wasm runs several times slower than native code, and
// slower still under the timeout's termination checks), so the host
// sends it as short and plain as it can.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func (h *Host) call(ctx context.Context, name string, in []byte) hostResponse {
	inv, ok := ctx.Value(invocationKey{}).(*invocation)
	if !ok {
		return hostResponse{Status: http.StatusInternalServerError, Error: "no module invocation"}
	}
	if n := inv.calls.Add(1); n > MaxHostCalls {
		return hostResponse{Status: http.StatusTooManyRequests, Error: fmt.Sprintf("more than %d host calls in one invocation", MaxHostCalls)}
	}
	var req hostRequest
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return hostResponse{Status: http.StatusBadRequest, Error: "the input is not a host request: " + err.Error()}
	}
	if _, ok := h.LDP.Locator().PathOf(req.IRI); !ok {
		return hostResponse{Status: http.StatusBadRequest, Error: fmt.Sprintf("%q is not a resource on this server", req.IRI)}
	}
	body, err := req.body()
	if err != nil {
		return hostResponse{Status: http.StatusBadRequest, Error: err.Error()}
	}
	var method, accept string
	switch name {
	case "pod_get":
		method, accept = http.MethodGet, req.Accept
		if accept == "" {
			accept = rdf.MediaTurtle + ", */*;q=0.1"
		}
	case "pod_list":
		if !strings.HasSuffix(req.IRI, "/") {
			return hostResponse{Status: http.StatusBadRequest, Error: "pod_list needs a container IRI (ending in /)"}
		}
		method, accept = http.MethodGet, rdf.MediaTurtle
	case "pod_put":
		method = http.MethodPut
	case "pod_patch":
		method = http.MethodPatch
		if req.ContentType == "" {
			req.ContentType = "text/n3"
		}
	case "pod_delete":
		method = http.MethodDelete
	default:
		return hostResponse{Status: http.StatusNotImplemented, Error: name + " is not a host function"}
	}
	r, err := http.NewRequestWithContext(ldp.AsModuleAt(ctx, inv.agent, inv.owner, hopsOf(ctx)), method, req.IRI, bytes.NewReader(body))
	if err != nil {
		return hostResponse{Status: http.StatusBadRequest, Error: err.Error()}
	}
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	if req.ContentType != "" {
		r.Header.Set("Content-Type", req.ContentType)
	}
	w := newRecorder(maxHostBody)
	h.LDP.ServeHTTP(w, r)
	return w.answer(name, req.IRI)
}

// body decodes the request's body.
func (req *hostRequest) body() ([]byte, error) {
	switch req.Encoding {
	case "":
		return []byte(req.Body), nil
	case "base64":
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return nil, fmt.Errorf("body is not base64: %v", err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("encoding %q: use \"base64\" or leave it out", req.Encoding)
}

// recorder is the in-process response of a host call, its body bounded.
type recorder struct {
	hd       http.Header
	status   int
	body     bytes.Buffer
	max      int
	overflow bool
}

func newRecorder(max int) *recorder { return &recorder{hd: http.Header{}, max: max} }

func (w *recorder) Header() http.Header { return w.hd }

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *recorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if room := w.max - w.body.Len(); len(p) > room {
		w.body.Write(p[:max(room, 0)])
		w.overflow = true
		return len(p), nil
	}
	return w.body.Write(p)
}

// answer turns the response into the host function's output.
func (w *recorder) answer(name, iri string) hostResponse {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	out := hostResponse{Status: w.status, ETag: w.hd.Get("ETag"), ContentType: w.hd.Get("Content-Type")}
	if w.status >= 400 {
		out.Error = strings.TrimSpace(w.body.String())
		return out
	}
	if w.overflow {
		return hostResponse{Status: http.StatusRequestEntityTooLarge, Error: fmt.Sprintf("the body is larger than %d bytes, more than a module is given", w.max)}
	}
	if name == "pod_list" && w.status == http.StatusOK {
		members, err := members(w.body.Bytes(), iri)
		if err != nil {
			return hostResponse{Status: http.StatusInternalServerError, Error: err.Error()}
		}
		out.Members, out.ContentType = members, ""
		return out
	}
	if w.body.Len() > 0 {
		out.Body, out.Encoding = encode(w.body.Bytes(), out.ContentType)
	}
	return out
}

// encode gives a body as text when it is text, else base64.
func encode(b []byte, contentType string) (string, string) {
	mt, _, _ := mime.ParseMediaType(contentType)
	texty := strings.HasPrefix(mt, "text/") || rdf.Supported(mt) || mt == "application/json" || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml")
	if texty && utf8.Valid(b) {
		return string(b), ""
	}
	return base64.StdEncoding.EncodeToString(b), "base64"
}

var ldpContains = rdf.NewIRI("http://www.w3.org/ns/ldp#contains")

// members reads a container's ldp:contains from its Turtle listing.
func members(turtle []byte, iri string) ([]string, error) {
	g, err := rdf.Parse(bytes.NewReader(turtle), rdf.MediaTurtle, iri, rdf.Limits{})
	if err != nil {
		return nil, fmt.Errorf("reading the container listing: %w", err)
	}
	var out []string
	for _, t := range g.Match(rdf.NewIRI(iri), ldpContains, rdf.Term{}) {
		out = append(out, t.O.Value)
	}
	sort.Strings(out)
	return out, nil
}
