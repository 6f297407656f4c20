package httpsig

import (
	"errors"
	"fmt"
)

// The three kinds of failure. Every error Verify returns matches exactly
// one of them with errors.Is.
var (
	// ErrUnsigned: the request carries no signature at all (401).
	ErrUnsigned = errors.New("httpsig: request is not signed")
	// ErrRejected: the signature is malformed, incomplete, stale or wrong,
	// or its key cannot be had for good (401). The specific reasons below
	// all match it.
	ErrRejected = errors.New("httpsig: signature rejected")
	// ErrKeyUnavailable: the key could not be fetched for a reason that
	// may pass (the peer answered 5xx, timed out, could not be reached): a
	// 503 lets the sender retry later (SECURITY row 44).
	ErrKeyUnavailable = errors.New("httpsig: signing key temporarily unavailable")
)

// Reasons for ErrRejected. errors.Is(err, ErrDigest) names the reason and
// errors.Is(err, ErrRejected) holds for each of them.
var (
	// ErrMalformed: the signature header(s) do not parse.
	ErrMalformed = rejection("malformed signature")
	// ErrDuplicate: a signature parameter, label, component or header
	// appears more than once (SECURITY row 38).
	ErrDuplicate = rejection("duplicated signature parameter")
	// ErrNotCovered: a component the request must sign is not covered:
	// (request-target)/@method+@target-uri, host, date, digest
	// (SECURITY row 37).
	ErrNotCovered = rejection("required component not signed")
	// ErrDigest: Digest/Content-Digest is missing, of no supported
	// algorithm, or does not match the body (SECURITY row 37).
	ErrDigest = rejection("body digest missing or wrong")
	// ErrDate: Date (or created) is missing, unparsable or more than the
	// allowed skew from now; or the signature expired (SECURITY row 38).
	ErrDate = rejection("signature date out of range")
	// ErrHost: the request is addressed to a host this server does not
	// answer for (SECURITY row 37).
	ErrHost = rejection("request host is not this server")
	// ErrAlgorithm: an algorithm other than RSA PKCS #1 v1.5 with SHA-256.
	ErrAlgorithm = rejection("unsupported signature algorithm")
	// ErrNoKey: the key cannot be obtained for good (gone, not AS2, no
	// such key in the document, not RSA).
	ErrNoKey = rejection("signing key not found")
	// ErrBadSignature: the signature does not verify with the key, also
	// after fetching the key again.
	ErrBadSignature = rejection("signature does not verify")
	// ErrActorMismatch: the key's owner is not the activity's actor
	// (SECURITY row 36), from Verified.CheckActor.
	ErrActorMismatch = rejection("signing key's owner is not the activity's actor")
)

// reason is one specific cause of ErrRejected.
type reason struct{ msg string }

func rejection(msg string) error { return &reason{msg} }

func (r *reason) Error() string { return "httpsig: " + r.msg }

// Is makes every reason match ErrRejected.
func (r *reason) Is(target error) bool { return target == ErrRejected }

// reject wraps a reason with detail for logs (never key material).
func reject(why error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", why, fmt.Sprintf(format, args...))
}
