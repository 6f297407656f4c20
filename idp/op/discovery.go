package op

import (
	"encoding/json"
	"net/http"
)

// supportedScopes are the scopes the provider knows; others are ignored
// (OpenID Connect Core §3.1.2.1 lets a provider ignore unknown scopes).
var supportedScopes = []string{"openid", "webid", "offline_access", "profile"}

// discoveryDocument builds the OpenID Provider Metadata (OpenID Connect
// Discovery §3, RFC 8414, RFC 9207 §3, RFC 9449 §5.1, Solid-OIDC §4).
func (p *Provider) discoveryDocument() ([]byte, error) {
	return json.Marshal(map[string]any{
		"issuer":                                         p.issuer,
		"authorization_endpoint":                         p.endpoint(PathAuth),
		"token_endpoint":                                 p.endpoint(PathToken),
		"jwks_uri":                                       p.endpoint(PathJWKS),
		"registration_endpoint":                          p.endpoint(PathRegister),
		"revocation_endpoint":                            p.endpoint(PathRevoke),
		"end_session_endpoint":                           p.endpoint(PathLogout),
		"scopes_supported":                               supportedScopes,
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token", "client_credentials"},
		"subject_types_supported":                        []string{"public"},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          []string{"none", "client_secret_basic"},
		"revocation_endpoint_auth_methods_supported":     []string{"none", "client_secret_basic"},
		"dpop_signing_alg_values_supported":              []string{"ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512", "EdDSA"},
		"id_token_signing_alg_values_supported":          []string{"ES256"},
		"authorization_response_iss_parameter_supported": true,
		"claims_supported":                               []string{"iss", "sub", "aud", "azp", "iat", "exp", "auth_time", "nonce", "webid", "client_id"},
		"claims_parameter_supported":                     false,
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"solid_oidc_supported":                           "https://solidproject.org/TR/solid-oidc",
	})
}

func (p *Provider) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(p.discovery)
}

func (p *Provider) serveJWKS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/jwk-set+json")
	// Short: resource servers refetch on an unknown kid anyway.
	h.Set("Cache-Control", "public, max-age=60")
	_, _ = w.Write(p.keys.Load().jwks)
}
