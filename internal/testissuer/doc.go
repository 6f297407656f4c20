// Package testissuer is a Solid-OIDC issuer for tests: a real HTTP server on
// 127.0.0.1 that serves OpenID discovery, a JWKS and WebID profiles, mints
// DPoP-bound access tokens, and signs requests with DPoP proofs (RFC 9449).
//
// It is a test peer, not part of the server: the conformance suite and the
// load tools import it to act as logged-in agents against a real naamio
// process started with --allow-fetch-addr <Issuer.AddrPort()>.
//
//	iss, _ := testissuer.Start(testissuer.Options{})
//	defer iss.Close()
//	alice, _ := iss.NewAgent("alice")      // WebID iss.WebID("alice")
//	client := alice.Client(nil)            // signs every request
//
// Lower-level pieces (Key.Proof, Key.SignCompact, Compact, Issuer.Claims,
// Issuer.SignToken) let tests build defective proofs and tokens by hand.
package testissuer
