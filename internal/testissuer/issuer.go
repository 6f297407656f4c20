package testissuer

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// keyID is the kid of the issuer's one signing key.
const keyID = "testissuer-es256"

// Options configures Start.
type Options struct {
	// Addr is the listen address; "" means 127.0.0.1:0 (a free port).
	// Only loopback addresses make sense: the issuer is for tests.
	Addr string
	// SigningKey is the issuer's P-256 key; nil generates one. A fixed key
	// lets a restarted issuer (same Addr) keep its JWKS, so tokens it
	// issued before stay valid.
	SigningKey *ecdsa.PrivateKey
}

// document is one extra document served at a path.
type document struct {
	contentType, body string
}

// Issuer is a Solid-OIDC issuer for tests: an HTTP server on 127.0.0.1 that
// serves its discovery document, its JWKS and WebID profiles, and mints
// DPoP-bound access tokens. It is safe for concurrent use.
type Issuer struct {
	url, addrPort string
	key           *ecdsa.PrivateKey
	jwks          []byte
	srv           *http.Server
	ln            net.Listener
	done          chan struct{}
	requests      atomic.Int64

	mu       sync.Mutex
	profiles map[string]string       // name -> turtle override
	docs     map[string]document     // path -> document
	handlers map[string]http.Handler // path -> handler
}

// Start listens on opts.Addr and serves until Close:
//
//	/.well-known/openid-configuration   discovery (issuer, jwks_uri)
//	/jwks                               the public signing key
//	/<name>/profile/card                the WebID profile of WebID(name)
//
// plus whatever Serve and Handle add.
func Start(opts Options) (*Issuer, error) {
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	key := opts.SigningKey
	if key == nil {
		var err error
		if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return nil, err
		}
	}
	jwks, err := publicJWKS(key)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	i := &Issuer{
		addrPort: ln.Addr().String(),
		key:      key,
		jwks:     jwks,
		ln:       ln,
		done:     make(chan struct{}),
		profiles: map[string]string{},
		docs:     map[string]document{},
		handlers: map[string]http.Handler{},
	}
	i.url = "http://" + i.addrPort
	i.srv = &http.Server{Handler: http.HandlerFunc(i.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(i.done)
		_ = i.srv.Serve(ln)
	}()
	return i, nil
}

func publicJWKS(key *ecdsa.PrivateKey) ([]byte, error) {
	pk, err := jwk.FromRaw(key.Public())
	if err != nil {
		return nil, err
	}
	for k, v := range map[string]any{jwk.KeyIDKey: keyID, jwk.KeyUsageKey: "sig", jwk.AlgorithmKey: jwa.ES256} {
		if err := pk.Set(k, v); err != nil {
			return nil, err
		}
	}
	set := jwk.NewSet()
	if err := set.AddKey(pk); err != nil {
		return nil, err
	}
	return json.Marshal(set)
}

// URL is the issuer identifier, "http://127.0.0.1:PORT" (the iss value).
func (i *Issuer) URL() string { return i.url }

// AddrPort is "127.0.0.1:PORT", the form --allow-fetch-addr takes.
func (i *Issuer) AddrPort() string { return i.addrPort }

// SigningKey returns the issuer's private key (to restart an issuer with the
// same JWKS).
func (i *Issuer) SigningKey() *ecdsa.PrivateKey { return i.key }

// Close stops the server at once: open connections are closed, handlers
// still running see their request context cancelled.
func (i *Issuer) Close() {
	_ = i.srv.Close()
	select {
	case <-i.done:
	case <-time.After(10 * time.Second):
	}
}

// WebID is the WebID of name: URL()+"/"+name+"/profile/card#me". Its profile
// lists this issuer as solid:oidcIssuer unless SetProfile replaced it.
func (i *Issuer) WebID(name string) string { return i.url + "/" + name + "/profile/card#me" }

// DefaultProfile is the Turtle profile served for name when SetProfile has
// not replaced it: a foaf:Person naming this issuer as solid:oidcIssuer.
func (i *Issuer) DefaultProfile(name string) string {
	return "@prefix solid: <http://www.w3.org/ns/solid/terms#> .\n" +
		"@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n" +
		"<#me> a foaf:Person ;\n  foaf:name \"" + name + "\" ;\n  solid:oidcIssuer <" + i.url + "> .\n"
}

// SetProfile replaces the profile document of name (served as text/turtle),
// e.g. with one that does not list this issuer. "" restores the default.
func (i *Issuer) SetProfile(name, turtle string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if turtle == "" {
		delete(i.profiles, name)
		return
	}
	i.profiles[name] = turtle
}

