package auth

// What Authenticate returns on failure, and the WWW-Authenticate challenge
// the caller answers a 401 with.

import (
	"errors"
)

var (
	// ErrUnauthenticated: the request carried credentials that were not
	// accepted. The caller answers 401 with WWWAuthenticate(err). It wraps
	// the cause (ErrInvalidProof, ErrInvalidToken, ErrReplay, ...).
	ErrUnauthenticated = errors.New("auth: unauthenticated")
	// ErrUnavailable: the credentials could not be checked because a WebID
	// profile, issuer discovery document or JWKS could not be fetched for a
	// temporary reason (timeout, connection failure, 5xx, 429), or the replay
	// cache is full (it then also matches ErrReplayCacheFull). The caller
	// answers 503.
	ErrUnavailable = errors.New("auth: credentials cannot be checked now")
)

// requestError is what Authenticate returns: a kind (ErrUnauthenticated or
// ErrUnavailable), a fixed reason, and the cause. Error() never includes the
// text of a cause from outside this package (which could quote a
// request-supplied URL), only this package's fixed reasons.
type requestError struct {
	kind   error
	reason string
	cause  error
}

func (e *requestError) Error() string {
	var ae *authError
	if e.cause != nil && errors.As(e.cause, &ae) && e.reason == "" {
		return e.kind.Error() + ": " + ae.Error()
	}
	return e.kind.Error() + ": " + e.reason
}

func (e *requestError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.kind, e.cause}
	}
	return []error{e.kind}
}

func unauth(cause error) error { return &requestError{kind: ErrUnauthenticated, cause: cause} }

func unauthReason(reason string, cause error) error {
	return &requestError{kind: ErrUnauthenticated, reason: reason, cause: cause}
}

func unavailable(reason string, cause error) error {
	return &requestError{kind: ErrUnavailable, reason: reason, cause: cause}
}

// challengeAlgs is the algs parameter of the DPoP challenge (RFC 9449 §7.1).
const challengeAlgs = `DPoP algs="ES256 PS256 RS256 EdDSA"`

// WWWAuthenticate returns the WWW-Authenticate value for a 401 answered
// because of err (nil: no credentials were sent). It always offers DPoP with
// the accepted algorithms (RFC 9449 §7.1, Solid-OIDC); when credentials were
// presented it adds error="invalid_dpop_proof" for a bad or replayed proof
// and error="invalid_token" otherwise. No request data is echoed.
func WWWAuthenticate(err error) string {
	switch {
	case err == nil:
		return challengeAlgs
	case errors.Is(err, ErrInvalidProof) || errors.Is(err, ErrReplay):
		return challengeAlgs + `, error="invalid_dpop_proof"`
	case errors.Is(err, ErrUnauthenticated):
		return challengeAlgs + `, error="invalid_token"`
	}
	return challengeAlgs
}
