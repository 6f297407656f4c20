package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/naamio/naamio/internal/safehttp"
	"github.com/naamio/naamio/rdf"
)

// Defaults for zero AuthOptions fields.
const (
	DefaultCacheTTL             = 5 * time.Minute
	DefaultProfileCacheSize     = 10000
	DefaultIssuerCacheSize      = 1000
	DefaultJWKSRefetchInterval  = 10 * time.Second
	DefaultMaxConcurrentFetches = 64
)

// solidOIDCIssuer is the predicate a WebID profile uses to name the issuers
// it trusts (Solid-OIDC §5).
const solidOIDCIssuer = rdf.SolidNS + "oidcIssuer"

// challengeAlgs is the algs parameter of the DPoP challenge (RFC 9449 §7.1).
const challengeAlgs = `DPoP algs="ES256 PS256 RS256 EdDSA"`

var (
	// ErrUnauthenticated: the request carried credentials that were not
	// accepted. The caller answers 401 with WWWAuthenticate(err). It wraps
	// the cause (ErrInvalidProof, ErrInvalidToken, ErrReplay, ...).
	ErrUnauthenticated = errors.New("auth: unauthenticated")
	// ErrUnavailable: the credentials could not be checked because a WebID
	// profile, issuer discovery document or JWKS could not be fetched for a
	// temporary reason (timeout, connection failure, 5xx, 429), or the replay
	// cache is full (it then also matches ErrReplayCacheFull). The caller
	// answers 503.
	ErrUnavailable = errors.New("auth: credentials cannot be checked now")
)

// requestError is what Authenticate returns: a kind (ErrUnauthenticated or
// ErrUnavailable), a fixed reason, and the cause. Error() never includes the
// text of a cause from outside this package (which could quote a
// request-supplied URL), only this package's fixed reasons.
type requestError struct {
	kind   error
	reason string
	cause  error
}

func (e *requestError) Error() string {
	var ae *authError
	if e.cause != nil && errors.As(e.cause, &ae) && e.reason == "" {
		return e.kind.Error() + ": " + ae.Error()
	}
	return e.kind.Error() + ": " + e.reason
}

func (e *requestError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.kind, e.cause}
	}
	return []error{e.kind}
}

func unauth(cause error) error { return &requestError{kind: ErrUnauthenticated, cause: cause} }
func unauthReason(reason string, cause error) error {
	return &requestError{kind: ErrUnauthenticated, reason: reason, cause: cause}
}
func unavailable(reason string, cause error) error {
	return &requestError{kind: ErrUnavailable, reason: reason, cause: cause}
}

