package modules

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wabin/binary"
	"github.com/tetratelabs/wabin/wasm"
)

// Extism's own http_request is not what the contract allows: it fetches
// with Go's default client (no SSRF checks), follows redirects to any
// host, allows plain http, and traps when a host is not allowed. A
// module's imports of the three HTTP functions of extism:host/env are
// therefore moved to nsNet before it is compiled, and served here: https
// only, the manifest's allowedHosts on every hop (a redirect off the list
// is refused), through the SSRF-safe client, and a refusal is an answer
// (status 403, a line in the module's log), never a trap. The binary's
// digest is checked before the rewrite.
const nsNet = "naamio:host/http"

var netFunctions = map[string]bool{"http_request": true, "http_status_code": true, "http_headers": true}

// maxHTTPBody bounds a response body given to a module.
const maxHTTPBody = 1 << 20

// rewriteNetImports moves the module's HTTP imports to nsNet; a module
// that imports none is returned unchanged.
func rewriteNetImports(bin []byte) ([]byte, error) {
	m, err := binary.DecodeModule(bin, wasm.CoreFeaturesV2)
	if err != nil {
		return nil, invalid("wasm", "the module cannot be read: %v", err)
	}
	moved := false
	for _, im := range m.ImportSection {
		if im.Module == nsExtism && netFunctions[im.Name] {
			im.Module = nsNet
			moved = true
		}
	}
	if !moved {
		return bin, nil
	}
	return binary.EncodeModule(m), nil
}

// netCall is the state of one invocation's HTTP calls: what the module
// may reach, and the last response's status and headers.
type netCall struct {
	mu      sync.Mutex
	hosts   []string
	log     func(level, msg string)
	status  int32
	headers map[string]string
}

// hostAllowed: the host matches an entry exactly, or "*.suffix" matches
// any name below suffix.
func hostAllowed(hosts []string, host string) bool {
	host = strings.ToLower(host)
	for _, h := range hosts {
		if h == host || (strings.HasPrefix(h, "*.") && strings.HasSuffix(host, h[1:])) {
			return true
		}
	}
	return false
}

// netClient returns fetch with every redirect checked against hosts.
func netClient(fetch *http.Client, hosts []string) *http.Client {
	c := *fetch
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("too many redirects")
		}
		if req.URL.Scheme != "https" || !hostAllowed(hosts, req.URL.Hostname()) {
			return fmt.Errorf("a redirect to %s is not in allowedHosts", req.URL.Host)
		}
		return nil
	}
	return &c
}

// httpRequest serves http_request(request, body) -> response body.
func (e *Engine) httpRequest(ctx context.Context, p *extism.CurrentPlugin, stack []uint64) {
	nc, _ := ctx.Value(netKey{}).(*netCall)
	inv, _ := ctx.Value(invocationKey{}).(*invocation)
	answer := func(status int32, body []byte, msg string) {
		if nc != nil {
			nc.mu.Lock()
			nc.status, nc.headers = status, nil
			nc.mu.Unlock()
			if msg != "" {
				nc.log("error", "http_request: "+msg)
			}
		}
		stack[0] = 0
		if len(body) > 0 {
			if off, err := p.WriteBytes(body); err == nil {
				stack[0] = off
			}
		}
	}
	if nc == nil || e.fetch == nil {
		answer(http.StatusForbidden, nil, "this server gives modules no network access")
		return
	}
	if inv != nil && inv.calls.Add(1) > MaxHostCalls {
		answer(http.StatusTooManyRequests, nil, fmt.Sprintf("more than %d host calls in one invocation", MaxHostCalls))
		return
	}
	raw, err := p.ReadBytes(stack[0])
	var req struct {
		URL     string            `json:"url"`
		Method  string            `json:"method"`
		Headers map[string]string `json:"headers"`
	}
	if err != nil || json.Unmarshal(raw, &req) != nil {
		answer(http.StatusBadRequest, nil, "the request is not {\"url\", \"method\", \"headers\"}")
		return
	}
	u, err := url.Parse(req.URL)
	if err != nil || u.Scheme != "https" || !hostAllowed(nc.hosts, u.Hostname()) {
		answer(http.StatusForbidden, nil, fmt.Sprintf("%q is not an https URL on a host in allowedHosts", req.URL))
		return
	}
	var body io.Reader
	if stack[1] != 0 {
		b, err := p.ReadBytes(stack[1])
		if err != nil {
			answer(http.StatusBadRequest, nil, "the body is not a memory block of this module")
			return
		}
		body = bytes.NewReader(b)
	}
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	r, err := http.NewRequestWithContext(ctx, strings.ToUpper(req.Method), u.String(), body)
	if err != nil {
		answer(http.StatusBadRequest, nil, err.Error())
		return
	}
	for k, v := range req.Headers {
		r.Header.Set(k, v)
	}
	resp, err := netClient(e.fetch, nc.hosts).Do(r)
	if err != nil {
		answer(http.StatusBadGateway, nil, err.Error())
		return
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxHTTPBody+1))
	if err != nil || len(data) > maxHTTPBody {
		answer(http.StatusBadGateway, nil, fmt.Sprintf("the response body is unreadable or over %d bytes", maxHTTPBody))
		return
	}
	hd := map[string]string{}
	for k, v := range resp.Header {
		hd[strings.ToLower(k)] = strings.Join(v, ",")
	}
	answer(int32(resp.StatusCode), data, "")
	nc.mu.Lock()
	nc.headers = hd
	nc.mu.Unlock()
}

func (e *Engine) httpStatusCode(ctx context.Context, _ *extism.CurrentPlugin, stack []uint64) {
	var status int32
	if nc, ok := ctx.Value(netKey{}).(*netCall); ok {
		nc.mu.Lock()
		status = nc.status
		nc.mu.Unlock()
	}
	stack[0] = extism.EncodeI32(status)
}

func (e *Engine) httpHeaders(ctx context.Context, p *extism.CurrentPlugin, stack []uint64) {
	stack[0] = 0
	nc, ok := ctx.Value(netKey{}).(*netCall)
	if !ok {
		return
	}
	nc.mu.Lock()
	hd := nc.headers
	nc.mu.Unlock()
	if hd == nil {
		return
	}
	if b, err := json.Marshal(hd); err == nil {
		if off, err := p.WriteBytes(b); err == nil {
			stack[0] = off
		}
	}
}

type netKey struct{}

// withNet gives the invocation in ctx the module's allowed hosts.
func withNet(ctx context.Context, hosts []string, log func(level, msg string)) context.Context {
	return context.WithValue(ctx, netKey{}, &netCall{hosts: hosts, log: log})
}

// netHostFunctions are the nsNet functions of the engine.
func (e *Engine) netHostFunctions() []extism.HostFunction {
	i64, i32 := extism.ValueTypeI64, extism.ValueTypeI32
	fns := []extism.HostFunction{
		extism.NewHostFunctionWithStack("http_request", e.httpRequest, []extism.ValueType{i64, i64}, []extism.ValueType{i64}),
		extism.NewHostFunctionWithStack("http_status_code", e.httpStatusCode, nil, []extism.ValueType{i32}),
		extism.NewHostFunctionWithStack("http_headers", e.httpHeaders, nil, []extism.ValueType{i64}),
	}
	for i := range fns {
		fns[i].SetNamespace(nsNet)
	}
	return fns
}
