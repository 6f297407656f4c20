package op

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/badgerstore"
)

// newKV returns the kv.Tokens namespace of a fresh Badger store in t.TempDir().
func newKV(t testing.TB) kv.KV {
	t.Helper()
	s, err := badgerstore.Open(t.TempDir(), badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	kv, err := s.KV(kv.Tokens)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

const loginPage = "https://login.example/interaction"

// fakeInteraction records the pending requests it is given.
type fakeInteraction struct {
	mu   sync.Mutex
	last *Pending
}

func (f *fakeInteraction) Begin(_ context.Context, p *Pending) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = p
	return loginPage + "?id=" + url.QueryEscape(p.ID), nil
}

// fakeCreds is a Credentials with one credential pair.
type fakeCreds struct{ id, secret, webID string }

func (f fakeCreds) Check(_ context.Context, id, secret string) (string, string, error) {
	if id != f.id || secret != f.secret {
		return "", "", ErrInvalidCredentials
	}
	return f.webID, credAccount, nil
}

// credAccount is the account fakeCreds' credential belongs to.
const credAccount = "acct-1"

type fakeSessions struct{ ended int }

func (f *fakeSessions) EndSession(w http.ResponseWriter, r *http.Request) error {
	f.ended++
	http.SetCookie(w, &http.Cookie{Name: "session", Value: "", MaxAge: -1})
	return nil
}

// testOP is a provider served by an httptest server whose URL is the issuer.
type testOP struct {
	p        *Provider
	srv      *httptest.Server
	ia       *fakeInteraction
	sessions *fakeSessions
	hc       *http.Client // does not follow redirects
}

const (
	credID     = "cred-1"
	credSecret = "s3cret-value"
)

func newTestOP(t testing.TB, webID string, mod func(*Options)) *testOP {
	t.Helper()
	var h http.Handler = http.NotFoundHandler()
	var mu sync.RWMutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.RLock()
		hh := h
		mu.RUnlock()
		// Like the server's access log: the request's id travels in its
		// context, for loggers that read it (testRequestID).
		hh.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), testRequestID{}, "test-request")))
	}))
	t.Cleanup(srv.Close)
	o := &testOP{srv: srv, ia: &fakeInteraction{}, sessions: &fakeSessions{}}
	opts := Options{
		Issuer:      srv.URL,
		KV:          newKV(t),
		Interaction: o.ia,
		Credentials: fakeCreds{id: credID, secret: credSecret, webID: webID},
		Sessions:    o.sessions,
	}
	if mod != nil {
		mod(&opts)
	}
	p, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	h = p
	mu.Unlock()
	o.p = p
	o.hc = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return o
}

func (o *testOP) url(path string) string { return o.srv.URL + path }

// register registers a client dynamically and returns the response.
func (o *testOP) register(t testing.TB, meta map[string]any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(meta)
	resp, err := o.hc.Post(o.url(PathRegister), "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %s", resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// pkce returns a verifier and its S256 challenge.
func pkce() (string, string) {
	v := randomToken(32)
	sum := sha256.Sum256([]byte(v))
	return v, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorize sends an authorization request and returns the response
// (redirects are not followed).
func (o *testOP) authorize(t testing.TB, q url.Values) *http.Response {
	t.Helper()
	resp, err := o.hc.Get(o.url(PathAuth) + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// tokenCall posts form to the token endpoint with a fresh DPoP proof by key
// (nil: no proof) and optional HTTP Basic credentials.
func (o *testOP) tokenCall(t testing.TB, form url.Values, key *testissuer.Key, basic ...string) (int, map[string]any) {
	t.Helper()
	return o.formCall(t, PathToken, form, key, basic...)
}

func (o *testOP) formCall(t testing.TB, path string, form url.Values, key *testissuer.Key, basic ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, o.url(path), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if key != nil {
		proof, err := key.Proof(http.MethodPost, o.url(path), "", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("DPoP", proof)
	}
	if len(basic) == 2 {
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
	}
	resp, err := o.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("%s: not JSON: %q", path, body)
		}
	}
	return resp.StatusCode, out
}

func newKey(t testing.TB) *testissuer.Key {
	t.Helper()
	k, err := testissuer.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// claims decodes a JWT's payload without verifying it.
func claims(t testing.TB, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func jsonDecode(resp *http.Response, v any) error {
	return json.NewDecoder(resp.Body).Decode(v)
}

func b64url(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// refreshingClient registers a public client that may refresh, logs in
// with offline_access and exchanges the code: it answers the client's id,
// its DPoP key and the token response (with a refresh token).
func (o *testOP) refreshingClient(t *testing.T) (clientID string, key *testissuer.Key, tok map[string]any) {
	t.Helper()
	reg := o.register(t, map[string]any{
		"redirect_uris": []string{testRedirect}, "grant_types": []string{"authorization_code", "refresh_token"},
		"token_endpoint_auth_method": "none",
	})
	clientID = reg["client_id"].(string)
	code, verifier := o.login(t, clientID, "openid webid offline_access")
	key = newKey(t)
	st, tok := o.tokenCall(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
		"code_verifier": {verifier}, "client_id": {clientID}}, key)
	if st != 200 {
		t.Fatalf("token: %d %v", st, tok)
	}
	return clientID, key, tok
}
