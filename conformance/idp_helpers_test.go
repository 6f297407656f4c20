package conformance

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
)

// Helpers for black-box tests of the identity provider: the OpenID
// Provider under /.oidc/, its pages under /.idp/ and the account API
// under /.account/, all driven over HTTP only.

// startIdPServer starts an extra server with flags and with env added to
// its environment (e.g. SSL_CERT_FILE), stopped at the end of the test.
// The environment of this process is changed only while the server is
// launched, so env must not be used from a parallel test.
func startIdPServer(t *testing.T, env []string, flags ...string) *server {
	t.Helper()
	type saved struct {
		k, v string
		ok   bool
	}
	var restore []saved
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		old, ok := os.LookupEnv(k)
		restore = append(restore, saved{k, old, ok})
		os.Setenv(k, v)
	}
	s, err := startServer(naamioBin, filepath.Join(t.TempDir(), "data"), flags...)
	for _, r := range restore {
		if r.ok {
			os.Setenv(r.k, r.v)
		} else {
			os.Unsetenv(r.k)
		}
	}
	if err != nil {
		t.Fatalf("server with %v: %v", flags, err)
	}
	t.Cleanup(func() {
		if s.exited() {
			return
		}
		if err := s.stop(); err != nil {
			t.Errorf("stop: %v\n%s", err, s.logTail())
		}
	})
	return s
}

// browser is a cookie-keeping HTTP client that never follows redirects,
// optionally sending from a chosen loopback source address (127.0.0.x),
// which is the address the server's login rate limits count.
type browser struct {
	c *http.Client
}

func newBrowser(t testing.TB, fromIP string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &net.Dialer{Timeout: 10 * time.Second}
	if fromIP != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(fromIP)}
	}
	tr := &http.Transport{Proxy: nil, DialContext: d.DialContext, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &browser{c: &http.Client{
		Timeout:       requestTimeout,
		Transport:     tr,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// send sends one request; kv are header name/value pairs.
func (b *browser) send(t testing.TB, method, u string, body io.Reader, kv ...string) *reply {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		t.Fatalf("%s %s: reading: %v", method, u, err)
	}
	return &reply{Response: resp, body: data, url: u}
}

func (b *browser) get(t testing.TB, u string) *reply {
	t.Helper()
	return b.send(t, http.MethodGet, u, nil)
}

func (b *browser) postForm(t testing.TB, u string, v url.Values) *reply {
	t.Helper()
	return b.send(t, http.MethodPost, u, strings.NewReader(v.Encode()),
		"Content-Type", "application/x-www-form-urlencoded")
}

func (b *browser) postJSON(t testing.TB, u string, v any) *reply {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b.send(t, http.MethodPost, u, strings.NewReader(string(data)), "Content-Type", "application/json")
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// hiddenFields are the hidden inputs of an HTML page (the first value of
// each name).
func hiddenFields(page []byte) url.Values {
	v := url.Values{}
	for _, m := range hiddenRe.FindAllSubmatch(page, -1) {
		name := html.UnescapeString(string(m[1]))
		if !v.Has(name) {
			v.Set(name, html.UnescapeString(string(m[2])))
		}
	}
	return v
}

// pkce is a PKCE verifier and its S256 challenge (RFC 7636).
func pkce() (verifier, challenge string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// randomHex is a short random string for unique names.
func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// jsonObject decodes a JSON object body, failing the test otherwise.
func jsonObject(t testing.TB, r *reply) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, r)
	}
	return m
}

// oidcClient is a client registered at POST /.oidc/reg.
type oidcClient struct {
	id, secret, redirect string
}

// registerClient registers a client (RFC 7591) with metadata md.
func registerClient(t testing.TB, s *server, md map[string]any) oidcClient {
	t.Helper()
	b, _ := json.Marshal(md)
	r := s.doAs(t, nil, http.MethodPost, "/.oidc/reg", b, "Content-Type", "application/json")
	mustStatus(t, r, http.StatusCreated)
	m := jsonObject(t, r)
	c := oidcClient{}
	c.id, _ = m["client_id"].(string)
	c.secret, _ = m["client_secret"].(string)
	if uris, _ := m["redirect_uris"].([]any); len(uris) > 0 {
		c.redirect, _ = uris[0].(string)
	}
	if c.id == "" {
		t.Fatalf("registration without client_id: %s", r)
	}
	return c
}

// publicClient registers a public client (token_endpoint_auth_method none)
// with the code and refresh grants and one loopback redirect URI that
// nothing listens on (the tests stop at the Location header).
func publicClient(t testing.TB, s *server) oidcClient {
	t.Helper()
	return registerClient(t, s, map[string]any{
		"client_name":                "row-test " + randomHex(),
		"redirect_uris":              []string{"http://127.0.0.1:9/cb-" + randomHex()},
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"token_endpoint_auth_method": "none",
	})
}

// authParams are the parameters of a well-formed authorization request.
func authQuery(clientID, redirect, challenge, scope string, extra ...string) url.Values {
	v := url.Values{
		"response_type":         {"code"},
		"client_id":             {clientID},
		"redirect_uri":          {redirect},
		"scope":                 {scope},
		"state":                 {"st-" + randomHex()},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			v.Del(extra[i])
		} else {
			v.Set(extra[i], extra[i+1])
		}
	}
	return v
}

