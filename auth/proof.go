package auth

import (
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// DefaultProofWindow is how far a proof's iat may be from the server clock,
// in either direction, when ProofOptions.Window is zero.
const DefaultProofWindow = 60 * time.Second

// maxJTIBytes bounds the jti claim (RFC 9449 does not; 512 bytes is generous).
const maxJTIBytes = 512

// ProofOptions tunes VerifyProof.
type ProofOptions struct {
	// Window is the accepted |now - iat| (default DefaultProofWindow).
	Window time.Duration
	// Replay, when set, records the proof's jti after every other check has
	// passed and refuses a jti seen before. When nil, VerifyProof does no
	// replay check and the caller MUST call ReplayCache.Use itself (the
	// recommended flow does so after the token is verified and bound, so that
	// only proofs bound to a valid token consume cache capacity).
	Replay *ReplayCache
	// OptionalATH accepts a proof without ath when an access token is
	// presented; an ath that is present must still match. RFC 9449 §4.3
	// requires ath, but Inrupt's client libraries (solid-client-authn-core
	// createDpopHeader, 4.x and 5.0.0) never send it, so a server that
	// insists cannot serve the most used Solid apps. The token stays bound
	// to the proof key through cnf.jkt either way.
	OptionalATH bool
}

// Proof is a verified DPoP proof.
type Proof struct {
	// Thumbprint is the RFC 7638 SHA-256 thumbprint of the proof key,
	// base64url without padding; compare it with the token's cnf.jkt.
	Thumbprint string
	Alg        string
	Key        jwk.Key // the public key from the proof header
	JTI        string
	Method     string // htm
	URL        string // htu as sent (the normalised form matched the request)
	IssuedAt   time.Time
	// Expires is the last instant at which this proof would be accepted
	// (iat + window); the replay cache keeps its jti until then.
	Expires time.Time
}

type proofClaims struct {
	HTM   string   `json:"htm"`
	HTU   string   `json:"htu"`
	IAT   *float64 `json:"iat"`
	JTI   string   `json:"jti"`
	ATH   *string  `json:"ath"`
	Nonce string   `json:"nonce"`
}

// VerifyProof verifies a DPoP proof JWT per RFC 9449 §4.3 for a request with
// the given method and URL. htu must be built from the configured public base
// URL (never the Host header); its query and fragment are ignored. When the
// request carries an access token it must be passed as accessToken: the proof
// must then contain ath = base64url(SHA-256(accessToken)).
func VerifyProof(proof string, method, htu string, accessToken string, now time.Time, opts ProofOptions) (*Proof, error) {
	if proof == "" {
		return nil, proofErr("missing")
	}
	if len(proof) > maxProofBytes {
		return nil, proofErr("too large")
	}
	c, reason := parseCompact(proof)
	if reason != "" {
		return nil, proofErr(reason)
	}
	if !strings.EqualFold(c.header.Typ, "dpop+jwt") {
		// Media type names are case-insensitive (RFC 7515 §4.1.9).
		return nil, proofErr("typ is not dpop+jwt")
	}
	if len(c.header.JWK) == 0 {
		return nil, proofErr("no jwk in header")
	}
	key, err := jwk.ParseKey(c.header.JWK)
	if err != nil {
		return nil, proofErr("jwk does not parse")
	}
	raw, reason := rawPublic(key, false)
	if reason != "" {
		return nil, proofErr(reason)
	}
	if reason := checkKeyForAlg(c.header.Alg, raw); reason != "" {
		return nil, proofErr(reason)
	}
	if !c.verifySig(raw) {
		return nil, proofErr("bad signature")
	}

	// The payload is authentic from here on; now check it matches the request.
	var cl proofClaims
	if err := json.Unmarshal(c.payload, &cl); err != nil {
		return nil, proofErr("claims are not a JSON object")
	}
	if cl.HTM == "" || cl.HTM != method {
		return nil, proofErr("htm does not match the request method")
	}
	got, ok := normalizeHTU(cl.HTU)
	if !ok {
		return nil, proofErr("htu is not an absolute http(s) URL")
	}
	want, ok := normalizeHTU(htu)
	if !ok {
		return nil, proofErr("server request URL is invalid")
	}
	if got != want {
		return nil, proofErr("htu does not match the request URL")
	}
	iatSec, ok := numericDate(cl.IAT)
	if !ok {
		return nil, proofErr("missing or invalid iat")
	}
	window := opts.Window
	if window <= 0 {
		window = DefaultProofWindow
	}
	iat := time.Unix(iatSec, 0)
	if iat.Before(now.Add(-window)) {
		return nil, proofErr("iat too old")
	}
	if iat.After(now.Add(window)) {
		return nil, proofErr("iat in the future")
	}
	if cl.JTI == "" {
		return nil, proofErr("missing jti")
	}
	if len(cl.JTI) > maxJTIBytes {
		return nil, proofErr("jti too long")
	}
	if accessToken != "" {
		switch {
		case cl.ATH == nil && !opts.OptionalATH:
			return nil, proofErr("missing ath")
		case cl.ATH != nil && subtle.ConstantTimeCompare([]byte(*cl.ATH), []byte(TokenHash(accessToken))) != 1:
			return nil, proofErr("ath does not match the access token")
		}
	}

	tp, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, proofErr("cannot compute jwk thumbprint")
	}
	p := &Proof{
		Thumbprint: base64.RawURLEncoding.EncodeToString(tp),
		Alg:        c.header.Alg,
		Key:        key,
		JTI:        cl.JTI,
		Method:     cl.HTM,
		URL:        cl.HTU,
		IssuedAt:   iat,
		Expires:    iat.Add(window),
	}
	if opts.Replay != nil {
		if err := opts.Replay.Use(p, now); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// TokenHash returns base64url(SHA-256(token)), the value of a proof's ath.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// normalizeHTU returns the comparison form of an htu / request URL: query and
// fragment removed, then RFC 3986 §6.2.2 syntax-based normalisation (lower-case
// scheme and host, percent-encoding normalised, dot segments removed) and
// §6.2.3 scheme-based normalisation (default port dropped, empty path = "/").
// URLs with user info or a scheme other than http(s) are refused.
func normalizeHTU(s string) (string, bool) {
	if s == "" || len(s) > 4096 {
		return "", false
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", false
	}
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	path, ok := normalizePercent(u.EscapedPath())
	if !ok {
		return "", false
	}
	path = removeDotSegments(path)
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}

// normalizePercent decodes percent-encoded unreserved characters and
// upper-cases the hex digits of the remaining escapes (RFC 3986 §6.2.2.1-2).
func normalizePercent(p string) (string, bool) {
	if !strings.Contains(p, "%") {
		return p, true
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			b.WriteByte(p[i])
			continue
		}
		if i+2 >= len(p) {
			return "", false
		}
		hi, ok1 := unhex(p[i+1])
		lo, ok2 := unhex(p[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		c := hi<<4 | lo
		if isUnreserved(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[hi])
			b.WriteByte(hex[lo])
		}
		i += 2
	}
	return b.String(), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// removeDotSegments implements RFC 3986 §5.2.4.
func removeDotSegments(p string) string {
	if !strings.Contains(p, ".") {
		return p
	}
	var out []string
	segs := strings.Split(p, "/")
	for i, s := range segs {
		switch s {
		case ".":
			if i == len(segs)-1 {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if i == len(segs)-1 {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	r := strings.Join(out, "/")
	if strings.HasPrefix(p, "/") && !strings.HasPrefix(r, "/") {
		r = "/" + r
	}
	return r
}