// AuthOptions configures an Authenticator.
type AuthOptions struct {
	// BaseURL is the configured public base URL of the server (e.g.
	// "https://pod.example"). Without a Locator, a request's htu is this
	// URL's scheme and host followed by the request's escaped path as
	// received (which includes the base URL's path, if any: the server is
	// not mounted behind a path-stripping proxy), and the request's Host
	// header is never used. Required.
	BaseURL string
	// Revoked, when set, is asked for every token after it verified (also
	// when it comes from the token cache): true refuses the token. The
	// server's own OpenID Provider answers it for the tokens it revoked
	// before their expiry. It must answer from memory.
	Revoked func(iss, jti string) bool
	// Locator, when set, gives each request's public URL and tells which
	// URLs the server answers itself (for Local). The server sets it when
	// some pods have hosts of their own (subdomain pods).
	Locator Locator
	// Client fetches WebID profiles, discovery documents and JWKS. Default
	// safehttp.New(safehttp.Options{}) (https only, public addresses only).
	// Whether iss/webid/jwks_uri may be http URLs follows the client's
	// AllowedSchemes.
	Client *safehttp.Client
	// ProofWindow is the accepted |now - iat| of a proof (default
	// DefaultProofWindow).
	ProofWindow time.Duration
	// TokenSkew is the clock skew allowed on token times (default
	// DefaultTokenSkew).
	TokenSkew time.Duration
	// CacheTTL is how long a WebID profile's issuer list and an issuer's
	// JWKS are reused, and the longest a verified token is served from the
	// token cache before the whole check is repeated (default
	// DefaultCacheTTL).
	CacheTTL time.Duration
	// Cache sizes (defaults DefaultTokenCacheSize, DefaultReplayCapacity,
	// DefaultProfileCacheSize, DefaultIssuerCacheSize).
	TokenCacheSize   int
	ReplayCacheSize  int
	ProfileCacheSize int
	IssuerCacheSize  int
	// JWKSRefetchInterval is the least time between two fetches of one
	// issuer's JWKS triggered by a token whose kid is unknown (key rotation),
	// so that tokens with random kids cannot make the server hammer an
	// issuer (default DefaultJWKSRefetchInterval).
	JWKSRefetchInterval time.Duration
	// MaxConcurrentFetches bounds simultaneous outbound fetches in all,
	// MaxFetchesPerHost those to one remote host (scheme, host and port),
	// MaxFetchesPerClient those started by one client address. A request
	// that would pass a limit fails at once with ErrUnavailable (see
	// fetch.go). Defaults DefaultMaxConcurrentFetches,
	// DefaultMaxFetchesPerHost, DefaultMaxFetchesPerClient.
	MaxConcurrentFetches int
	MaxFetchesPerHost    int
	MaxFetchesPerClient  int
	// FailureTTL is how long a failed fetch is remembered: its URL (and,
	// for a host that did not answer, the host) fails at once meanwhile
	// (default DefaultFailureTTL).
	FailureTTL time.Duration
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// Local, when set, is the server's own HTTP handler: WebID profiles,
	// discovery documents and JWKS under BaseURL (a pod's WebID, the
	// server's own identity provider) are requested from it in-process,
	// as anonymous GETs, instead of over the network. They are still read
	// and checked exactly like remote ones (WebID -> solid:oidcIssuer ->
	// discovery -> JWKS); only the transport differs.
	Local http.Handler
	// OptionalATH accepts resource requests whose DPoP proof has no ath
	// (see ProofOptions.OptionalATH); a present ath must still match.
	OptionalATH bool
}

// Agent is the authenticated caller. The zero Agent is anonymous.
type Agent struct {
	WebID    string
	Issuer   string
	ClientID string
}

// Anonymous reports whether a is the zero Agent.
func (a Agent) Anonymous() bool { return a.WebID == "" }

// Locator knows the public URLs of the server (ldp.Locator implements it).
type Locator interface {
	// RequestURL is the public URL of r without query: what the htu of
	// r's DPoP proof must name. It must never be built from an unchecked
	// Host header.
	RequestURL(r *http.Request) string
	// Serves reports whether u is answered by this server.
	Serves(u *url.URL) bool
}

// baseLocator is the Locator of a server with one origin.
type baseLocator struct {
	origin   string // scheme://host[:port] of BaseURL
	basePath string // BaseURL's path without trailing slash
}

func (l baseLocator) RequestURL(r *http.Request) string {
	p := r.URL.EscapedPath()
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return l.origin + p
}

func (l baseLocator) Serves(u *url.URL) bool {
	if u.User != nil || u.Scheme+"://"+u.Host != l.origin {
		return false
	}
	return l.basePath == "" || u.EscapedPath() == l.basePath || strings.HasPrefix(u.EscapedPath(), l.basePath+"/")
}