// onServer reports whether location (absolute or a path) points at s.
func onServer(s *server, location string) bool {
	if strings.HasPrefix(location, "/") && !strings.HasPrefix(location, "//") {
		return true
	}
	return strings.HasPrefix(location, s.base)
}

// account is an account made through the account API, with its password.
type idpAccount struct {
	cssAccount
	email, password string
}

// newIdPAccount makes an account with a pod on s (accountAPI's password).
func newIdPAccount(t *testing.T, s *server, name string) idpAccount {
	t.Helper()
	suffix := randomHex()
	email := name + "-" + suffix + "@example.org"
	a := accountAPI(t, s, email, name+"-"+suffix, false)
	return idpAccount{cssAccount: a, email: email, password: "correct horse battery staple"}
}

// flow is one authorization request driven through the pages by one
// browser.
type flow struct {
	s        *server
	b        *browser
	client   oidcClient
	verifier string
	state    string
}

// authorize sends the authorization request and follows the server's own
// redirects until it shows a page (login or consent) or redirects away.
// It returns the last reply.
func (f *flow) authorize(t testing.TB, q url.Values) *reply {
	t.Helper()
	f.state = q.Get("state")
	return f.follow(t, f.b.get(t, f.s.url("/.oidc/auth?"+q.Encode())))
}

// follow follows 3xx answers that stay on the server.
func (f *flow) follow(t testing.TB, r *reply) *reply {
	t.Helper()
	for i := 0; i < 10; i++ {
		loc := r.Header.Get("Location")
		if r.StatusCode < 300 || r.StatusCode > 399 || loc == "" || !onServer(f.s, loc) {
			return r
		}
		u, err := url.Parse(r.url)
		if err != nil {
			t.Fatal(err)
		}
		next, err := u.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		r = f.b.get(t, next.String())
	}
	t.Fatalf("too many redirects, last %s", r)
	return nil
}

// submit posts the page's hidden fields plus extra to action on the server.
func (f *flow) submit(t testing.TB, page *reply, action string, extra url.Values) *reply {
	t.Helper()
	v := hiddenFields(page.body)
	for k, vals := range extra {
		v[k] = vals
	}
	return f.follow(t, f.b.postForm(t, f.s.url(action), v))
}