// Serve serves body with contentType at path (e.g. an agentGroup document).
// It takes precedence over profiles, but not over Handle.
func (i *Issuer) Serve(path, contentType, body string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.docs[path] = document{contentType: contentType, body: body}
}

// Handle serves path with h (e.g. a handler that never answers, for timeout
// tests; it should return when its request context is done). It takes
// precedence over everything else.
func (i *Issuer) Handle(path string, h http.Handler) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.handlers[path] = h
}

// Requests is the number of requests received so far.
func (i *Issuer) Requests() int64 { return i.requests.Load() }

func (i *Issuer) serve(w http.ResponseWriter, r *http.Request) {
	i.requests.Add(1)
	p := r.URL.Path
	i.mu.Lock()
	h, hok := i.handlers[p]
	d, dok := i.docs[p]
	i.mu.Unlock()
	switch {
	case hok:
		h.ServeHTTP(w, r)
	case dok:
		w.Header().Set("Content-Type", d.contentType)
		_, _ = w.Write([]byte(d.body))
	case p == "/.well-known/openid-configuration":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                i.url,
			"jwks_uri":                              i.url + "/jwks",
			"token_endpoint":                        i.url + "/token",
			"authorization_endpoint":                i.url + "/authorize",
			"scopes_supported":                      []string{"openid", "webid"},
			"dpop_signing_alg_values_supported":     []string{"ES256"},
			"id_token_signing_alg_values_supported": []string{"ES256"},
		})
	case p == "/jwks":
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(i.jwks)
	default:
		name, ok := profileName(p)
		if !ok {
			http.NotFound(w, r)
			return
		}
		i.mu.Lock()
		body, set := i.profiles[name]
		i.mu.Unlock()
		if !set {
			body = i.DefaultProfile(name)
		}
		w.Header().Set("Content-Type", "text/turtle; charset=utf-8")
		_, _ = w.Write([]byte(body))
	}
}

// profileName extracts name from "/<name>/profile/card".
func profileName(p string) (string, bool) {
	rest, ok := strings.CutSuffix(p, "/profile/card")
	if !ok || !strings.HasPrefix(rest, "/") {
		return "", false
	}
	name := rest[1:]
	if name == "" || strings.Contains(name, "/") {
		return "", false
	}
	return name, true
}

// TokenClaims describes an access token.
type TokenClaims struct {
	WebID    string
	ClientID string
	// Audience defaults to ["solid"].
	Audience []string
	// IssuedAt defaults to now.
	IssuedAt time.Time
	// TTL (exp - iat) defaults to one hour.
	TTL time.Duration
	// Issuer overrides the iss claim (default URL()).
	Issuer string
}

// Claims returns the JSON claims of the access token c describes, bound to
// k (cnf.jkt), with a fresh jti. Tests may alter them and sign them with
// SignToken.
func (i *Issuer) Claims(c TokenClaims, k *Key) map[string]any {
	aud := c.Audience
	if len(aud) == 0 {
		aud = []string{"solid"}
	}
	iat := c.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	ttl := c.TTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	iss := c.Issuer
	if iss == "" {
		iss = i.url
	}
	cl := map[string]any{
		"iss": iss, "aud": aud, "sub": c.WebID, "webid": c.WebID,
		"iat": iat.Unix(), "exp": iat.Add(ttl).Unix(), "jti": NewJTI(),
	}
	if c.ClientID != "" {
		cl["client_id"] = c.ClientID
	}
	if k != nil {
		cl["cnf"] = map[string]any{"jkt": k.Thumbprint()}
	}
	return cl
}

// SignToken signs exactly claims with the issuer key (ES256, kid of the
// JWKS, typ at+jwt).
func (i *Issuer) SignToken(claims map[string]any) (string, error) {
	return Compact(map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": keyID}, claims, jwa.ES256, i.key)
}

// Token returns an access token for c, signed by the issuer and bound to
// k's thumbprint (cnf.jkt).
func (i *Issuer) Token(c TokenClaims, k *Key) (string, error) {
	if k == nil {
		return "", errors.New("testissuer: Token needs a DPoP key")
	}
	return i.SignToken(i.Claims(c, k))
}

// wait is a helper for handlers that must not answer: it blocks until the
// request is abandoned or d has passed.
func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Stall returns a handler that answers only after d (or never, if the
// client gives up first), then with contentType and body.
func Stall(d time.Duration, contentType, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wait(r.Context(), d)
		if r.Context().Err() != nil {
			return
		}
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write([]byte(body))
	})
}