// Authenticator authenticates Solid-OIDC requests (DPoP-bound access token +
// DPoP proof). It is safe for concurrent use.
type Authenticator struct {
	loc     Locator
	revoked func(iss, jti string) bool // AuthOptions.Revoked
	client  *safehttp.Client
	local   http.Handler // AuthOptions.Local
	optATH  bool         // AuthOptions.OptionalATH

	window, skew, ttl, refetch, failTTL time.Duration
	now                                 func() time.Time

	limit     *fetchLimiter
	flightsMu sync.Mutex
	flights   map[string]*flight // Accept and URL -> the fetch in progress
	failed    *ttlCache[error]   // "u <url>" / "h <host>" -> the failure, for failTTL

	tokens   *TokenCache
	replay   *ReplayCache
	profiles *ttlCache[[]string]     // WebID -> its solid:oidcIssuer values (normalised)
	issuers  *ttlCache[*issuerState] // iss -> jwks_uri and key set
}

type issuerState struct {
	jwksURI string
	mu      sync.Mutex // serialises refetches
	keys    jwk.Set
	fetched time.Time
}

func (s *issuerState) get() (jwk.Set, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys, s.fetched
}

// NewAuthenticator returns an Authenticator for opts. It panics if
// opts.BaseURL is not an absolute http(s) URL without query or fragment (a
// configuration error).
func NewAuthenticator(opts AuthOptions) *Authenticator {
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		panic("auth: AuthOptions.BaseURL must be an absolute http(s) URL")
	}
	a := &Authenticator{
		loc:     opts.Locator,
		revoked: opts.Revoked,
		client:  opts.Client,
		window:  opts.ProofWindow,
		skew:    opts.TokenSkew,
		ttl:     opts.CacheTTL,
		refetch: opts.JWKSRefetchInterval,
		now:     opts.Now,
		local:   opts.Local,
		optATH:  opts.OptionalATH,
		tokens:  NewTokenCache(opts.TokenCacheSize),
		replay:  NewReplayCache(opts.ReplayCacheSize),
	}
	if a.loc == nil {
		a.loc = baseLocator{origin: u.Scheme + "://" + u.Host, basePath: strings.TrimSuffix(u.EscapedPath(), "/")}
	}
	if a.client == nil {
		a.client = safehttp.New(safehttp.Options{})
	}
	if a.window <= 0 {
		a.window = DefaultProofWindow
	}
	if a.skew <= 0 {
		a.skew = DefaultTokenSkew
	}
	if a.ttl <= 0 {
		a.ttl = DefaultCacheTTL
	}
	if a.refetch <= 0 {
		a.refetch = DefaultJWKSRefetchInterval
	}
	if a.now == nil {
		a.now = time.Now
	}
	a.limit = newFetchLimiter(orDefault(opts.MaxConcurrentFetches, DefaultMaxConcurrentFetches),
		orDefault(opts.MaxFetchesPerHost, DefaultMaxFetchesPerHost),
		orDefault(opts.MaxFetchesPerClient, DefaultMaxFetchesPerClient))
	a.flights = map[string]*flight{}
	a.failTTL = opts.FailureTTL
	if a.failTTL <= 0 {
		a.failTTL = DefaultFailureTTL
	}
	ps := opts.ProfileCacheSize
	if ps <= 0 {
		ps = DefaultProfileCacheSize
	}
	is := opts.IssuerCacheSize
	if is <= 0 {
		is = DefaultIssuerCacheSize
	}
	a.profiles = newTTLCache[[]string](ps)
	a.issuers = newTTLCache[*issuerState](is)
	a.failed = newTTLCache[error](ps)
	return a
}

