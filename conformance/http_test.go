package conformance

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
)

// Namespaces used by the assertions.
const (
	ldpNS     = "http://www.w3.org/ns/ldp#"
	pimNS     = "http://www.w3.org/ns/pim/space#"
	solidNS   = "http://www.w3.org/ns/solid/terms#"
	dctermsNS = "http://purl.org/dc/terms/"
	posixNS   = "http://www.w3.org/ns/posix/stat#"
	rdfType   = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
	xsdNS     = "http://www.w3.org/2001/XMLSchema#"

	relStorageDescription = solidNS + "storageDescription"

	ctTurtle   = "text/turtle"
	ctNTriples = "application/n-triples"
	ctJSONLD   = "application/ld+json"
)

// requestTimeout bounds every request made through do.
const requestTimeout = 30 * time.Second

var httpClient = &http.Client{
	Timeout: requestTimeout,
	Transport: &http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: 32,
		DisableCompression:  true,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// reply is a response with its body already read.
type reply struct {
	*http.Response
	body []byte
	url  string
}

func (r *reply) String() string {
	b := r.body
	if len(b) > 400 {
		b = b[:400]
	}
	return fmt.Sprintf("%s %s → %d %q", r.Request.Method, r.url, r.StatusCode, b)
}

// url turns a path ("/a/b" or "a/b") into an absolute URL on the server.
// Absolute URLs are returned unchanged.
func (s *server) url(p string) string {
	if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
		return p
	}
	return s.base + strings.TrimPrefix(p, "/")
}

// do sends one request signed as the owner (see doAs). kv are header
// name/value pairs; a nil body sends none. Content-Type is only sent when
// given. Transport errors fail the test.
func (s *server) do(t testing.TB, method, p string, body []byte, kv ...string) *reply {
	t.Helper()
	return s.doAs(t, owner, method, p, body, kv...)
}

// doAs is do as agent: with a DPoP-bound token and a fresh proof for the
// request's URL, or anonymous (no Authorization, no DPoP) when agent is nil.
func (s *server) doAs(t testing.TB, agent *testissuer.Agent, method, p string, body []byte, kv ...string) *reply {
	t.Helper()
	r, err := s.tryAs(agent, method, p, body, kv...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, p, err)
	}
	return r
}

// try is do without failing the test on transport errors.
func (s *server) try(method, p string, body []byte, kv ...string) (*reply, error) {
	return s.tryAs(owner, method, p, body, kv...)
}

// tryAs is doAs without failing the test. The proof is made before kv are
// applied, so kv can override Authorization or DPoP with hand-made values;
// a Host given in kv changes the Host header, never the signed htu (which
// the server must build from its configured base URL).
func (s *server) tryAs(agent *testissuer.Agent, method, p string, body []byte, kv ...string) (*reply, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	u := s.url(p)
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return nil, err
	}
	if agent != nil {
		if err := agent.Sign(req); err != nil {
			return nil, err
		}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		switch {
		case strings.EqualFold(kv[i], "Host"):
			req.Host = kv[i+1]
			continue
		case strings.EqualFold(kv[i], "Authorization"), strings.EqualFold(kv[i], "DPoP"):
			req.Header.Del(kv[i]) // an explicit value replaces the signature
		}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if !strings.EqualFold(kv[i], "Host") {
			req.Header.Add(kv[i], kv[i+1])
		}
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	return &reply{Response: resp, body: b, url: u}, nil
}

// expect fails the test unless the status is one of want.
func expect(t testing.TB, r *reply, want ...int) bool {
	t.Helper()
	for _, w := range want {
		if r.StatusCode == w {
			return true
		}
	}
	t.Errorf("want status %v, got %s", want, r)
	return false
}

// mustStatus is expect followed by FailNow.
func mustStatus(t testing.TB, r *reply, want ...int) {
	t.Helper()
	if !expect(t, r, want...) {
		t.FailNow()
	}
}

// Status sets used throughout.
var (
	created  = []int{http.StatusCreated}
	updated  = []int{http.StatusOK, http.StatusNoContent, http.StatusResetContent}
	written  = []int{http.StatusOK, http.StatusCreated, http.StatusNoContent, http.StatusResetContent}
	deleted  = []int{http.StatusOK, http.StatusNoContent, http.StatusAccepted}
	optionsO = []int{http.StatusOK, http.StatusNoContent}
)

var pathSeq atomic.Int64

// fresh returns a new unique container path for one test ("/t-name-N/").
func fresh(name string) string {
	clean := regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(name), "-")
	if len(clean) > 40 {
		clean = clean[:40]
	}
	return fmt.Sprintf("/t-%s-%d/", strings.Trim(clean, "-"), pathSeq.Add(1))
}

// put creates or replaces a resource and requires success.
func (s *server) put(t testing.TB, p, ct string, body []byte, kv ...string) *reply {
	t.Helper()
	r := s.do(t, http.MethodPut, p, body, append([]string{"Content-Type", ct}, kv...)...)
	mustStatus(t, r, written...)
	return r
}

// link is one Link header entry, target resolved against the request URL.
type link struct {
	target string
	rels   []string
}

var linkRe = regexp.MustCompile(`<([^>]*)>((?:\s*;\s*[^;,]+)*)`)
var paramRe = regexp.MustCompile(`;\s*([A-Za-z*-]+)\s*=\s*("[^"]*"|[^;,\s]+)`)

