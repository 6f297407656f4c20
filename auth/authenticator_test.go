package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/naamio/naamio/internal/safehttp"
)

const podBase = "https://pod.example"

// idpServer is a Solid-OIDC issuer on 127.0.0.1: discovery, a JWKS with
// real ES256 keys, and WebID profiles. It counts every request by path.
type idpServer struct {
	srv *httptest.Server
	mu  sync.Mutex
	// keys published in the JWKS, by kid.
	keys map[string]*ecdsa.PrivateKey
	// profiles: path -> turtle body.
	profiles map[string]string
	hits     map[string]int
	status   int // if non-zero, every response has this status
}

func newIDPServer(t testing.TB) *idpServer {
	t.Helper()
	ti := &idpServer{keys: map[string]*ecdsa.PrivateKey{}, profiles: map[string]string{}, hits: map[string]int{}}
	ti.srv = httptest.NewServer(http.HandlerFunc(ti.serve))
	t.Cleanup(ti.srv.Close)
	ti.keys["k1"] = genKey(t)
	ti.addProfile("/alice/profile/card", "<"+ti.iss()+"/>") // trailing slash: compared after trimming
	ti.addProfile("/bob/card", "<https://other-idp.example>")
	return ti
}

func genKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (ti *idpServer) iss() string { return ti.srv.URL }

func (ti *idpServer) webID(path string) string { return ti.srv.URL + path + "#me" }

func (ti *idpServer) addProfile(path, issuers string) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.profiles[path] = "@prefix solid: <http://www.w3.org/ns/solid/terms#> .\n" +
		"@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n" +
		"<#me> a foaf:Person ; foaf:name \"Test\" ; solid:oidcIssuer " + issuers + " .\n"
}

func (ti *idpServer) setKeys(keys map[string]*ecdsa.PrivateKey) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.keys = keys
}

func (ti *idpServer) key(kid string) *ecdsa.PrivateKey {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	return ti.keys[kid]
}

func (ti *idpServer) count(path string) int {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	return ti.hits[path]
}

func (ti *idpServer) total() int {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	n := 0
	for _, v := range ti.hits {
		n += v
	}
	return n
}

func (ti *idpServer) serve(w http.ResponseWriter, r *http.Request) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.hits[r.URL.Path]++
	if ti.status != 0 {
		w.WriteHeader(ti.status)
		return
	}
	switch p := r.URL.Path; {
	case p == "/.well-known/openid-configuration":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": ti.srv.URL, "jwks_uri": ti.srv.URL + "/jwks"})
	case p == "/jwks":
		set := jwk.NewSet()
		for kid, k := range ti.keys {
			pk, err := jwk.FromRaw(k.Public())
			if err != nil {
				panic(err)
			}
			_ = pk.Set(jwk.KeyIDKey, kid)
			_ = pk.Set(jwk.KeyUsageKey, "sig")
			_ = pk.Set(jwk.AlgorithmKey, jwa.ES256)
			_ = set.AddKey(pk)
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_ = json.NewEncoder(w).Encode(set)
	case ti.profiles[p] != "":
		w.Header().Set("Content-Type", "text/turtle; charset=utf-8")
		_, _ = w.Write([]byte(ti.profiles[p]))
	default:
		http.NotFound(w, r)
	}
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func loopbackClient() *safehttp.Client {
	return safehttp.New(safehttp.Options{AllowLoopback: true, AllowedSchemes: []string{"http", "https"}, Timeout: 2 * time.Second})
}

type fixture struct {
	ti    *idpServer
	clock *fakeClock
	a     *Authenticator
	dpop  *ecdsa.PrivateKey // the client's DPoP key
	jkt   string
}

func newFixture(t testing.TB, client *safehttp.Client) *fixture {
	t.Helper()
	f := &fixture{ti: newIDPServer(t), clock: &fakeClock{t: testNow}, dpop: genKey(t)}
	f.jkt = thumbprint(t, f.dpop.Public())
	if client == nil {
		client = loopbackClient()
	}
	f.a = NewAuthenticator(AuthOptions{BaseURL: podBase, Client: client, Now: f.clock.Now})
	return f
}

// claims returns valid access-token claims for iss/webid bound to f's key.
func (f *fixture) claims(iss, webid string) map[string]any {
	now := f.clock.Now()
	return map[string]any{
		"iss": iss, "aud": []string{"solid", "https://app.example/id"},
		"webid": webid, "client_id": "https://app.example/id", "sub": "alice",
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
		"jti": nextJTI(), "cnf": map[string]any{"jkt": f.jkt},
	}
}

// mint signs claims with the issuer key kid (ES256, jwx signer).
func mint(t testing.TB, claims map[string]any, kid string, key crypto.Signer) string {
	t.Helper()
	return compact(t, map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": kid}, claims, jwa.ES256, key)
}

// token is a valid token from f's issuer for Alice.
func (f *fixture) token(t testing.TB) string {
	return mint(t, f.claims(f.ti.iss(), f.ti.webID("/alice/profile/card")), "k1", f.ti.key("k1"))
}

// request builds GET podBase+path with a fresh proof for htu.
func (f *fixture) request(t testing.TB, method, path, htu, token string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	r.Header.Set("Authorization", "DPoP "+token)
	r.Header.Set("DPoP", f.proof(t, method, htu, token))
	return r
}

func (f *fixture) proof(t testing.TB, method, htu, token string) string {
	return compact(t, proofHeader(t, "ES256", f.dpop), proofClaimsFor(method, htu, token, f.clock.Now()), jwa.ES256, f.dpop)
}

func wantUnauth(t *testing.T, err error, fragment string) {
	t.Helper()
	if !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("err = %v, want ErrUnauthenticated", err)
	}
	if errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v matches ErrUnavailable too", err)
	}
	if fragment != "" && !strings.Contains(err.Error(), fragment) {
		t.Fatalf("err = %q, want it to mention %q", err, fragment)
	}
}

