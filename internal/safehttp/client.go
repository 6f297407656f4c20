// Package safehttp is an HTTP client for fetching outside resources (WebID
// profiles, OIDC discovery documents, JWKS, remote ACL groups, ActivityPub
// actors, modules) that cannot be pointed at internal addresses.
//
// The address check runs at dial time, on the IP the socket is about to
// connect to, after name resolution. A hostname that resolves (or re-resolves,
// as in DNS rebinding) to a forbidden address is therefore refused, and so is
// every redirect hop, because each new host is dialled through the same check.
// The URL scheme is checked on every hop as well.
package safehttp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Defaults applied by New for zero Options fields.
const (
	DefaultTimeout      = 5 * time.Second
	DefaultMaxBody      = 1 << 20 // 1 MiB
	DefaultMaxRedirects = 3
	DefaultUserAgent    = "naamio-safehttp"

	maxResponseHeaderBytes = 64 << 10
)

var (
	// ErrForbiddenAddress is returned (wrapped, with the address and a
	// reason) when a connection would go to a refused destination. Nothing
	// was sent to that destination: the socket was never connected.
	ErrForbiddenAddress = errors.New("safehttp: forbidden address")
	// ErrForbiddenScheme is returned when a URL (initial or redirect target)
	// has a scheme that is not allowed. Nothing was sent.
	ErrForbiddenScheme = errors.New("safehttp: forbidden scheme")
	// ErrTooLarge is returned when a response body exceeds MaxBody.
	ErrTooLarge = errors.New("safehttp: response body too large")
	// ErrTooManyRedirects is returned when more than MaxRedirects redirects
	// would be followed.
	ErrTooManyRedirects = errors.New("safehttp: too many redirects")
)

// IsRefused reports whether err means the client refused the destination
// (forbidden address or scheme) rather than failing to reach it. Nothing was
// sent to a refused destination.
func IsRefused(err error) bool {
	return errors.Is(err, ErrForbiddenAddress) || errors.Is(err, ErrForbiddenScheme)
}

// Options configures a Client. The zero value is a sane production setting.
type Options struct {
	// Timeout bounds the whole request: dialling, every redirect and
	// reading the body. Default 5s.
	Timeout time.Duration
	// MaxBody is the largest response body accepted, in bytes; larger
	// bodies fail with ErrTooLarge. Default 1 MiB.
	MaxBody int64
	// MaxRedirects is the number of redirects followed; one more fails with
	// ErrTooManyRedirects. 0 means the default (3); a negative value means
	// redirects are not followed and the 3xx response is returned as is.
	MaxRedirects int
	// AllowLoopback lets the client connect to 127.0.0.0/8 and ::1 (and the
	// IPv4-mapped form). For tests against local servers only.
	AllowLoopback bool
	// AllowedSchemes lists the URL schemes allowed on every hop. Default
	// only "https"; tests may add "http".
	AllowedSchemes []string
	// UserAgent is sent when the request has none. Default "naamio-safehttp".
	UserAgent string

	// AllowAddrPorts lists exact destinations (IP literal and port) the
	// client may reach although they are not public addresses, and the only
	// destinations it may reach over plain http even when AllowedSchemes
	// does not include it: a URL whose host is one of these IP literals
	// passes the scheme check. For development and tests (an identity
	// provider on 127.0.0.1); every other private address stays refused.
	AllowAddrPorts []netip.AddrPort

	// Observe, when set, is told the result of every request hop (a
	// redirect is a hop of its own), once its response headers arrived or
	// it failed: "ok" (status below 400), "http_error" (4xx, 5xx),
	// "refused" (a forbidden address or scheme: nothing was sent),
	// "too_large" (a Content-Length over MaxBody) or "error" (dial, TLS,
	// timeout). The server counts them (its metrics); it must be quick.
	Observe func(result string)

	// allowAddrPort, when set, allows exactly the destinations it returns
	// true for, in addition to public addresses (tests only). It receives the
	// unmapped address.
	allowAddrPort func(netip.AddrPort) bool
}

// Response is a fully read, size-bounded HTTP response.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	// URL is the final URL after redirects.
	URL string
}

// Client is an SSRF-safe HTTP client. It is safe for concurrent use.
type Client struct {
	opts Options
	tr   *http.Transport
	hc   *http.Client
}

// New returns a Client for opts, with defaults filled in.
func New(opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.MaxRedirects == 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	schemes := map[string]bool{}
	for _, s := range opts.AllowedSchemes {
		s = strings.ToLower(s)
		if s == "http" || s == "https" {
			schemes[s] = true
		}
	}
	if len(schemes) == 0 {
		schemes["https"] = true
	}
	allowed := map[netip.AddrPort]bool{}
	for _, ap := range opts.AllowAddrPorts {
		allowed[netip.AddrPortFrom(ap.Addr().WithZone("").Unmap(), ap.Port())] = true
	}
	if len(allowed) > 0 {
		prev := opts.allowAddrPort
		opts.allowAddrPort = func(ap netip.AddrPort) bool {
			return allowed[ap] || (prev != nil && prev(ap))
		}
	}
	c := &Client{opts: opts}

	d := &net.Dialer{
		Timeout:        opts.Timeout,
		KeepAlive:      30 * time.Second,
		ControlContext: c.control,
	}
	c.tr = &http.Transport{
		Proxy:                  nil, // never take a proxy from the environment
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    opts.Timeout,
		ResponseHeaderTimeout:  opts.Timeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
		MaxIdleConns:           32,
		MaxIdleConnsPerHost:    2,
		MaxConnsPerHost:        16,
		IdleConnTimeout:        30 * time.Second,
	}
	maxRedirects := opts.MaxRedirects
	c.hc = &http.Client{
		Transport: &guard{next: c.tr, schemes: schemes, allowed: allowed, maxBody: opts.MaxBody, ua: opts.UserAgent, observe: opts.Observe},
		Timeout:   opts.Timeout,
		Jar:       nil, // no cookies
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if maxRedirects < 0 {
				return http.ErrUseLastResponse
			}
			if len(via) > maxRedirects {
				return fmt.Errorf("%w (limit %d)", ErrTooManyRedirects, maxRedirects)
			}
			return nil
		},
	}
	return c
}

