package safehttp

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// server is a loopback test server that counts the requests it saw.
type server struct {
	*httptest.Server
	hits atomic.Int64
}

func newServer(t *testing.T, tls bool, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if h != nil {
			h(w, r)
			return
		}
		fmt.Fprint(w, "ok")
	})
	if tls {
		s.Server = httptest.NewTLSServer(wrapped)
	} else {
		s.Server = httptest.NewServer(wrapped)
	}
	t.Cleanup(s.Close)
	return s
}

func (s *server) addrPort(t *testing.T) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

func (s *server) port() string {
	u, _ := url.Parse(s.URL)
	return u.Port()
}

var httpToo = []string{"http", "https"}

// ipv6Sockets reports whether this host can create IPv6 sockets; without
// them an IPv6 dial fails before the address check runs.
func ipv6Sockets() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestLoopbackRefusedByDefault(t *testing.T) {
	s := newServer(t, false, nil)
	c := New(Options{AllowedSchemes: httpToo})
	for _, u := range []string{
		s.URL + "/",
		"http://localhost:" + s.port() + "/", // name resolving to loopback
		"http://[::ffff:127.0.0.1]:" + s.port() + "/",
	} {
		_, err := c.Get(context.Background(), u, "")
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s: err = %v, want ErrForbiddenAddress", u, err)
		}
		if isTimeout(err) {
			t.Errorf("%s: refusal reported as timeout: %v", u, err)
		}
	}
	if n := s.hits.Load(); n != 0 {
		t.Fatalf("server saw %d requests, want 0", n)
	}
	// The same refusal through the *http.Client handed to libraries.
	resp, err := c.HTTPClient().Get(s.URL)
	if err == nil {
		resp.Body.Close()
	}
	if !errors.Is(err, ErrForbiddenAddress) || s.hits.Load() != 0 {
		t.Fatalf("HTTPClient: err = %v, hits = %d", err, s.hits.Load())
	}
}

func TestLoopbackAllowed(t *testing.T) {
	var ua, accept atomic.Value
	s := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		ua.Store(r.UserAgent())
		accept.Store(r.Header.Get("Accept"))
		w.Header().Set("Content-Type", "text/turtle")
		fmt.Fprint(w, "<a> <b> <c> .")
	})
	c := New(Options{AllowLoopback: true, AllowedSchemes: httpToo, UserAgent: "naamio-test"})
	r, err := c.Get(context.Background(), s.URL+"/card", "text/turtle")
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != 200 || string(r.Body) != "<a> <b> <c> ." || r.Header.Get("Content-Type") != "text/turtle" {
		t.Fatalf("unexpected response %+v", r)
	}
	if r.URL != s.URL+"/card" {
		t.Errorf("URL = %q", r.URL)
	}
	if ua.Load() != "naamio-test" || accept.Load() != "text/turtle" {
		t.Errorf("User-Agent %q, Accept %q", ua.Load(), accept.Load())
	}
	// AllowLoopback does not open private or link-local ranges.
	for _, u := range []string{"http://10.0.0.1/", "http://169.254.169.254/", "http://0.0.0.0:" + s.port() + "/"} {
		if _, err := c.Get(context.Background(), u, ""); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s with AllowLoopback: err = %v", u, err)
		}
	}
}