func TestAuthenticateValidAndCached(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token(t)
	ctx := context.Background()
	agent, err := f.a.Authenticate(ctx, f.request(t, "GET", "/alice/notes/", podBase+"/alice/notes/", tok))
	if err != nil {
		t.Fatal(err)
	}
	want := Agent{WebID: f.ti.webID("/alice/profile/card"), Issuer: f.ti.iss(), ClientID: "https://app.example/id"}
	if agent != want {
		t.Fatalf("agent = %+v, want %+v", agent, want)
	}
	for _, p := range []string{"/alice/profile/card", "/.well-known/openid-configuration", "/jwks"} {
		if n := f.ti.count(p); n != 1 {
			t.Fatalf("%s fetched %d times, want 1", p, n)
		}
	}
	before := f.ti.total()

	// Same token, new proof, other method and path: token cache hit.
	f.clock.Advance(10 * time.Second)
	r := f.request(t, "PUT", "/alice/notes/x%20y.ttl", podBase+"/alice/notes/x%20y.ttl", tok)
	if a2, err := f.a.Authenticate(ctx, r); err != nil || a2 != want {
		t.Fatalf("cached: agent %+v err %v", a2, err)
	}
	// A new token for the same WebID and issuer: profile and JWKS caches.
	if _, err := f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", f.token(t))); err != nil {
		t.Fatal(err)
	}
	if n := f.ti.total() - before; n != 0 {
		t.Fatalf("%d fetches on the cached paths, want 0", n)
	}
	if f.a.tokens.Len() != 2 || f.a.profiles.len() != 1 || f.a.issuers.len() != 1 {
		t.Fatalf("cache sizes: tokens %d profiles %d issuers %d", f.a.tokens.Len(), f.a.profiles.len(), f.a.issuers.len())
	}

	// After CacheTTL everything is checked again (token cache entries are
	// capped at CacheTTL, so a WebID dropping the issuer is noticed).
	f.clock.Advance(DefaultCacheTTL + time.Second)
	if _, err := f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", tok)); err != nil {
		t.Fatal(err)
	}
	if n := f.ti.total() - before; n != 3 {
		t.Fatalf("%d fetches after the TTL, want 3", n)
	}
}

