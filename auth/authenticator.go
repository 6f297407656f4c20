package auth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/naamio/naamio/internal/safehttp"
)

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
