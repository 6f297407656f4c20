package account

import (
	"crypto/sha256"
	"encoding/hex"
)

// Key layout. Everything this package stores lives in the one kv.KV handed
// to New (the kv.Accounts namespace of the Badger store in production), as JSON
// records with a "v" version field (record.go), except meta/secret:
//
//	meta/secret               32 random bytes: the server secret for CSRF HMACs, created once by New
//	meta/first                {"v":1,"account":<id>}; present once the first account exists (decides
//	                          FirstAccountAdmin); removed only by Undo of that account
//	acct/<id>                 accountRecord; <id> is 22 characters of base64url
//	email/<email>             emailRecord: the account id for a normalized email (the uniqueness index)
//	sess/<sha256hex(token)>   sessionRecord; Badger TTL = session lifetime
//	reset/<sha256hex(token)>  resetRecord; Badger TTL = ResetTTL
//	invite/<sha256hex(code)>  inviteRecord; Badger TTL = InviteTTL (none when negative)
//	cred/<id>                 credRecord: a client credential (hashed secret, account, WebID)
//	credby/<acct>/<id>        {"v":1}; lists an account's client credentials
//	approved/<acct>/<client>  approvalRecord: scopes the account approved for a client
//
// Tokens, reset tokens, invite codes and client secrets are never stored,
// only their SHA-256; expiry is also checked against the injected clock,
// so a record that outlives its TTL in the store is still refused.
const (
	keySecret = "meta/secret"
	keyFirst  = "meta/first"
)

func keyAccount(id string) string       { return "acct/" + id }
func keyEmail(email string) string      { return "email/" + email }
func keySession(token string) string    { return "sess/" + hashHex(token) }
func keyReset(token string) string      { return "reset/" + hashHex(token) }
func keyInvite(code string) string      { return "invite/" + hashHex(code) }
func keyCred(id string) string          { return "cred/" + id }
func keyCredBy(acct, id string) string  { return prefixCredBy(acct) + id }
func prefixCredBy(acct string) string   { return "credby/" + acct + "/" }
func prefixApproved(acct string) string { return "approved/" + acct + "/" }
func keyApproved(acct, client string) string {
	return prefixApproved(acct) + client
}

// hashHex is the SHA-256 of a high-entropy secret, hex-encoded.
func hashHex(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