func TestAuthenticateAnonymous(t *testing.T) {
	f := newFixture(t, nil)
	r := httptest.NewRequest("GET", "/alice/", nil)
	r.Header.Set("DPoP", f.proof(t, "GET", podBase+"/alice/", "")) // proof without a token: ignored
	agent, err := f.a.Authenticate(context.Background(), r)
	if err != nil || agent != (Agent{}) || !agent.Anonymous() {
		t.Fatalf("agent %+v err %v, want anonymous", agent, err)
	}
	if got := WWWAuthenticate(nil); got != `DPoP algs="ES256 PS256 RS256 EdDSA"` {
		t.Fatalf("WWWAuthenticate(nil) = %q", got)
	}
	if f.ti.total() != 0 {
		t.Fatal("anonymous request fetched something")
	}
}

// SECURITY row 32.
func TestAuthenticateWebIDDoesNotListIssuer(t *testing.T) {
	f := newFixture(t, nil)
	tok := mint(t, f.claims(f.ti.iss(), f.ti.webID("/bob/card")), "k1", f.ti.key("k1"))
	_, err := f.a.Authenticate(context.Background(), f.request(t, "GET", "/x", podBase+"/x", tok))
	wantUnauth(t, err, "does not list the issuer")
	if got := WWWAuthenticate(err); got != `DPoP algs="ES256 PS256 RS256 EdDSA", error="invalid_token"` {
		t.Fatalf("WWWAuthenticate = %q", got)
	}
	if f.ti.count("/bob/card") != 1 || f.ti.count("/.well-known/openid-configuration") != 0 || f.ti.count("/jwks") != 0 {
		t.Fatalf("fetches: %v", f.ti.hits)
	}
	// Refused again from the cached profile, without a fetch.
	_, err = f.a.Authenticate(context.Background(), f.request(t, "GET", "/x", podBase+"/x", tok))
	wantUnauth(t, err, "does not list the issuer")
	if f.ti.total() != 1 {
		t.Fatalf("fetches: %v", f.ti.hits)
	}
	// A WebID whose document is missing.
	tok = mint(t, f.claims(f.ti.iss(), f.ti.webID("/nobody")), "k1", f.ti.key("k1"))
	_, err = f.a.Authenticate(context.Background(), f.request(t, "GET", "/x", podBase+"/x", tok))
	wantUnauth(t, err, "unexpected status")
}

func TestAuthenticateUnknownKeyRefetchesOnce(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	if _, err := f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", f.token(t))); err != nil {
		t.Fatal(err)
	}
	if f.ti.count("/jwks") != 1 {
		t.Fatal("JWKS not fetched once")
	}
	f.clock.Advance(DefaultJWKSRefetchInterval + time.Second)
	rogue := genKey(t)
	bad := mint(t, f.claims(f.ti.iss(), f.ti.webID("/alice/profile/card")), "rogue", rogue)
	_, err := f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", bad))
	wantUnauth(t, err, "kid not in the issuer key set")
	if n := f.ti.count("/jwks"); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2 (exactly one refetch)", n)
	}
	// Within the refetch interval another unknown kid causes no fetch.
	_, err = f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", bad))
	wantUnauth(t, err, "kid not in the issuer key set")
	// A known kid with the wrong key: bad signature, no refetch.
	forged := mint(t, f.claims(f.ti.iss(), f.ti.webID("/alice/profile/card")), "k1", rogue)
	_, err = f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", forged))
	wantUnauth(t, err, "bad signature")
	if n := f.ti.count("/jwks"); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
}

func TestAuthenticateUnknownKeyColdNoRefetch(t *testing.T) {
	f := newFixture(t, nil)
	bad := mint(t, f.claims(f.ti.iss(), f.ti.webID("/alice/profile/card")), "rogue", genKey(t))
	_, err := f.a.Authenticate(context.Background(), f.request(t, "GET", "/", podBase+"/", bad))
	wantUnauth(t, err, "kid not in the issuer key set")
	if n := f.ti.count("/jwks"); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1 (just fetched: no refetch)", n)
	}
}

func TestAuthenticateKeyRotation(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	if _, err := f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", f.token(t))); err != nil {
		t.Fatal(err)
	}
	k2 := genKey(t)
	f.ti.setKeys(map[string]*ecdsa.PrivateKey{"k2": k2})
	f.clock.Advance(DefaultJWKSRefetchInterval + time.Second)
	tok := mint(t, f.claims(f.ti.iss(), f.ti.webID("/alice/profile/card")), "k2", k2)
	agent, err := f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", tok))
	if err != nil {
		t.Fatal(err)
	}
	if agent.WebID != f.ti.webID("/alice/profile/card") {
		t.Fatalf("agent %+v", agent)
	}
	if n := f.ti.count("/jwks"); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
	// The rotated set is now cached: another k2 token needs no fetch.
	before := f.ti.total()
	tok2 := mint(t, f.claims(f.ti.iss(), f.ti.webID("/alice/profile/card")), "k2", k2)
	if _, err := f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", tok2)); err != nil {
		t.Fatal(err)
	}
	if f.ti.total() != before {
		t.Fatal("fetched after rotation was cached")
	}
}

