package httpsig

import (
	"context"
	"crypto/rsa"
)

// PublicKey is a remote actor's signing key as its owner publishes it.
type PublicKey struct {
	// ID is the key's id, exactly the keyId a signature names.
	ID string
	// Owner is the actor the key belongs to, as confirmed by the
	// resolver (the actor document lists this key).
	Owner string
	// Key is the RSA public key.
	Key *rsa.PublicKey
}

// KeyResolver finds the key a signature names.
//
// Key returns the key whose id is keyID. With refresh set it must not
// answer from a cache: the caller saw a signature fail with the key it had
// and the owner may have rotated it (a resolver may still refuse to refetch
// a key it fetched moments ago, so a flood of bad signatures cannot make it
// fetch in a loop). An error that may pass (5xx, timeout, dial error) must
// match ErrKeyUnavailable with errors.Is; any other error means the key
// cannot be had and the request is refused.
type KeyResolver interface {
	Key(ctx context.Context, keyID string, refresh bool) (*PublicKey, error)
}

// Scheme names the signature form a request used.
type Scheme string

// The two forms Verify accepts.
const (
	Cavage  Scheme = "draft-cavage-http-signatures-12"
	RFC9421 Scheme = "rfc9421"
)

// Verified describes a request whose signature verified.
type Verified struct {
	// KeyID is the keyId (cavage) or keyid (RFC 9421) that verified.
	KeyID string
	// Owner is the key's owner as the resolver confirmed it.
	Owner string
	// Scheme is the form the signature had.
	Scheme Scheme
}

// CheckActor returns nil when actor, the activity's actor IRI, is the owner
// of the key that signed the request, and an error matching ErrActorMismatch
// (so ErrRejected: 401, nothing stored) otherwise. Mastodon and GoToSocial
// drop an activity whose signer is not its actor (SECURITY row 36); the
// comparison is exact, as theirs is: one actor IRI, no normalisation that
// could make two actors equal.
func (v *Verified) CheckActor(actor string) error {
	if v == nil || actor == "" || v.Owner == "" || actor != v.Owner {
		return reject(ErrActorMismatch, "actor %q, key owner %q", actor, ownerOf(v))
	}
	return nil
}

func ownerOf(v *Verified) string {
	if v == nil {
		return ""
	}
	return v.Owner
}
