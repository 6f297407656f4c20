package op

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/kv"
)

// Defaults and limits for Options.
const (
	DefaultAccessTokenTTL = 15 * time.Minute
	MinAccessTokenTTL     = 5 * time.Minute
	MaxAccessTokenTTL     = 60 * time.Minute
	DefaultRefreshTTL     = 14 * 24 * time.Hour
	DefaultInteractionTTL = 15 * time.Minute
	DefaultClientDocTTL   = 5 * time.Minute
	// CodeTTL is the lifetime of an authorization code (RFC 6749 §4.1.2
	// recommends at most 10 minutes).
	CodeTTL = 60 * time.Second
)

// Interaction is the web layer's part of the authorization flow: log-in and
// consent happen on its pages.
type Interaction interface {
	// Begin is called once for every valid authorization request, after it
	// was stored. It returns the URL to send the user agent to (the log-in
	// or consent page), which must carry p.ID so that the page can look the
	// request up with Provider.Pending and finish it with Provider.Complete
	// or Provider.Deny. The web layer should bind p.ID to the browser (a
	// cookie) so that one user cannot complete another's request.
	Begin(ctx context.Context, p *Pending) (string, error)
}

// Credentials checks per-account client credentials (client_credentials
// grant). It returns the WebID the credentials are bound to and the
// account that owns them (whose deletion revokes the tokens, see
// RevokeAccount and RevokeCredential), or an error matching
// ErrInvalidCredentials for an unknown id or a wrong secret.
type Credentials interface {
	Check(ctx context.Context, clientID, secret string) (webID, accountID string, err error)
}

// Fetched is a fetched Client Identifier Document.
type Fetched struct {
	StatusCode int
	// URL is the final URL after redirects ("" = the URL asked for). Any
	// other URL than the one asked for is refused.
	URL  string
	Body []byte
}

// Fetcher fetches a Client Identifier Document. In production it is the
// SSRF-safe client built to follow no redirects (a 3xx is refused).
type Fetcher interface {
	Fetch(ctx context.Context, url string) (*Fetched, error)
}

// FetcherFunc adapts a function to Fetcher.
type FetcherFunc func(ctx context.Context, url string) (*Fetched, error)

// Fetch calls f.
func (f FetcherFunc) Fetch(ctx context.Context, url string) (*Fetched, error) { return f(ctx, url) }

// Sessions ends the End-User's session at the OP (RP-initiated logout).
type Sessions interface {
	// EndSession ends the log-in session of the browser that sent r (e.g.
	// clears its session cookie on w). It must not write a status or body:
	// the provider redirects afterwards.
	EndSession(w http.ResponseWriter, r *http.Request) error
}