// SECURITY row 31: nothing is fetched for an unsigned token or for a
// webid/iss at an internal address.
func TestAuthenticateNoFetchForInternalTargets(t *testing.T) {
	// A client WITHOUT AllowLoopback: the loopback test server stands in for
	// an internal service on another port; count its requests.
	strict := safehttp.New(safehttp.Options{AllowedSchemes: []string{"http", "https"}, Timeout: 2 * time.Second})
	f := newFixture(t, strict)
	loop := f.ti.srv.URL // http://127.0.0.1:<port>
	targets := []struct{ iss, webid string }{
		{"http://10.0.0.1", "http://10.0.0.1/card#me"},
		{"http://169.254.169.254", "http://169.254.169.254/latest/meta-data#me"},
		{"https://idp.example", "http://169.254.169.254/card#me"},
		{"http://[::ffff:10.0.0.1]", "https://pod.example/card#me"},
		{"http://[fd00::1]:8080", "https://pod.example/card#me"},
		{loop, loop + "/alice/profile/card#me"},
	}
	ctx := context.Background()
	for _, tc := range targets {
		// Unsigned (alg none).
		none := compact(t, map[string]any{"alg": "none", "typ": "at+jwt"}, f.claims(tc.iss, tc.webid), "", nil)
		start := time.Now()
		_, err := f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", none))
		wantUnauth(t, err, "")
		// Signed by a key nobody publishes: still refused before any fetch,
		// loopback included (the client's Permits, no socket at all).
		signed := mint(t, f.claims(tc.iss, tc.webid), "k1", genKey(t))
		_, err = f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", signed))
		wantUnauth(t, err, "")
		if d := time.Since(start); d > time.Second {
			t.Fatalf("%s: took %v (a connection was attempted?)", tc.iss, d)
		}
		if !strings.Contains(err.Error(), "of a public host") {
			t.Fatalf("%s: err = %v", tc.iss, err)
		}
	}
	if n := f.ti.total(); n != 0 {
		t.Fatalf("%d requests reached the loopback server, want 0", n)
	}

	// An https-only client refuses http iss/webid before fetching.
	f2 := newFixture(t, safehttp.New(safehttp.Options{AllowLoopback: true}))
	_, err := f2.a.Authenticate(ctx, f2.request(t, "GET", "/", podBase+"/", f2.token(t)))
	wantUnauth(t, err, "is not an https URL")
	if n := f2.ti.total(); n != 0 {
		t.Fatalf("%d requests with an https-only client, want 0", n)
	}
}

// Cheap checks run before any fetch: a token bound to another key, an
// expired token, or a bad proof cost no request.
func TestAuthenticateCheapChecksFirst(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	cl := f.claims(f.ti.iss(), f.ti.webID("/alice/profile/card"))
	cl["cnf"] = map[string]any{"jkt": thumbprint(t, genKey(t).Public())}
	_, err := f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", mint(t, cl, "k1", f.ti.key("k1"))))
	wantUnauth(t, err, "cnf.jkt")

	cl = f.claims(f.ti.iss(), f.ti.webID("/alice/profile/card"))
	cl["exp"] = f.clock.Now().Add(-time.Hour).Unix()
	_, err = f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", mint(t, cl, "k1", f.ti.key("k1"))))
	wantUnauth(t, err, "expired")

	r := f.request(t, "GET", "/", podBase+"/", f.token(t))
	r.Header.Set("DPoP", f.proof(t, "GET", podBase+"/", "other-token")) // wrong ath
	_, err = f.a.Authenticate(ctx, r)
	wantUnauth(t, err, "ath")
	if got := WWWAuthenticate(err); !strings.HasSuffix(got, `error="invalid_dpop_proof"`) {
		t.Fatalf("WWWAuthenticate = %q", got)
	}

	r = f.request(t, "GET", "/", podBase+"/", f.token(t))
	r.Header.Del("DPoP")
	_, err = f.a.Authenticate(ctx, r)
	wantUnauth(t, err, "DPoP header")

	r = f.request(t, "GET", "/", podBase+"/", f.token(t))
	r.Header.Add("DPoP", f.proof(t, "GET", podBase+"/", f.token(t)))
	_, err = f.a.Authenticate(ctx, r)
	wantUnauth(t, err, "DPoP header")
	if n := f.ti.total(); n != 0 {
		t.Fatalf("%d fetches, want 0", n)
	}
}