// TestRedirectRefusedAtDial lets the client reach exactly the origin server's
// address and port, then redirects to internal destinations. Each must be
// refused when dialled, and the loopback target must never see a request.
func TestRedirectRefusedAtDial(t *testing.T) {
	target := newServer(t, false, nil)
	tp := target.port()
	dests := []string{
		"http://[::ffff:127.0.0.1]:" + tp + "/",
		"http://127.0.0.1:" + tp + "/",
		"http://localhost:" + tp + "/",
		"http://0.0.0.0:" + tp + "/",
		"http://169.254.169.254/latest/meta-data/",
		"http://[::ffff:169.254.169.254]/latest/meta-data/",
		"http://10.0.0.1/",
	}
	if ipv6Sockets() {
		dests = append(dests, "http://[::1]:"+tp+"/", "http://[fd00::1]/", "http://[fe80::1]/")
	}
	origin := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/self" {
			http.Redirect(w, r, "/final", http.StatusFound)
			return
		}
		if r.URL.Path == "/final" {
			fmt.Fprint(w, "final")
			return
		}
		i, _ := strconv.Atoi(r.URL.Query().Get("i"))
		http.Redirect(w, r, dests[i], http.StatusFound)
	})
	oap := origin.addrPort(t)
	c := New(Options{
		AllowedSchemes: httpToo,
		Timeout:        2 * time.Second,
		allowAddrPort:  func(ap netip.AddrPort) bool { return ap == oap },
	})

	// Control: a redirect back to the origin is followed.
	r, err := c.Get(context.Background(), origin.URL+"/self", "")
	if err != nil || string(r.Body) != "final" {
		t.Fatalf("redirect to allowed origin: %v %+v", err, r)
	}

	for i, d := range dests {
		before := origin.hits.Load()
		start := time.Now()
		_, err := c.Get(context.Background(), origin.URL+"/?i="+strconv.Itoa(i), "")
		if !errors.Is(err, ErrForbiddenAddress) || !IsRefused(err) {
			t.Errorf("redirect to %s: err = %v, want ErrForbiddenAddress", d, err)
		}
		if time.Since(start) > time.Second {
			t.Errorf("redirect to %s: refusal took %v (dialled?)", d, time.Since(start))
		}
		if origin.hits.Load() != before+1 {
			t.Errorf("redirect to %s: origin not contacted exactly once", d)
		}
	}
	if n := target.hits.Load(); n != 0 {
		t.Fatalf("redirect target saw %d requests, want 0", n)
	}

	// Control: with loopback allowed the same redirect does reach the target,
	// so the refusal above is the dial check and not an unreachable address.
	open := New(Options{AllowedSchemes: httpToo, AllowLoopback: true})
	if _, err := open.Get(context.Background(), origin.URL+"/?i=0", ""); err != nil {
		t.Fatalf("control redirect: %v", err)
	}
	if target.hits.Load() != 1 {
		t.Fatalf("control redirect: target hits = %d, want 1", target.hits.Load())
	}
}

func TestSchemes(t *testing.T) {
	plain := newServer(t, false, nil)

	// Default: https only; nothing is sent for http.
	c := New(Options{AllowLoopback: true})
	if _, err := c.Get(context.Background(), plain.URL, ""); !errors.Is(err, ErrForbiddenScheme) || !IsRefused(err) {
		t.Fatalf("http by default: err = %v", err)
	}
	for _, u := range []string{"file:///etc/passwd", "ftp://example.org/", "gopher://127.0.0.1:70/"} {
		if _, err := c.Get(context.Background(), u, ""); !errors.Is(err, ErrForbiddenScheme) {
			t.Errorf("%s: err = %v", u, err)
		}
	}
	// AllowedSchemes cannot enable anything but http and https.
	odd := New(Options{AllowLoopback: true, AllowedSchemes: []string{"file"}})
	if _, err := odd.Get(context.Background(), "file:///etc/passwd", ""); !errors.Is(err, ErrForbiddenScheme) {
		t.Errorf("file scheme allowed: %v", err)
	}

	// https -> http downgrade on a redirect is refused per hop.
	secure := newServer(t, true, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			http.Redirect(w, r, plain.URL+"/", http.StatusFound)
			return
		}
		fmt.Fprint(w, "secure")
	})
	// TLS verification is on: the test certificate is not trusted.
	if _, err := c.Get(context.Background(), secure.URL, ""); err == nil {
		t.Fatal("untrusted certificate accepted")
	} else {
		var ua x509.UnknownAuthorityError
		if !errors.As(err, &ua) {
			t.Fatalf("untrusted certificate: unexpected error %v", err)
		}
	}
	tc := New(Options{AllowLoopback: true})
	tc.tr.TLSClientConfig.RootCAs = secure.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	r, err := tc.Get(context.Background(), secure.URL+"/", "")
	if err != nil || string(r.Body) != "secure" {
		t.Fatalf("https with trusted test CA: %v", err)
	}
	if _, err := tc.Get(context.Background(), secure.URL+"/down", ""); !errors.Is(err, ErrForbiddenScheme) {
		t.Fatalf("https->http redirect: err = %v", err)
	}
	if n := plain.hits.Load(); n != 0 {
		t.Fatalf("plain server saw %d requests, want 0", n)
	}
}