// codeFrom returns the code of a redirect to the client's redirect URI,
// failing the test otherwise (state and iss are checked too).
func (f *flow) codeFrom(t testing.TB, r *reply) string {
	t.Helper()
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther && r.StatusCode != http.StatusFound || !strings.HasPrefix(loc, f.client.redirect+"?") {
		t.Fatalf("want a redirect to %s with a code, got %s (Location %q)", f.client.redirect, r, loc)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("state") != f.state {
		t.Errorf("state %q, want %q", q.Get("state"), f.state)
	}
	if q.Get("iss") != strings.TrimSuffix(f.s.base, "/") {
		t.Errorf("iss %q, want %q", q.Get("iss"), strings.TrimSuffix(f.s.base, "/"))
	}
	if q.Get("code") == "" {
		t.Fatalf("no code in %q", loc)
	}
	return q.Get("code")
}

// getCode runs the whole flow for acct: authorization request, log-in
// form, consent form when shown, and returns the code. extra changes
// authorization parameters (authQuery).
func getCode(t testing.TB, s *server, b *browser, c oidcClient, acct idpAccount, scope string, extra ...string) (code, verifier string) {
	t.Helper()
	f := &flow{s: s, b: b, client: c}
	var challenge string
	f.verifier, challenge = pkce()
	r := f.authorize(t, authQuery(c.id, c.redirect, challenge, scope, extra...))
	if r.StatusCode == http.StatusOK && strings.Contains(r.url, "/.idp/login") {
		r = f.submit(t, r, "/.idp/login", url.Values{"email": {acct.email}, "password": {acct.password}})
	}
	if r.StatusCode == http.StatusOK && strings.Contains(r.url, "/.idp/consent") {
		r = f.submit(t, r, "/.idp/consent", url.Values{"decision": {"approve"}})
	}
	return f.codeFrom(t, r), f.verifier
}

// tokenEndpoint is the token endpoint URL of s (also the DPoP htu).
func tokenEndpoint(s *server) string { return strings.TrimSuffix(s.base, "/") + "/.oidc/token" }

// tokenRequest posts form to the token endpoint with a fresh DPoP proof
// made with key (nil: no proof) and, when basicID is set, HTTP Basic
// client authentication.
func tokenRequest(t testing.TB, s *server, key *testissuer.Key, form url.Values, basicID, basicSecret string) *reply {
	t.Helper()
	kv := []string{"Content-Type", "application/x-www-form-urlencoded"}
	if key != nil {
		p, err := key.Proof(http.MethodPost, tokenEndpoint(s), "", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		kv = append(kv, "DPoP", p)
	}
	if basicID != "" {
		kv = append(kv, "Authorization", "Basic "+base64.StdEncoding.EncodeToString(
			[]byte(url.QueryEscape(basicID)+":"+url.QueryEscape(basicSecret))))
	}
	return s.doAs(t, nil, http.MethodPost, tokenEndpoint(s), []byte(form.Encode()), kv...)
}

// oauthErrorIs checks a 400 token-endpoint error with the given code.
func oauthErrorIs(t testing.TB, r *reply, code string) bool {
	t.Helper()
	// RFC 6749 §5.2: 400, or 401 for invalid_client.
	if r.StatusCode != http.StatusBadRequest && !(code == "invalid_client" && r.StatusCode == http.StatusUnauthorized) {
		t.Errorf("want 400 %s, got %s", code, r)
		return false
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error != code {
		t.Errorf("want error %q, got %s", code, r)
		return false
	}
	return true
}

// tokenSet is a successful token response.
type tokenSet struct {
	Access  string `json:"access_token"`
	Type    string `json:"token_type"`
	Refresh string `json:"refresh_token"`
	ID      string `json:"id_token"`
}

func tokensOf(t testing.TB, r *reply) tokenSet {
	t.Helper()
	mustStatus(t, r, http.StatusOK)
	var tk tokenSet
	if err := json.Unmarshal(r.body, &tk); err != nil || tk.Access == "" || tk.Type != "DPoP" {
		t.Fatalf("token response: %v: %s", err, r)
	}
	return tk
}

// readWith GETs p on s with a DPoP-bound access token made for key.
func readWith(t testing.TB, s *server, key *testissuer.Key, token, p string) *reply {
	t.Helper()
	u := s.url(p)
	proof, err := key.Proof(http.MethodGet, u, token, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return s.doAs(t, nil, http.MethodGet, u, nil, "Authorization", "DPoP "+token, "DPoP", proof)
}

// smtpSink is a minimal SMTP server on 127.0.0.1 that keeps every message.
type smtpSink struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []string
	got  chan struct{}
	wg   sync.WaitGroup
}

func newSMTPSink(t testing.TB) *smtpSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{ln: ln, got: make(chan struct{}, 16)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.session(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *smtpSink) addr() string { return s.ln.Addr().String() }

func (s *smtpSink) session(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	rd := bufio.NewReader(c)
	say := func(line string) { _, _ = io.WriteString(c, line+"\r\n") }
	say("220 sink ESMTP")
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 sink")
		case strings.HasPrefix(cmd, "DATA"):
			say("354 go on")
			var b strings.Builder
			for {
				l, err := rd.ReadString('\n')
				if err != nil {
					return
				}
				if strings.TrimRight(l, "\r\n") == "." {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, b.String())
			s.mu.Unlock()
			select {
			case s.got <- struct{}{}:
			default:
			}
			say("250 kept")
		case strings.HasPrefix(cmd, "QUIT"):
			say("221 bye")
			return
		default: // MAIL, RCPT, RSET, NOOP
			say("250 ok")
		}
	}
}

// waitFor returns the first kept message containing want, waiting at most
// limit.
func (s *smtpSink) waitFor(want string, limit time.Duration) (string, bool) {
	deadline := time.After(limit)
	for {
		s.mu.Lock()
		for _, m := range s.msgs {
			if strings.Contains(m, want) {
				s.mu.Unlock()
				return m, true
			}
		}
		s.mu.Unlock()
		select {
		case <-s.got:
		case <-deadline:
			return "", false
		case <-time.After(100 * time.Millisecond):
		}
	}
}