// SECURITY row 28.
func TestAuthenticateHTU(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	tok := f.token(t)
	// Proof for another host.
	_, err := f.a.Authenticate(ctx, f.request(t, "GET", "/alice/", "https://evil.example/alice/", tok))
	wantUnauth(t, err, "htu")
	// Spoofed Host header with a proof matching it.
	r := f.request(t, "GET", "/alice/", "https://evil.example/alice/", tok)
	r.Host = "evil.example"
	_, err = f.a.Authenticate(ctx, r)
	wantUnauth(t, err, "htu")
	// Absolute-form request URI naming another host: its host is ignored too.
	r = f.request(t, "GET", "https://evil.example/alice/", "https://evil.example/alice/", tok)
	_, err = f.a.Authenticate(ctx, r)
	wantUnauth(t, err, "htu")
	// Other path or method.
	_, err = f.a.Authenticate(ctx, f.request(t, "GET", "/alice/", podBase+"/bob/", tok))
	wantUnauth(t, err, "htu")
	r = f.request(t, "GET", "/alice/", podBase+"/alice/", tok)
	r.Method = "DELETE"
	_, err = f.a.Authenticate(ctx, r)
	wantUnauth(t, err, "htm")
	if n := f.ti.total(); n != 0 {
		t.Fatalf("%d fetches for bad proofs, want 0", n)
	}
	// Spoofed Host with a proof for the configured base URL: accepted (the
	// Host header plays no part).
	r = f.request(t, "GET", "/alice/?q=1", podBase+"/alice/", tok)
	r.Host = "evil.example"
	if _, err := f.a.Authenticate(ctx, r); err != nil {
		t.Fatal(err)
	}
}

func TestAuthenticateBaseURLWithPath(t *testing.T) {
	f := newFixture(t, nil)
	a := NewAuthenticator(AuthOptions{BaseURL: "https://host.example/pods/", Client: loopbackClient(), Now: f.clock.Now})
	tok := f.token(t)
	// The server is not behind a path-stripping proxy: the request path
	// includes the base URL's path.
	r := f.request(t, "GET", "/pods/alice/", "https://host.example/pods/alice/", tok)
	if _, err := a.Authenticate(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a relative BaseURL")
		}
	}()
	NewAuthenticator(AuthOptions{BaseURL: "/relative"})
}

// SECURITY row 27.
func TestAuthenticateReplay(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	tok := f.token(t)
	r := f.request(t, "GET", "/", podBase+"/", tok)
	if _, err := f.a.Authenticate(ctx, r); err != nil {
		t.Fatal(err)
	}
	again := httptest.NewRequest("GET", "/", nil)
	again.Header = r.Header.Clone()
	_, err := f.a.Authenticate(ctx, again)
	wantUnauth(t, err, "jti already used")
	if !errors.Is(err, ErrReplay) {
		t.Fatalf("err = %v, want ErrReplay", err)
	}
	if got := WWWAuthenticate(err); !strings.Contains(got, "invalid_dpop_proof") {
		t.Fatalf("WWWAuthenticate = %q", got)
	}
}