func orDefault(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// Authenticate checks the request's credentials. Without an Authorization
// header, or with one that carries no credentials (see noCredentials), it
// returns the zero Agent (anonymous) and nil. Otherwise it returns
// the agent, or an error matching ErrUnauthenticated (answer 401 with
// WWWAuthenticate(err)) or ErrUnavailable (answer 503).
//
// Order (SECURITY.md rows 27–32, cheap checks first): Authorization syntax
// and scheme; DPoP proof (signature, htm, htu from BaseURL, iat, ath); the
// verified-token cache (hit: binding and replay, done); the token's
// unverified claims, its cnf.jkt against the proof key, its exp; iss and
// webid must be http(s) URLs (http only if the client allows it) and not
// non-public IP literals — all before any fetch. Then the WebID profile must
// list iss as solid:oidcIssuer (SECURITY row 32), the issuer's discovery
// document and JWKS are fetched (all three cached), the token signature and
// claims are verified (on an unknown kid the JWKS is refetched once, rate
// limited), the binding is checked and the jti recorded.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (Agent, error) {
	authz := r.Header.Values("Authorization")
	if len(authz) == 0 || noCredentials(authz, r.Header.Values("DPoP")) {
		return Agent{}, nil
	}
	if len(authz) > 1 {
		return Agent{}, unauth(tokenErr("more than one Authorization header"))
	}
	scheme, tok, err := ParseAuthorization(authz[0])
	if err != nil {
		return Agent{}, unauth(err)
	}
	if scheme != "DPoP" {
		// Solid-OIDC tokens are DPoP-bound; one sent as Bearer is refused
		// (RFC 9449 §7.2), as is any other scheme.
		return Agent{}, unauth(tokenErr("Authorization scheme is not DPoP"))
	}
	proofs := r.Header.Values("DPoP")
	if len(proofs) != 1 {
		return Agent{}, unauth(proofErr("expected exactly one DPoP header"))
	}
	now := a.now()
	p, err := VerifyProof(proofs[0], r.Method, a.requestURL(r), tok, now, ProofOptions{Window: a.window, OptionalATH: a.optATH})
	if err != nil {
		return Agent{}, unauth(err)
	}

	t, ok := a.tokens.Get(tok, now)
	if !ok {
		t, err = a.verifyToken(withClient(ctx, r), tok, p, now)
		if err != nil {
			return Agent{}, err
		}
	}
	if err := Bind(t, p); err != nil {
		return Agent{}, unauth(err)
	}
	if a.revoked != nil && a.revoked(t.Issuer, t.JTI) {
		return Agent{}, unauth(tokenErr("token revoked"))
	}
	if err := a.replay.Use(p, now); err != nil {
		if errors.Is(err, ErrReplayCacheFull) {
			return Agent{}, unavailable("replay cache full", err)
		}
		return Agent{}, unauth(err)
	}
	if !ok {
		// Served from the cache until exp, but at most CacheTTL, so that a
		// WebID that drops the issuer is noticed within about 2×CacheTTL.
		c := *t
		if lim := now.Add(a.ttl); c.Expiry.After(lim) {
			c.Expiry = lim
		}
		a.tokens.Put(tok, &c, now)
	}
	return Agent{WebID: t.WebID, Issuer: t.Issuer, ClientID: t.ClientID}, nil
}

// noCredentials reports whether the Authorization and DPoP headers carry
// nothing at all: one Authorization header that is empty or names the DPoP
// scheme without a token, and no DPoP header or one empty one. Some clients
// send this when nobody is logged in; the Community Solid Server serves it
// as anonymous, and so do we (issue 10 item 12). A token or a proof, or a
// repeated header, is never ignored: it is checked, and refused if bad.
func noCredentials(authz, proofs []string) bool {
	if len(authz) != 1 || len(proofs) > 1 || (len(proofs) == 1 && strings.TrimSpace(proofs[0]) != "") {
		return false
	}
	v := strings.TrimSpace(authz[0])
	return v == "" || strings.EqualFold(v, "DPoP")
}

// requestURL is the URL the proof's htu must match (AuthOptions.Locator).
func (a *Authenticator) requestURL(r *http.Request) string { return a.loc.RequestURL(r) }

