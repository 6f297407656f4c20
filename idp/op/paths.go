package op

// Endpoint paths, relative to the issuer URL. The provider serves exactly
// these; the server mounts Provider at the issuer's root.
const (
	PathDiscovery = "/.well-known/openid-configuration" // OpenID Connect Discovery 1.0 §4
	PathJWKS      = "/.oidc/jwks"
	PathAuth      = "/.oidc/auth"
	PathToken     = "/.oidc/token"
	PathRegister  = "/.oidc/reg"
	PathRevoke    = "/.oidc/revoke"
	PathLogout    = "/.oidc/logout"
)

// Paths lists every path the provider serves (for the server's router).
var Paths = []string{PathDiscovery, PathJWKS, PathAuth, PathToken, PathRegister, PathRevoke, PathLogout}
