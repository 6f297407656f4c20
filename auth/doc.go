// Package auth is Naamio's Solid-OIDC resource server: it verifies DPoP proofs
// (RFC 9449) and the DPoP-bound access tokens they accompany.
//
// The request flow is "cheap checks first" (SECURITY.md rows 27–32): nothing
// that needs a network fetch happens before everything that can be checked
// locally has passed.
//
//	scheme, tok, err := ParseAuthorization(r.Header.Get("Authorization"))
//	// scheme must be "DPoP"; a DPoP-bound token sent as Bearer is refused.
//	proof, err := VerifyProof(r.Header.Get("DPoP"), r.Method, publicURL, tok, now, ProofOptions{})
//	t, ok := tokens.Get(tok, now)                  // verified-token cache
//	if !ok {
//	    iss, webid, err := UnverifiedClaims(tok)    // untrusted, for discovery only
//	    // check webid lists iss as solid:oidcIssuer, fetch iss's JWKS (SSRF-safe) ...
//	    t, err = VerifyAccessToken(tok, keys, now, TokenOptions{Issuer: iss})
//	    tokens.Put(tok, t)
//	}
//	err = Bind(t, proof)                           // cnf.jkt == proof key thumbprint
//	err = replay.Use(proof, now)                   // jti not seen before
//
// Authenticator.Authenticate runs this whole flow for an *http.Request
// (WebID profile, issuer discovery and JWKS fetched through the SSRF-safe
// client and cached) and returns the Agent, the zero Agent for a request
// without Authorization, or an error matching ErrUnauthenticated (401, with
// WWWAuthenticate(err)) or ErrUnavailable (503).
//
// publicURL is built from the configured public base URL and the request path,
// never from the request's Host header.
//
// Errors wrap one of the sentinels ErrInvalidProof, ErrInvalidToken or
// ErrReplay (and ErrReplayCacheFull / ErrUnknownKey where noted) with a short,
// fixed reason. Error text never contains the token, the proof or any other
// request-supplied string, so errors are safe to log.
package auth