// links parses every Link header field of r.
func links(r *reply) []link {
	base, _ := url.Parse(r.url)
	var out []link
	for _, field := range r.Header.Values("Link") {
		for _, m := range linkRe.FindAllStringSubmatch(field, -1) {
			target := m[1]
			if ref, err := url.Parse(target); err == nil && base != nil {
				target = base.ResolveReference(ref).String()
			}
			l := link{target: target}
			for _, p := range paramRe.FindAllStringSubmatch(m[2], -1) {
				if strings.EqualFold(p[1], "rel") {
					l.rels = append(l.rels, strings.Fields(strings.Trim(p[2], `"`))...)
				}
			}
			out = append(out, l)
		}
	}
	return out
}

// linkTargets returns the targets of all links with relation rel.
func linkTargets(r *reply, rel string) []string {
	var out []string
	for _, l := range links(r) {
		for _, x := range l.rels {
			if x == rel {
				out = append(out, l.target)
			}
		}
	}
	return out
}

func hasLink(r *reply, rel, target string) bool {
	for _, x := range linkTargets(r, rel) {
		if x == target {
			return true
		}
	}
	return false
}

// tokens splits comma-separated header values (all fields) into a set of
// lower-cased tokens with parameters removed.
func tokens(h http.Header, name string) map[string]bool {
	out := map[string]bool{}
	for _, v := range h.Values(name) {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if i := strings.IndexByte(part, ';'); i >= 0 {
				part = strings.TrimSpace(part[:i])
			}
			if part != "" {
				out[strings.ToLower(part)] = true
			}
		}
	}
	return out
}

// mediaType is the Content-Type without parameters, lower-cased.
func mediaType(r *reply) string {
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// location resolves the Location header of r.
func location(t testing.TB, r *reply) string {
	t.Helper()
	loc := r.Header.Get("Location")
	if loc == "" {
		t.Fatalf("no Location header: %s", r)
	}
	base, _ := url.Parse(r.url)
	ref, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("bad Location %q: %v", loc, err)
	}
	return base.ResolveReference(ref).String()
}

// rawResult is what came back on a raw TCP exchange.
type rawResult struct {
	resp   *http.Response
	body   []byte
	err    error
	closed bool // the server closed the connection without a response
}

// raw is rawAs signed as the owner.
func (s *server) raw(head string, body io.Reader, limit time.Duration) rawResult {
	return s.rawAs(owner, head, body, limit)
}

// authLines returns "Authorization: DPoP …\r\nDPoP: …\r\n" for agent and a
// request line's method and target, with the htu the server derives from
// its base URL and the target's escaped path (as net/http parses it).
// Nil agent: "".
func (s *server) authLines(agent *testissuer.Agent, method, target string) string {
	if agent == nil {
		return ""
	}
	path := target
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if u, err := url.ParseRequestURI(target); err == nil && u.Host == "" {
		path = u.EscapedPath()
	}
	proof, err := agent.Key.Proof(method, strings.TrimSuffix(s.base, "/")+path, agent.Token, time.Now())
	if err != nil {
		panic(err) // signing with a freshly generated key does not fail
	}
	return "Authorization: DPoP " + agent.Token + "\r\nDPoP: " + proof + "\r\n"
}

// rawAs writes the request bytes exactly as given on a fresh connection
// (body from a reader, written concurrently so an early answer is still
// read) and reads one response, all within limit. When agent is not nil and
// head has no Authorization header, authLines for head's request line are
// inserted right after it; everything else stays byte for byte.
func (s *server) rawAs(agent *testissuer.Agent, head string, body io.Reader, limit time.Duration) rawResult {
	if agent != nil && !strings.Contains(strings.ToLower(head), "\r\nauthorization:") {
		if i := strings.Index(head, "\r\n"); i > 0 {
			if f := strings.Fields(head[:i]); len(f) == 3 {
				head = head[:i+2] + s.authLines(agent, f[0], f[1]) + head[i+2:]
			}
		}
	}
	conn, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		return rawResult{err: err}
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(limit))
	go func() {
		if c, ok := body.(io.Closer); ok {
			defer c.Close() // stops a producer such as chunked's
		}
		if _, err := io.WriteString(conn, head); err != nil {
			return
		}
		if body != nil {
			_, _ = io.Copy(conn, body)
		}
	}()
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		if err == io.EOF || errorsIsReset(err) {
			return rawResult{closed: true, err: err}
		}
		return rawResult{err: err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return rawResult{resp: resp, body: b}
}

func errorsIsReset(err error) bool {
	s := err.Error()
	return strings.Contains(s, "connection reset") || strings.Contains(s, "unexpected EOF") ||
		strings.Contains(s, "broken pipe")
}

// rawGet sends "GET <target> HTTP/1.1" with the target bytes untouched.
func (s *server) rawGet(target string) rawResult {
	head := "GET " + target + " HTTP/1.1\r\nHost: " + s.addr + "\r\nConnection: close\r\n\r\n"
	return s.raw(head, nil, 10*time.Second)
}

// repeatReader yields n bytes cycling over pattern, without holding them.
type repeatReader struct {
	pattern []byte
	n, off  int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && r.off < r.n {
		p[k] = r.pattern[r.off%int64(len(r.pattern))]
		k++
		r.off++
	}
	return k, nil
}

// chunked encodes r with the HTTP/1.1 chunked transfer coding.
func chunked(r io.Reader) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				if _, werr := fmt.Fprintf(pw, "%x\r\n%s\r\n", n, buf[:n]); werr != nil {
					pw.CloseWithError(werr)
					return
				}
			}
			if err == io.EOF {
				_, werr := io.WriteString(pw, "0\r\n\r\n")
				pw.CloseWithError(werr)
				return
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
	}()
	return pr
}

func bufioReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }
