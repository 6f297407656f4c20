package op

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
)

// KV layout. Every record the provider keeps is in Options.KV under "op/".
// Secrets (codes, refresh tokens, interaction ids, client secrets) appear
// only as hashed(secret), never in clear.
const (
	// kvSigningKeys holds the signing key set (JSON storedKeySet); the last
	// key is the active one.
	kvSigningKeys = "op/keys"
	// kvClient + client_id: a dynamically registered client (JSON client),
	// with a TTL of UnusedClientTTL until a code is issued to it, then
	// renewed on use (client.go).
	kvClient = "op/client/"
	// kvInteraction + hashed(interaction id): a Pending authorization
	// request, with a TTL of Options.InteractionTTL.
	kvInteraction = "op/ia/"
	// kvCode + hashed(code): an authorization code (JSON codeRecord), kept
	// after use until its TTL so that reuse can be detected.
	kvCode = "op/code/"
	// kvRefresh + hashed(refresh token): a refresh token (JSON
	// refreshRecord), kept after rotation so that reuse can be detected.
	kvRefresh = "op/rt/"
	// kvGrant + escaped account id + "/" + grant id: one grant (a refresh
	// token family, JSON grantRecord); revoking it kills every refresh
	// token of the family.
	kvGrant = "op/grant/"
	// kvRevoked + jti: an access token revoked before its expiry (the
	// decimal exp), kept until it expires (revoked.go).
	kvRevoked = "op/revoked/"
	// kvIssued + escaped account id + "/" + jti: an access token issued for
	// the account (JSON issuedRecord: exp, client), kept until it expires,
	// so that deleting the account or credential revokes it
	// (revoke_account.go).
	kvIssued = "op/at/"
	// kvGone + "acct/" or "cred/" + escaped id: a deleted account or client
	// credential, for which no token is issued any more (revoke_account.go).
	kvGone = "op/gone/"
	// kvApp + escaped account id + "/" + escaped client id: an app the
	// account connected (JSON appRecord: its metadata, when connected and
	// last used), for the account page (apps.go).
	kvApp = "op/app/"
)

// hashed is the storage form of a secret: base64url(SHA-256(s)). Every
// secret hashed here is 256 bits of randomness, so a fast hash suffices.
func hashed(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// randomToken returns n random bytes, base64url without padding.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("op: crypto/rand: " + err.Error()) // never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func grantPrefix(accountID string) string { return kvGrant + url.PathEscape(accountID) + "/" }
