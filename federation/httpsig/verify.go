package httpsig

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultMaxSkew is how far Date (or created) may be from now: Mastodon
// refuses a Date outside about now−1h..now+1h, and so do we (SECURITY row 38).
const DefaultMaxSkew = time.Hour

// Verifier checks the signatures of requests addressed to this server.
// Its fields are read-only once it is in use; it is safe for concurrent use.
type Verifier struct {
	// Keys finds the key a signature names. Required.
	Keys KeyResolver
	// PublicURL is the server's public base URL. Its scheme is the one
	// senders sign in "@target-uri"; its host (with port) is the only
	// Host the server accepts signed requests for, so a signature made for
	// another server cannot be replayed here (SECURITY row 37). Required.
	PublicURL *url.URL
	// Subdomains also accepts hosts one label below PublicURL's host, for
	// pods that live at https://<name>.<base host>/.
	Subdomains bool
	// MaxSkew bounds |Date − now| and |created − now|. 0 means DefaultMaxSkew.
	MaxSkew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewVerifier returns a Verifier for the server at publicURL.
func NewVerifier(keys KeyResolver, publicURL string) (*Verifier, error) {
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("httpsig: public URL %q must be an absolute http(s) URL", publicURL)
	}
	return &Verifier{Keys: keys, PublicURL: u}, nil
}

// Verify checks the signature of r, whose body (already read, and bounded
// by the caller) is body. It accepts draft-cavage and RFC 9421 signatures.
// Everything that can be checked without the key is checked first (covered
// components, Date, digest, Host), so a request that fails those causes no
// fetch. On success it returns the key id that verified and its owner; the
// caller must then check the owner against the activity's actor
// (Verified.CheckActor).
func (v *Verifier) Verify(r *http.Request, body []byte) (*Verified, error) {
	if v.Keys == nil || v.PublicURL == nil {
		return nil, errors.New("httpsig: Verifier needs Keys and PublicURL")
	}
	m, err := v.received(r)
	if err != nil {
		return nil, err
	}
	var c *candidate
	switch {
	case len(r.Header.Values("Signature-Input")) > 0:
		c, err = v.parse9421(m, body)
	case len(r.Header.Values("Signature")) > 0:
		c, err = v.parseCavage(m, body)
	default:
		return nil, ErrUnsigned
	}
	if err != nil {
		return nil, err
	}
	owner, err := v.verifyWithKey(r.Context(), c)
	if err != nil {
		return nil, err
	}
	return &Verified{KeyID: c.keyID, Owner: owner, Scheme: c.scheme}, nil
}

// candidate is a parsed signature whose every key-independent check passed.
type candidate struct {
	scheme Scheme
	keyID  string
	verify func(*rsa.PublicKey) error
}

// verifyWithKey fetches the key, verifies, and on failure fetches the key
// once more (it may have been rotated: SECURITY row 44) and verifies again.
func (v *Verifier) verifyWithKey(ctx context.Context, c *candidate) (string, error) {
	key, err := v.key(ctx, c.keyID, false)
	if err != nil {
		return "", err
	}
	if c.verify(key.Key) == nil {
		return key.Owner, nil
	}
	fresh, err := v.key(ctx, c.keyID, true)
	if err != nil {
		return "", err
	}
	if !fresh.Key.Equal(key.Key) && c.verify(fresh.Key) == nil {
		return fresh.Owner, nil
	}
	return "", reject(ErrBadSignature, "key %s", c.keyID)
}

func (v *Verifier) key(ctx context.Context, keyID string, refresh bool) (*PublicKey, error) {
	k, err := v.Keys.Key(ctx, keyID, refresh)
	switch {
	case err != nil && errors.Is(err, ErrKeyUnavailable):
		return nil, err
	case err != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)):
		return nil, fmt.Errorf("%w: %w", ErrKeyUnavailable, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %s: %w", ErrNoKey, keyID, err)
	case k == nil || k.Key == nil || k.ID != keyID || k.Owner == "":
		return nil, reject(ErrNoKey, "resolver gave no usable key for %s", keyID)
	}
	return k, nil
}

// received is the message of a request addressed to this server, after
// checking that its Host is one this server answers for.
func (v *Verifier) received(r *http.Request) (*message, error) {
	scheme := strings.ToLower(v.PublicURL.Scheme)
	authority := normalAuthority(scheme, r.Host)
	if !v.hostOK(scheme, authority) {
		return nil, reject(ErrHost, "host %q", r.Host)
	}
	target, ok := requestTarget(r)
	if !ok {
		return nil, reject(ErrMalformed, "request target %q", r.RequestURI)
	}
	return &message{
		method:    r.Method,
		scheme:    scheme,
		authority: authority,
		target:    target,
		host:      r.Host,
		header:    r.Header,
	}, nil
}

func (v *Verifier) hostOK(scheme, authority string) bool {
	base := normalAuthority(scheme, v.PublicURL.Host)
	if authority == base {
		return true
	}
	if !v.Subdomains {
		return false
	}
	label, rest, ok := strings.Cut(authority, ".")
	return ok && rest == base && label != "" && !strings.ContainsAny(label, ":[]")
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) skew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return DefaultMaxSkew
}

// checkTime refuses a time more than the allowed skew from now.
func (v *Verifier) checkTime(what string, t time.Time) error {
	now := v.now()
	if d := now.Sub(t); d > v.skew() || -d > v.skew() {
		return reject(ErrDate, "%s %s is %s from now", what, t.UTC().Format(time.RFC3339), d.Round(time.Second))
	}
	return nil
}

// checkDate checks the Date header: present once, parsable, in the window.
func (v *Verifier) checkDate(h http.Header) error {
	vals := h.Values("Date")
	if len(vals) != 1 {
		return reject(ErrDate, "%d Date headers", len(vals))
	}
	t, err := http.ParseTime(vals[0])
	if err != nil {
		return reject(ErrDate, "unparsable Date %q", vals[0])
	}
	return v.checkTime("Date", t)
}

// bodyMethod reports whether the method carries a body that must be
// covered by a digest.
func bodyMethod(method string) bool {
	return method != http.MethodGet && method != http.MethodHead
}

// digestOf is the digest of body with the named algorithm ("sha-256",
// "sha-512", any case), or nil when the algorithm is not supported.
func digestOf(alg string, body []byte) []byte {
	var h hash.Hash
	switch strings.ToLower(alg) {
	case "sha-256":
		h = sha256.New()
	case "sha-512":
		h = sha512.New()
	default:
		return nil
	}
	h.Write(body)
	return h.Sum(nil)
}

// matchDigests checks digests (algorithm → claimed value) against body:
// every supported algorithm must match and at least one must be present.
func matchDigests(claims map[string][]byte, body []byte) error {
	supported := 0
	for alg, claimed := range claims {
		want := digestOf(alg, body)
		if want == nil {
			continue
		}
		supported++
		if subtle.ConstantTimeCompare(want, claimed) != 1 {
			return reject(ErrDigest, "%s does not match the body", alg)
		}
	}
	if supported == 0 {
		return reject(ErrDigest, "no SHA-256 or SHA-512 digest")
	}
	return nil
}