func TestBodyLimit(t *testing.T) {
	const max = 1000
	s := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		chunk := strings.Repeat("x", 100)
		for left := n; left > 0; left -= len(chunk) {
			if left < len(chunk) {
				chunk = chunk[:left]
			}
			io.WriteString(w, chunk)
			w.(http.Flusher).Flush()
		}
	})
	c := New(Options{AllowLoopback: true, AllowedSchemes: httpToo, MaxBody: max})
	for _, q := range []string{"", "&chunked=1"} {
		r, err := c.Get(context.Background(), s.URL+"/?n=1000"+q, "")
		if err != nil || len(r.Body) != max {
			t.Fatalf("exactly MaxBody%s: err %v", q, err)
		}
		for _, n := range []string{"1001", "5000000"} {
			if _, err := c.Get(context.Background(), s.URL+"/?n="+n+q, ""); !errors.Is(err, ErrTooLarge) {
				t.Errorf("n=%s%s: err = %v, want ErrTooLarge", n, q, err)
			}
		}
	}
	// The *http.Client handed to libraries is bounded too.
	resp, err := c.HTTPClient().Get(s.URL + "/?chunked=1&n=5000")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, ErrTooLarge) || len(b) > max {
		t.Fatalf("HTTPClient body: %d bytes, err %v", len(b), err)
	}
}

func TestRedirectLimit(t *testing.T) {
	s := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if n > 0 {
			http.Redirect(w, r, "/"+strconv.Itoa(n-1), http.StatusFound)
			return
		}
		fmt.Fprint(w, "end")
	})
	c := New(Options{AllowLoopback: true, AllowedSchemes: httpToo}) // default 3
	r, err := c.Get(context.Background(), s.URL+"/3", "")
	if err != nil || string(r.Body) != "end" || r.URL != s.URL+"/0" {
		t.Fatalf("3 redirects: %v %+v", err, r)
	}
	if _, err := c.Get(context.Background(), s.URL+"/4", ""); !errors.Is(err, ErrTooManyRedirects) {
		t.Fatalf("4 redirects: err = %v", err)
	}
	one := New(Options{AllowLoopback: true, AllowedSchemes: httpToo, MaxRedirects: 1})
	if _, err := one.Get(context.Background(), s.URL+"/2", ""); !errors.Is(err, ErrTooManyRedirects) {
		t.Fatalf("MaxRedirects 1, 2 redirects: err = %v", err)
	}
	none := New(Options{AllowLoopback: true, AllowedSchemes: httpToo, MaxRedirects: -1})
	r, err = none.Get(context.Background(), s.URL+"/1", "")
	if err != nil || r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/0" {
		t.Fatalf("MaxRedirects -1: %v %+v", err, r)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/body" {
			w.Header().Set("Content-Length", "10")
			io.WriteString(w, "abc")
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before s.Close
	c := New(Options{AllowLoopback: true, AllowedSchemes: httpToo, Timeout: 200 * time.Millisecond})
	for _, p := range []string{"/head", "/body"} {
		start := time.Now()
		_, err := c.Get(context.Background(), s.URL+p, "")
		el := time.Since(start)
		if err == nil || !isTimeout(err) {
			t.Errorf("%s: err = %v, want a timeout", p, err)
		}
		if IsRefused(err) {
			t.Errorf("%s: timeout reported as refusal", p)
		}
		if el > 2*time.Second {
			t.Errorf("%s: took %v", p, el)
		}
	}
	// A caller's context deadline also bounds the request.
	slow := New(Options{AllowLoopback: true, AllowedSchemes: httpToo, Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := slow.Get(ctx, s.URL+"/head", ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("context deadline: err = %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("context deadline: took %v", time.Since(start))
	}
}

func TestHeaderLimit(t *testing.T) {
	s := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Big", strings.Repeat("a", 2*maxResponseHeaderBytes))
	})
	c := New(Options{AllowLoopback: true, AllowedSchemes: httpToo})
	if _, err := c.Get(context.Background(), s.URL, ""); err == nil {
		t.Fatal("oversized response header accepted")
	}
}