// verifyToken is the cache-miss path.
func (a *Authenticator) verifyToken(ctx context.Context, tok string, p *Proof, now time.Time) (*Token, error) {
	_, cl, err := parseToken(tok)
	if err != nil {
		return nil, unauth(err)
	}
	// Local checks that need no key: they would fail after the fetches too.
	if cl.Cnf.JKT != p.Thumbprint {
		return nil, unauth(tokenErr("cnf.jkt does not match the DPoP proof key"))
	}
	if exp, ok := numericDate(cl.EXP); !ok || !now.Before(time.Unix(exp, 0).Add(a.skew)) {
		return nil, unauth(tokenErr("expired or missing exp"))
	}
	iss, webid := cl.Iss, cl.WebID
	if reason := a.checkFetchable(iss, true); reason != "" {
		return nil, unauth(tokenErr("iss " + reason))
	}
	if reason := a.checkFetchable(webid, false); reason != "" {
		return nil, unauth(tokenErr("webid " + reason))
	}

	// Row 32: the WebID must name this issuer.
	issuers, err := a.profileIssuers(ctx, webid, now)
	if err != nil {
		return nil, err
	}
	if !containsIssuer(issuers, iss) {
		return nil, unauth(tokenErr("WebID profile does not list the issuer as solid:oidcIssuer"))
	}

	st, fresh, err := a.issuer(ctx, iss, now)
	if err != nil {
		return nil, err
	}
	keys, fetched := st.get()
	opts := TokenOptions{Issuer: iss, Skew: a.skew}
	t, err := VerifyAccessToken(tok, keys, now, opts)
	if err != nil && errors.Is(err, ErrUnknownKey) && !fresh {
		// Key rotation: refetch the JWKS once, unless it was fetched
		// recently (then the kid is simply unknown).
		keys2, rerr := a.refetchKeys(ctx, st, fetched, now)
		if rerr != nil {
			return nil, rerr
		}
		if keys2 != nil {
			t, err = VerifyAccessToken(tok, keys2, now, opts)
		}
	}
	if err != nil {
		return nil, unauth(err)
	}
	return t, nil
}

// checkFetchable refuses, before any fetch, a URL the server must not fetch:
// not https (http only when the client allows it), user info, no host, or an
// IP-literal host that safehttp.IsPublic rejects. Loopback literals are left
// to the client, which refuses them at dial time (nothing is sent) unless it
// was built with AllowLoopback. issuer additionally forbids query and
// fragment (OpenID Connect Discovery §2). It returns a fixed reason or "".
func (a *Authenticator) checkFetchable(raw string, issuer bool) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "is not a fetchable URL"
	}
	if issuer && (u.RawQuery != "" || u.Fragment != "" || u.ForceQuery) {
		return "has a query or fragment"
	}
	if a.isLocal(raw) {
		return ""
	}
	if !a.client.Permits(raw) {
		return "is not an https URL of a public host"
	}
	return ""
}

// containsIssuer compares issuer IRIs after trimming one trailing slash on
// both sides: profiles commonly write <https://idp.example/> while the
// token's iss is "https://idp.example" (or the reverse). Nothing else is
// normalised.
func containsIssuer(list []string, iss string) bool {
	iss = strings.TrimSuffix(iss, "/")
	for _, s := range list {
		if s == iss {
			return true
		}
	}
	return false
}

// profileIssuers returns the (slash-trimmed) solid:oidcIssuer values of
// webid, from the cache or by fetching its profile document.
func (a *Authenticator) profileIssuers(ctx context.Context, webid string, now time.Time) ([]string, error) {
	if l, ok := a.profiles.get(webid, now); ok {
		return l, nil
	}
	doc := webid
	if i := strings.IndexByte(doc, '#'); i >= 0 {
		doc = doc[:i]
	}
	resp, err := a.fetch(ctx, doc, rdf.MediaTurtle, "WebID profile")
	if err != nil {
		return nil, err
	}
	mt := rdf.MediaTurtle
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if m, _, err := mime.ParseMediaType(ct); err == nil && rdf.Supported(m) {
			mt = m
		}
	}
	g, err := rdf.Parse(bytes.NewReader(resp.Body), mt, doc, rdf.Limits{MaxTriples: 100_000})
	if err != nil {
		return nil, unauthReason("WebID profile does not parse", err)
	}
	var l []string
	for _, tr := range g.Match(rdf.NewIRI(webid), rdf.NewIRI(solidOIDCIssuer), rdf.Term{}) {
		if tr.O.Kind == rdf.IRI {
			l = append(l, strings.TrimSuffix(tr.O.Value, "/"))
		}
		if len(l) >= 32 {
			break
		}
	}
	// Cached whatever it lists, so a WebID that does not list an issuer is
	// refused from the cache on the next attempt.
	a.profiles.put(webid, l, now.Add(a.ttl), now)
	return l, nil
}