// SECURITY row 29 (scheme part).
func TestAuthenticateBearerRefused(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token(t)
	r := f.request(t, "GET", "/", podBase+"/", tok)
	r.Header.Set("Authorization", "Bearer "+tok)
	_, err := f.a.Authenticate(context.Background(), r)
	wantUnauth(t, err, "not DPoP")
	if strings.Contains(err.Error(), tok[:20]) {
		t.Fatal("error contains the token")
	}
	if got := WWWAuthenticate(err); got != `DPoP algs="ES256 PS256 RS256 EdDSA", error="invalid_token"` {
		t.Fatalf("WWWAuthenticate = %q", got)
	}
	r.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
	_, err = f.a.Authenticate(context.Background(), r)
	wantUnauth(t, err, "")
	r.Header.Set("Authorization", "DPoP "+tok)
	r.Header.Add("Authorization", "DPoP "+tok)
	_, err = f.a.Authenticate(context.Background(), r)
	wantUnauth(t, err, "more than one")
	if f.ti.total() != 0 {
		t.Fatal("fetched for a refused scheme")
	}
}

func closedPortURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}

func TestAuthenticateIssuerUnavailable(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	down := closedPortURL(t)
	f.ti.addProfile("/carol/card", "<"+down+">")
	tok := mint(t, f.claims(down, f.ti.webID("/carol/card")), "k1", f.ti.key("k1"))
	start := time.Now()
	_, err := f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", tok))
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("err = %v, want ErrUnavailable only", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %v", d)
	}
	if strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("error quotes a request-supplied URL: %v", err)
	}

	// WebID host down.
	tok = mint(t, f.claims(f.ti.iss(), down+"/card#me"), "k1", f.ti.key("k1"))
	_, err = f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", tok))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}

	// Issuer answering 503: unavailable, and nothing is cached.
	f.ti.mu.Lock()
	f.ti.status = http.StatusServiceUnavailable
	f.ti.mu.Unlock()
	_, err = f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", f.token(t)))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	f.ti.mu.Lock()
	f.ti.status = 0
	f.ti.mu.Unlock()
	// The failure is remembered for FailureTTL (SECURITY row 61): within
	// it the same answer comes at once, without a fetch; after it the
	// recovered issuer is asked again.
	hits := f.ti.total()
	_, err = f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", f.token(t)))
	if !errors.Is(err, ErrUnavailable) || f.ti.total() != hits {
		t.Fatalf("within the failure TTL: err %v, %d new fetches", err, f.ti.total()-hits)
	}
	f.clock.Advance(DefaultFailureTTL)
	if _, err := f.a.Authenticate(ctx, f.request(t, "GET", "/", podBase+"/", f.token(t))); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestAuthenticateDiscoveryMismatch(t *testing.T) {
	f := newFixture(t, nil)
	// The issuer claims to be "<srv>/" (slash): discovery says "<srv>", so
	// the exact issuer comparison fails even though the profile matches.
	f.ti.addProfile("/dave/card", "<"+f.ti.iss()+"/>")
	tok := mint(t, f.claims(f.ti.iss()+"/", f.ti.webID("/dave/card")), "k1", f.ti.key("k1"))
	_, err := f.a.Authenticate(context.Background(), f.request(t, "GET", "/", podBase+"/", tok))
	wantUnauth(t, err, "names another issuer")
	if f.ti.count("/jwks") != 0 {
		t.Fatal("JWKS fetched for a mismatched discovery document")
	}
}

func TestTTLCacheBounded(t *testing.T) {
	c := newTTLCache[int](3)
	for i := range 10 {
		c.put(fmt.Sprint(i), i, testNow.Add(time.Minute), testNow)
	}
	if c.len() != 3 {
		t.Fatalf("len %d", c.len())
	}
	if v, ok := c.get("9", testNow); !ok || v != 9 {
		t.Fatal("latest entry missing")
	}
	if _, ok := c.get("9", testNow.Add(time.Minute)); ok {
		t.Fatal("expired entry returned")
	}
}