func TestClientSettings(t *testing.T) {
	c := New(Options{})
	if c.tr.Proxy != nil {
		t.Error("transport uses a proxy")
	}
	if c.tr.TLSClientConfig.InsecureSkipVerify {
		t.Error("TLS verification off")
	}
	if c.hc.Jar != nil {
		t.Error("cookie jar set")
	}
	if c.opts.Timeout != DefaultTimeout || c.opts.MaxBody != DefaultMaxBody || c.opts.MaxRedirects != DefaultMaxRedirects {
		t.Errorf("defaults not applied: %+v", c.opts)
	}
	h := c.HTTPClient()
	h.Transport = http.DefaultTransport
	h.CheckRedirect = nil
	if c.HTTPClient().Transport == http.DefaultTransport || c.hc.CheckRedirect == nil {
		t.Error("HTTPClient copy shares fields with the Client")
	}
	// A proxy in the environment is ignored: the request is refused at dial
	// time instead of being sent to the proxy.
	proxy := newServer(t, false, nil)
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("HTTPS_PROXY", proxy.URL)
	pc := New(Options{AllowedSchemes: httpToo})
	if _, err := pc.Get(context.Background(), "http://10.1.2.3/", ""); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("with HTTP_PROXY set: err = %v", err)
	}
	if proxy.hits.Load() != 0 {
		t.Error("environment proxy was used")
	}
}

// AllowAddrPorts opens exactly the listed destinations, over plain http too,
// and nothing else: another loopback port stays refused, before any dial.
func TestAllowAddrPorts(t *testing.T) {
	allowed := newServer(t, false, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	other := newServer(t, false, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "other") })
	c := New(Options{Timeout: 2 * time.Second, AllowAddrPorts: []netip.AddrPort{allowed.addrPort(t)}})

	r, err := c.Get(context.Background(), allowed.URL+"/", "")
	if err != nil || string(r.Body) != "ok" {
		t.Fatalf("allowed destination: %v %+v", err, r)
	}
	if !c.Permits(allowed.URL + "/x") {
		t.Fatalf("Permits(%s) = false", allowed.URL)
	}
	if _, err := c.Get(context.Background(), other.URL+"/", ""); !errors.Is(err, ErrForbiddenScheme) {
		t.Fatalf("other loopback port over http: err = %v, want ErrForbiddenScheme", err)
	}
	for _, u := range []string{
		other.URL + "/",
		"http://10.0.0.1/",
		"https://127.0.0.1:1/",
		"https://[::1]/",
		"https://169.254.169.254/latest",
		"http://pod.example/",
		"ftp://pod.example/",
		"https://user@pod.example/",
		"/relative",
	} {
		if c.Permits(u) {
			t.Errorf("Permits(%q) = true", u)
		}
	}
	if !c.Permits("https://pod.example/card") {
		t.Error("Permits(https public host) = false")
	}
	if n := other.hits.Load(); n != 0 {
		t.Fatalf("the other server saw %d requests", n)
	}
}
