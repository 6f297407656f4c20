// Package op is Naamio's Solid-OIDC OpenID Provider core: discovery, JWKS,
// the authorization endpoint (code flow, PKCE S256 only, RFC 9207 iss),
// the token endpoint (authorization_code, refresh_token with rotation,
// client_credentials; DPoP required, RFC 9449), dynamic client registration
// (RFC 7591), Solid Client Identifier Documents, revocation (RFC 7009) and
// RP-initiated logout.
//
// It knows nothing of pages, accounts or sessions. A valid authorization
// request is stored as a Pending interaction and the user agent is sent to
// the URL returned by Interaction.Begin; the web layer logs the user in,
// asks for consent (Provider.Pending tells it what to show) and then calls
// Provider.Complete or Provider.Deny, which return the URL to redirect the
// user agent back to the client. Client credentials are checked through
// Credentials, Client Identifier Documents are fetched through Fetcher and
// an OP session is ended through Sessions; the server passes the
// implementations in.
//
// Built directly on github.com/lestrrat-go/jwx/v2 and the auth package's
// DPoP proof verification: no OAuth framework in Go offers DPoP at the token
// endpoint and the RFC 9207 iss parameter without a second JOSE library.
//
// Access tokens are self-contained JWTs, but the provider remembers the ones
// issued within each grant: when a code is presented twice, a rotated
// refresh token is reused, or a grant is revoked (by its account, or by
// the client at the revocation endpoint), those access tokens are revoked
// too, and Revoked tells the server's own resource server so (from memory,
// reloaded at start).
//
// Everything the provider stores lives in the kv.KV it is given, under the
// keys documented in kvkeys.go. Tokens, codes and secrets are never logged
// and only their SHA-256 hashes are stored.
package op