type discovery struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// issuer returns iss's cached state, or fetches its discovery document and
// JWKS. fresh reports that the key set was fetched by this call.
func (a *Authenticator) issuer(ctx context.Context, iss string, now time.Time) (*issuerState, bool, error) {
	if st, ok := a.issuers.get(iss, now); ok {
		return st, false, nil
	}
	resp, err := a.fetch(ctx, strings.TrimSuffix(iss, "/")+"/.well-known/openid-configuration", "application/json", "issuer discovery")
	if err != nil {
		return nil, false, err
	}
	var d discovery
	if err := json.Unmarshal(resp.Body, &d); err != nil {
		return nil, false, unauthReason("issuer discovery document is not JSON", err)
	}
	if d.Issuer != iss {
		return nil, false, unauthReason("issuer discovery document names another issuer", nil)
	}
	if d.JWKSURI == "" {
		return nil, false, unauthReason("issuer discovery document has no jwks_uri", nil)
	}
	if reason := a.checkFetchable(d.JWKSURI, false); reason != "" {
		return nil, false, unauthReason("jwks_uri "+reason, nil)
	}
	keys, err := a.fetchKeys(ctx, d.JWKSURI)
	if err != nil {
		return nil, false, err
	}
	st := &issuerState{jwksURI: d.JWKSURI, keys: keys, fetched: now}
	a.issuers.put(iss, st, now.Add(a.ttl), now)
	return st, true, nil
}

// refetchKeys refetches st's JWKS if it has not been (re)fetched since seen
// and not within the refetch interval. It returns nil keys when no refetch
// was done.
func (a *Authenticator) refetchKeys(ctx context.Context, st *issuerState, seen, now time.Time) (jwk.Set, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.fetched.After(seen) {
		return st.keys, nil // another request refetched meanwhile
	}
	if now.Sub(st.fetched) < a.refetch {
		return nil, nil
	}
	keys, err := a.fetchKeys(ctx, st.jwksURI)
	if err != nil {
		return nil, err
	}
	st.keys, st.fetched = keys, now
	return keys, nil
}

func (a *Authenticator) fetchKeys(ctx context.Context, jwksURI string) (jwk.Set, error) {
	resp, err := a.fetch(ctx, jwksURI, "application/jwk-set+json, application/json", "issuer JWKS")
	if err != nil {
		return nil, err
	}
	keys, err := jwk.Parse(resp.Body)
	if err != nil {
		return nil, unauthReason("issuer JWKS does not parse", err)
	}
	return keys, nil
}

// WWWAuthenticate returns the WWW-Authenticate value for a 401 answered
// because of err (nil: no credentials were sent). It always offers DPoP with
// the accepted algorithms (RFC 9449 §7.1, Solid-OIDC); when credentials were
// presented it adds error="invalid_dpop_proof" for a bad or replayed proof
// and error="invalid_token" otherwise. No request data is echoed.
func WWWAuthenticate(err error) string {
	switch {
	case err == nil:
		return challengeAlgs
	case errors.Is(err, ErrInvalidProof) || errors.Is(err, ErrReplay):
		return challengeAlgs + `, error="invalid_dpop_proof"`
	case errors.Is(err, ErrUnauthenticated):
		return challengeAlgs + `, error="invalid_token"`
	}
	return challengeAlgs
}
