package auth

import (
	"net/http"
	"time"

	"github.com/naamio/naamio/internal/safehttp"
)

// Defaults for zero AuthOptions fields.
const (
	DefaultCacheTTL             = 5 * time.Minute
	DefaultProfileCacheSize     = 10000
	DefaultIssuerCacheSize      = 1000
	DefaultJWKSRefetchInterval  = 10 * time.Second
	DefaultMaxConcurrentFetches = 64
)

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
