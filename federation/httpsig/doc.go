// Package httpsig signs outgoing ActivityPub requests and verifies incoming
// ones with HTTP Signatures, in the two forms the Fediverse uses:
//
//   - draft-cavage-http-signatures-12 (Mastodon, GoToSocial, Fedify's
//     fallback): outgoing POSTs sign "(request-target) host date digest"
//     with rsa-sha256 and a "Digest: SHA-256=" header, GETs sign
//     "(request-target) host date". Incoming signatures are accepted with
//     algorithm rsa-sha256 or hs2019 over an RSA key. The signature string
//     and the RSA check are code.superseriousbusiness.org/httpsig's
//     (GoToSocial's library); this package adds what it leaves to the
//     caller: which headers must be covered, the Date window, the Digest
//     check against the body, the Host check and refusing duplicated
//     parameters.
//   - RFC 9421 HTTP Message Signatures (Fedify sends these first, Mastodon
//     4.5 accepts them) with rsa-v1_5-sha256 and Content-Digest (RFC 9530).
//     The structured fields are parsed and serialized with
//     github.com/dunglas/httpsfv and the RSA check is the standard library's;
//     the signature base is built here. github.com/remitly-oss/httpsig-go
//     v1.2.0 was evaluated and not used: it derives "@target-uri" from
//     URL.RawPath and RawQuery without the "?" (a POST to
//     https://h/alice/inbox/?x=1 gets the base value "http://hx=1"), so it
//     can neither verify what Fedify signs nor sign what Fedify verifies;
//     it never compares the "alg" parameter with the key, and its clock
//     cannot be set from outside its package.
//
// Keys are found through a KeyResolver (federation/remote implements one
// with a cache). When a signature does not verify with the key the
// resolver returned, it is asked once more with refresh set, because the
// key may have been rotated (SECURITY row 44).
//
// Errors carry their kind: errors.Is(err, ErrUnsigned) or ErrRejected
// (answer 401) and ErrKeyUnavailable (the key could not be fetched for a
// reason that may pass: answer 503 so the sender retries). The handler
// that owns the HTTP mapping decides the status; this package only sorts.
//
// The caller still has to check that the key's owner is the activity's
// actor (SECURITY row 36): Verified.CheckActor does that comparison.
package httpsig