// HTTPClient returns an *http.Client with the same protections (dial-time
// address check, per-hop scheme check, body limit, timeout, no proxy, no
// cookies), for libraries that take one. Each call returns a fresh copy, so
// changing its fields does not affect c; the transport is shared.
func (c *Client) HTTPClient() *http.Client {
	cp := *c.hc
	return &cp
}

// CloseIdleConnections closes idle pooled connections.
func (c *Client) CloseIdleConnections() { c.tr.CloseIdleConnections() }

// Get fetches rawURL with the given Accept header ("" for none) and returns
// the response with its body fully read (at most MaxBody bytes). Non-2xx
// statuses are not errors.
func (c *Client) Get(ctx context.Context, rawURL, accept string) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("safehttp: reading %s: %w", resp.Request.URL.Redacted(), err)
	}
	return &Response{
		StatusCode: resp.StatusCode,
		Header:     resp.Header,
		Body:       body,
		URL:        resp.Request.URL.String(),
	}, nil
}

// Permits reports, without any I/O, whether the client could be asked to
// fetch rawURL: an absolute URL with an allowed scheme (plain http only
// where AllowedSchemes or AllowAddrPorts permit it), no user info, and, when
// the host is an IP literal, an address the client may dial. Host names are
// still checked at dial time; this lets callers refuse obviously internal
// targets before doing any other work (SECURITY row 31).
func (c *Client) Permits(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return false
	}
	g := c.hc.Transport.(*guard)
	if !g.schemes[strings.ToLower(u.Scheme)] && !g.allowedHTTP(u) {
		return false
	}
	host := u.Hostname()
	a, err := netip.ParseAddr(host)
	if err != nil {
		return !strings.ContainsAny(host, ":%")
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	p, err := netip.ParseAddrPort(net.JoinHostPort(a.String(), port))
	if err != nil {
		return false
	}
	return c.control(context.Background(), "tcp6", p.String(), nil) == nil
}

// control runs after the socket is created and before it connects, with the
// resolved address actually being dialled.
func (c *Client) control(_ context.Context, network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return fmt.Errorf("%w: network %q", ErrForbiddenAddress, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparsable %q", ErrForbiddenAddress, address)
	}
	a := ap.Addr()
	if c.opts.allowAddrPort != nil && c.opts.allowAddrPort(netip.AddrPortFrom(a.WithZone("").Unmap(), ap.Port())) {
		return nil
	}
	why := Classify(a)
	if why == "" || (c.opts.AllowLoopback && isLoopback(a)) {
		return nil
	}
	return fmt.Errorf("%w %s (%s)", ErrForbiddenAddress, address, why)
}

// guard checks the scheme of every request the client sends (the first and
// each redirect hop), sets the User-Agent, and bounds response bodies.
type guard struct {
	next    http.RoundTripper
	schemes map[string]bool
	allowed map[netip.AddrPort]bool // AllowAddrPorts: plain http allowed
	maxBody int64
	ua      string
	observe func(result string)
}

// result tells g.observe how a hop ended.
func (g *guard) result(resp *http.Response, err error) {
	if g.observe == nil {
		return
	}
	switch {
	case err == nil && resp.StatusCode >= 400:
		g.observe("http_error")
	case err == nil:
		g.observe("ok")
	case IsRefused(err):
		g.observe("refused")
	case errors.Is(err, ErrTooLarge):
		g.observe("too_large")
	default:
		g.observe("error")
	}
}

func (g *guard) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	defer func() { g.result(resp, err) }()
	if !g.schemes[strings.ToLower(req.URL.Scheme)] && !g.allowedHTTP(req.URL) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("%w %q", ErrForbiddenScheme, req.URL.Scheme)
	}
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", g.ua)
	}
	resp, err = g.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > g.maxBody {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: Content-Length %d exceeds %d", ErrTooLarge, resp.ContentLength, g.maxBody)
	}
	resp.Body = &limitedBody{rc: resp.Body, max: g.maxBody}
	return resp, nil
}

// allowedHTTP reports whether u is a plain-http URL to one of the
// AllowAddrPorts destinations, named by its IP literal.
func (g *guard) allowedHTTP(u *url.URL) bool {
	if len(g.allowed) == 0 || !strings.EqualFold(u.Scheme, "http") {
		return false
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	ap, err := netip.ParseAddrPort(net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return false
	}
	return g.allowed[netip.AddrPortFrom(ap.Addr().WithZone("").Unmap(), ap.Port())]
}

// limitedBody returns ErrTooLarge once more than max bytes would be read.
type limitedBody struct {
	rc  io.ReadCloser
	max int64
	n   int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.n > b.max {
		return 0, b.tooLarge()
	}
	if room := b.max - b.n + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.rc.Read(p)
	b.n += int64(n)
	if b.n > b.max {
		return n - int(b.n-b.max), b.tooLarge()
	}
	return n, err
}

func (b *limitedBody) tooLarge() error {
	return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, b.max)
}

func (b *limitedBody) Close() error { return b.rc.Close() }