// Options configures New. Issuer, KV and Interaction are required.
type Options struct {
	// Issuer is the configured public issuer URL, e.g. "https://pod.example"
	// (a trailing slash is removed). Endpoint URLs, the iss of every token
	// and the DPoP htu of the token endpoint are built from it, never from
	// a request's Host header.
	Issuer      string
	KV          kv.KV
	Interaction Interaction
	// Revocations is where tokens are revoked (NewRevocations on KV with
	// the same token lifetimes and clock); the server makes it first
	// because the account service revokes through it too. Nil: New makes
	// one.
	Revocations *Revocations
	// Credentials enables the client_credentials grant (nil: disabled).
	Credentials Credentials
	// Fetcher enables Client Identifier Documents (nil: only registered
	// clients are known).
	Fetcher Fetcher
	// Builtin are Client Identifier Documents of clients the provider
	// knows without fetching them (the server's own pages: their document
	// is also served at its client_id URL, but the provider never fetches
	// it, which also works for an http base URL). Each must be a valid
	// document of a public client; New refuses one that is not.
	Builtin [][]byte
	// Sessions is called on logout (nil: nothing to end).
	Sessions Sessions
	// PostLogoutURL is where logout sends the user agent when the client
	// gave no post_logout_redirect_uri ("" = the issuer URL).
	PostLogoutURL string
	// ErrorPage renders the 400 page of an authorization or logout request
	// that cannot be redirected; reason is a fixed English text. Nil
	// writes plain text.
	ErrorPage func(w http.ResponseWriter, r *http.Request, status int, reason string)
	// Logger, named by the caller (the server: component=oidc); lines
	// logged while answering a request carry its context. Nil discards.
	Logger *slog.Logger

	AccessTokenTTL  time.Duration // 5–60 min, default DefaultAccessTokenTTL; also the ID token's
	RefreshTokenTTL time.Duration // default DefaultRefreshTTL
	InteractionTTL  time.Duration // default DefaultInteractionTTL
	ClientDocTTL    time.Duration // how long a fetched Client Identifier Document is reused
	ProofWindow     time.Duration // DPoP iat window, default auth.DefaultProofWindow
	ReplayCacheSize int           // default auth.DefaultReplayCapacity
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Provider is the OpenID Provider. It is an http.Handler for the paths in
// Paths (relative to the issuer) and is safe for concurrent use.
type Provider struct {
	issuer     string
	basePath   string // issuer path without trailing slash ("" at the root)
	kv         kv.KV
	ia         Interaction
	creds      Credentials
	fetcher    Fetcher
	sessions   Sessions
	postLogout string
	errorPage  func(http.ResponseWriter, *http.Request, int, string)
	log        *slog.Logger

	accessTTL, refreshTTL, interactionTTL, docTTL, window time.Duration
	now                                                   func() time.Time

	replay   *auth.ReplayCache
	keys     atomic.Pointer[keyRing]
	rotateMu sync.Mutex
	rev      *Revocations
	revoked  *revokedSet // rev.revoked
	docs     *docCache
	builtin  map[string]*client

	discovery []byte
	mux       *http.ServeMux
}

// New validates opts, loads (or creates and stores) the signing keys and
// returns the provider.
func New(ctx context.Context, opts Options) (*Provider, error) {
	iss := strings.TrimSuffix(opts.Issuer, "/")
	u, err := url.Parse(iss)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, errors.New("op: Options.Issuer must be an absolute http(s) URL without query or fragment")
	}
	if opts.KV == nil || opts.Interaction == nil {
		return nil, errors.New("op: Options.KV and Options.Interaction are required")
	}
	p := &Provider{
		issuer:         iss,
		basePath:       u.EscapedPath(),
		kv:             opts.KV,
		ia:             opts.Interaction,
		creds:          opts.Credentials,
		fetcher:        opts.Fetcher,
		sessions:       opts.Sessions,
		postLogout:     opts.PostLogoutURL,
		errorPage:      opts.ErrorPage,
		log:            opts.Logger,
		accessTTL:      opts.AccessTokenTTL,
		refreshTTL:     opts.RefreshTokenTTL,
		interactionTTL: opts.InteractionTTL,
		docTTL:         opts.ClientDocTTL,
		window:         opts.ProofWindow,
		now:            opts.Now,
		replay:         auth.NewReplayCache(opts.ReplayCacheSize),
	}
	if p.accessTTL == 0 {
		p.accessTTL = DefaultAccessTokenTTL
	}
	if p.accessTTL < MinAccessTokenTTL || p.accessTTL > MaxAccessTokenTTL {
		return nil, fmt.Errorf("op: AccessTokenTTL must be between %v and %v", MinAccessTokenTTL, MaxAccessTokenTTL)
	}
	if p.refreshTTL <= 0 {
		p.refreshTTL = DefaultRefreshTTL
	}
	if p.interactionTTL <= 0 {
		p.interactionTTL = DefaultInteractionTTL
	}
	if p.docTTL <= 0 {
		p.docTTL = DefaultClientDocTTL
	}
	if p.window <= 0 {
		p.window = auth.DefaultProofWindow
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if p.postLogout == "" {
		p.postLogout = p.issuer + "/"
	}
	p.docs = newDocCache(1000)
	if p.builtin, err = parseBuiltin(opts.Builtin); err != nil {
		return nil, err
	}
	if p.discovery, err = p.discoveryDocument(); err != nil {
		return nil, err
	}
	if err := p.loadKeys(ctx); err != nil {
		return nil, err
	}
	if p.rev = opts.Revocations; p.rev == nil {
		if p.rev, err = NewRevocations(ctx, RevocationOptions{KV: p.kv, AccessTokenTTL: p.accessTTL, RefreshTokenTTL: p.refreshTTL, Now: p.now}); err != nil {
			return nil, err
		}
	} else if p.rev.kv != p.kv || p.rev.accessTTL != p.accessTTL || p.rev.refreshTTL != p.refreshTTL {
		return nil, errors.New("op: Options.Revocations must be made on Options.KV with the same token lifetimes")
	}
	p.revoked = &p.rev.revoked
	p.mux = p.routes()
	return p, nil
}

// Issuer returns the issuer identifier (the iss of every token).
func (p *Provider) Issuer() string { return p.issuer }

// endpoint is the absolute URL of an endpoint path.
func (p *Provider) endpoint(path string) string { return p.issuer + path }

func (p *Provider) routes() *http.ServeMux {
	m := http.NewServeMux()
	b := p.basePath
	m.HandleFunc("GET "+b+PathDiscovery, p.serveDiscovery)
	m.HandleFunc("GET "+b+PathJWKS, p.serveJWKS)
	m.HandleFunc("GET "+b+PathAuth, p.serveAuthorize)
	m.HandleFunc("POST "+b+PathAuth, p.serveAuthorize)
	m.HandleFunc("POST "+b+PathToken, p.serveToken)
	m.HandleFunc("POST "+b+PathRegister, p.serveRegister)
	m.HandleFunc("POST "+b+PathRevoke, p.serveRevoke)
	m.HandleFunc("GET "+b+PathLogout, p.serveLogout)
	m.HandleFunc("POST "+b+PathLogout, p.serveLogout)
	for _, path := range []string{PathDiscovery, PathJWKS, PathToken, PathRegister, PathRevoke} {
		m.HandleFunc("OPTIONS "+b+path, servePreflight)
	}
	return m
}

// ServeHTTP serves the provider's endpoints; any other path is 404.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case p.basePath + PathDiscovery, p.basePath + PathJWKS, p.basePath + PathToken,
		p.basePath + PathRegister, p.basePath + PathRevoke:
		// Called from browser apps with fetch: no cookies are used on these
		// endpoints, so any origin may call them.
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "WWW-Authenticate, DPoP-Nonce")
	}
	p.mux.ServeHTTP(w, r)
}

func servePreflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, DPoP")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}
