package auth

import "errors"

var (
	// ErrInvalidProof: the DPoP proof is missing, malformed, badly signed or
	// does not match the request.
	ErrInvalidProof = errors.New("auth: invalid DPoP proof")
	// ErrInvalidToken: the access token (or Authorization header) is
	// malformed, badly signed, expired, or not bound to the proof key.
	ErrInvalidToken = errors.New("auth: invalid access token")
	// ErrReplay: the proof's jti has already been used within its window.
	ErrReplay = errors.New("auth: DPoP proof replayed")
	// ErrReplayCacheFull: the replay cache is at capacity with unexpired
	// entries, so the proof cannot be recorded and is refused (fail closed).
	// Callers should answer 503 with Retry-After (or 401). It does not match
	// ErrReplay: the proof was not seen before.
	ErrReplayCacheFull = errors.New("auth: DPoP replay cache full")
	// ErrUnknownKey: the token names a key id that is not in the supplied key
	// set. It also matches ErrInvalidToken. A caller may refetch the issuer's
	// JWKS once (key rotation) and retry.
	ErrUnknownKey = errors.New("auth: unknown token signing key")
)

// authError wraps a sentinel with a fixed reason. The reason is always a
// constant chosen by this package, never request data.
type authError struct {
	sentinel error
	extra    error // optional second sentinel (ErrUnknownKey)
	reason   string
}

func (e *authError) Error() string { return e.sentinel.Error() + ": " + e.reason }

func (e *authError) Unwrap() []error {
	if e.extra != nil {
		return []error{e.sentinel, e.extra}
	}
	return []error{e.sentinel}
}

func proofErr(reason string) error { return &authError{sentinel: ErrInvalidProof, reason: reason} }
func tokenErr(reason string) error { return &authError{sentinel: ErrInvalidToken, reason: reason} }