// BenchmarkAuthenticateCached is a whole Authenticate call on the cached path
// (token verified before): header parsing, ES256 proof verification, token
// cache hit, binding, replay check. Proofs are made before the timer.
func BenchmarkAuthenticateCached(b *testing.B) {
	f := newFixture(b, nil)
	tok := f.token(b)
	ctx := context.Background()
	if _, err := f.a.Authenticate(ctx, f.request(b, "GET", "/alice/notes/", podBase+"/alice/notes/", tok)); err != nil {
		b.Fatal(err)
	}
	fetches := f.ti.total()
	hdr := proofHeader(b, "ES256", f.dpop)
	proofs := make([]string, b.N)
	for i := range proofs {
		proofs[i] = compact(b, hdr, proofClaimsFor("GET", podBase+"/alice/notes/", tok, f.clock.Now()), jwa.ES256, f.dpop)
	}
	r := httptest.NewRequest("GET", "/alice/notes/", nil)
	r.Header.Set("Authorization", "DPoP "+tok)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Header.Set("DPoP", proofs[i])
		if _, err := f.a.Authenticate(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if f.ti.total() != fetches {
		b.Fatal("the cached path fetched")
	}
}

func TestAuthenticateConcurrent(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token(t)
	reqs := make([]*http.Request, 16)
	for i := range reqs {
		reqs[i] = f.request(t, "GET", "/", podBase+"/", tok)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(reqs))
	for _, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.a.Authenticate(context.Background(), r); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Replaying any of them now fails.
	again := httptest.NewRequest("GET", "/", nil)
	again.Header = reqs[3].Header.Clone()
	_, err := f.a.Authenticate(context.Background(), again)
	wantUnauth(t, err, "jti already used")
}

// A token its issuer revoked is refused, also when it is already in the
// verified-token cache; the check is asked with the token's iss and jti.
func TestAuthenticateRevoked(t *testing.T) {
	f := newFixture(t, nil)
	var revoked atomic.Bool
	var askedIss, askedJTI atomic.Value
	a := NewAuthenticator(AuthOptions{BaseURL: podBase, Client: loopbackClient(), Now: f.clock.Now,
		Revoked: func(iss, jti string) bool {
			askedIss.Store(iss)
			askedJTI.Store(jti)
			return revoked.Load()
		}})
	tok := f.token(t)
	ctx := context.Background()
	if _, err := a.Authenticate(ctx, f.request(t, "GET", "/alice/", podBase+"/alice/", tok)); err != nil {
		t.Fatal(err)
	}
	if askedIss.Load() != f.ti.iss() || askedJTI.Load() == "" {
		t.Fatalf("asked with iss %v jti %v", askedIss.Load(), askedJTI.Load())
	}
	revoked.Store(true)
	_, err := a.Authenticate(ctx, f.request(t, "GET", "/alice/", podBase+"/alice/", tok))
	if !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("revoked token from the cache: %v", err)
	}
}

// Issue 10 item 12: some clients that are not logged in send
// "Authorization: DPoP" with no token and an empty DPoP header. That
// carries no credentials: anonymous, as the Community Solid Server treats
// it, not a 401. Anything that does carry a token or a proof is still
// checked (and refused when bad).
func TestAuthenticateEmptyDPoPIsAnonymous(t *testing.T) {
	f := newFixture(t, nil)
	anon := []struct {
		name  string
		authz []string
		dpop  []string
	}{
		{"DPoP scheme alone, empty DPoP", []string{"DPoP"}, []string{""}},
		{"DPoP scheme with spaces, empty DPoP", []string{"DPoP  "}, []string{" "}},
		{"lower-case scheme, no DPoP header", []string{"dpop"}, nil},
		{"empty Authorization, empty DPoP", []string{""}, []string{""}},
	}
	for _, c := range anon {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/alice/", nil)
			r.Header["Authorization"] = c.authz
			if c.dpop != nil {
				r.Header["Dpop"] = c.dpop
			}
			agent, err := f.a.Authenticate(context.Background(), r)
			if err != nil || !agent.Anonymous() {
				t.Fatalf("agent %+v err %v, want anonymous", agent, err)
			}
		})
	}
	refused := []struct {
		name  string
		authz []string
		dpop  []string
	}{
		{"DPoP scheme alone with a proof", []string{"DPoP"}, []string{f.proof(t, "GET", podBase+"/alice/", "")}},
		{"Bearer alone", []string{"Bearer"}, []string{""}},
		{"two empty DPoP schemes", []string{"DPoP", "DPoP"}, []string{""}},
		{"DPoP alone, two empty DPoP headers", []string{"DPoP"}, []string{"", ""}},
		{"DPoP with garbage", []string{"DPoP ,"}, []string{""}},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/alice/", nil)
			r.Header["Authorization"] = c.authz
			r.Header["Dpop"] = c.dpop
			_, err := f.a.Authenticate(context.Background(), r)
			wantUnauth(t, err, "")
		})
	}
	if f.ti.total() != 0 {
		t.Fatal("fetched for a request without credentials")
	}
}
