package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// DefaultTokenSkew is the clock skew allowed on exp, iat and nbf when
// TokenOptions.Skew is zero.
const DefaultTokenSkew = 30 * time.Second

// maxKeysTried bounds the keys tried for a token without kid.
const maxKeysTried = 8

// TokenOptions tunes VerifyAccessToken.
type TokenOptions struct {
	// Issuer is required: the token's iss must equal it exactly. It is the
	// issuer whose key set was passed (and which the WebID lists as
	// solid:oidcIssuer).
	Issuer string
	// Skew is the allowed clock skew (default DefaultTokenSkew).
	Skew time.Duration
}

// Token is a verified Solid-OIDC access token.
type Token struct {
	Issuer   string
	WebID    string
	ClientID string
	Subject  string
	JTI      string
	Audience []string
	IssuedAt time.Time
	Expiry   time.Time
	// JKT is cnf.jkt: the thumbprint of the DPoP key the token is bound to.
	JKT string
}

type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = audience{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*a = l
	return nil
}

type tokenClaims struct {
	Iss      string   `json:"iss"`
	Aud      audience `json:"aud"`
	WebID    string   `json:"webid"`
	ClientID string   `json:"client_id"`
	Azp      string   `json:"azp"`
	Sub      string   `json:"sub"`
	JTI      string   `json:"jti"`
	IAT      *float64 `json:"iat"`
	EXP      *float64 `json:"exp"`
	NBF      *float64 `json:"nbf"`
	Cnf      *struct {
		JKT string `json:"jkt"`
	} `json:"cnf"`
}

// parseToken does every check that needs neither keys nor a clock.
func parseToken(token string) (*compactJWS, *tokenClaims, error) {
	if token == "" {
		return nil, nil, tokenErr("missing")
	}
	if len(token) > maxTokenBytes {
		return nil, nil, tokenErr("too large")
	}
	c, reason := parseCompact(token)
	if reason != "" {
		return nil, nil, tokenErr(reason)
	}
	if strings.EqualFold(c.header.Typ, "dpop+jwt") {
		return nil, nil, tokenErr("a DPoP proof is not an access token")
	}
	var cl tokenClaims
	if err := json.Unmarshal(c.payload, &cl); err != nil {
		return nil, nil, tokenErr("claims are not a JSON object")
	}
	if !hasSolidAudience(cl.Aud) {
		return nil, nil, tokenErr(`aud does not contain "solid"`)
	}
	if !isHTTPURL(cl.Iss) {
		return nil, nil, tokenErr("iss is not an http(s) URL")
	}
	if !isHTTPURL(cl.WebID) {
		return nil, nil, tokenErr("webid is not an http(s) URL")
	}
	if cl.ClientID == "" && cl.Azp == "" {
		return nil, nil, tokenErr("missing client_id")
	}
	if cl.Cnf == nil || cl.Cnf.JKT == "" {
		return nil, nil, tokenErr("not DPoP-bound (no cnf.jkt)")
	}
	return c, &cl, nil
}

// UnverifiedClaims parses token WITHOUT verifying its signature and returns
// its iss and webid, so the caller knows which WebID profile and issuer to
// look up. The values are untrusted: fetch them only with the SSRF-safe
// client, and only after the DPoP proof has been verified. Tokens that would
// fail anyway (malformed, alg none/HMAC, no "solid" audience, no webid, iss,
// client_id or cnf.jkt) are refused here so that they cause no fetch.
func UnverifiedClaims(token string) (iss, webid string, err error) {
	_, cl, err := parseToken(token)
	if err != nil {
		return "", "", err
	}
	return cl.Iss, cl.WebID, nil
}

// VerifyAccessToken verifies a Solid-OIDC access token signed by a key in
// keys (the issuer's JWKS, supplied by the caller) and checks its claims. It
// does not check the DPoP binding: call Bind with the verified proof.
func VerifyAccessToken(token string, keys jwk.Set, now time.Time, opts TokenOptions) (*Token, error) {
	c, cl, err := parseToken(token)
	if err != nil {
		return nil, err
	}
	if opts.Issuer == "" {
		return nil, tokenErr("no expected issuer configured")
	}
	if cl.Iss != opts.Issuer {
		return nil, tokenErr("iss is not the expected issuer")
	}
	if keys == nil || keys.Len() == 0 {
		return nil, &authError{sentinel: ErrInvalidToken, extra: ErrUnknownKey, reason: "empty key set"}
	}
	if err := verifyWithSet(c, keys); err != nil {
		return nil, err
	}

	skew := opts.Skew
	if skew <= 0 {
		skew = DefaultTokenSkew
	}
	exp, ok := numericDate(cl.EXP)
	if !ok {
		return nil, tokenErr("missing or invalid exp")
	}
	iat, ok := numericDate(cl.IAT)
	if !ok {
		return nil, tokenErr("missing or invalid iat")
	}
	expT, iatT := time.Unix(exp, 0), time.Unix(iat, 0)
	if !now.Before(expT.Add(skew)) {
		return nil, tokenErr("expired")
	}
	if iatT.After(now.Add(skew)) {
		return nil, tokenErr("iat in the future")
	}
	if cl.NBF != nil {
		nbf, ok := numericDate(cl.NBF)
		if !ok {
			return nil, tokenErr("invalid nbf")
		}
		if time.Unix(nbf, 0).After(now.Add(skew)) {
			return nil, tokenErr("not yet valid (nbf)")
		}
	}
	clientID := cl.ClientID
	if clientID == "" {
		clientID = cl.Azp
	}
	return &Token{
		Issuer:   cl.Iss,
		WebID:    cl.WebID,
		ClientID: clientID,
		Subject:  cl.Sub,
		JTI:      cl.JTI,
		Audience: []string(cl.Aud),
		IssuedAt: iatT,
		Expiry:   expT,
		JKT:      cl.Cnf.JKT,
	}, nil
}

// verifyWithSet verifies c with the key named by its kid, or, without kid,
// with the first of at most maxKeysTried compatible keys that verifies.
func verifyWithSet(c *compactJWS, keys jwk.Set) error {
	if c.header.Kid != "" {
		k, ok := keys.LookupKeyID(c.header.Kid)
		if !ok {
			return &authError{sentinel: ErrInvalidToken, extra: ErrUnknownKey, reason: "kid not in the issuer key set"}
		}
		raw, reason := usableSetKey(k, c.header.Alg)
		if reason != "" {
			return tokenErr(reason)
		}
		if !c.verifySig(raw) {
			return tokenErr("bad signature")
		}
		return nil
	}
	tried := 0
	for it := keys.Keys(context.Background()); it.Next(context.Background()); {
		k, ok := it.Pair().Value.(jwk.Key)
		if !ok {
			continue
		}
		raw, reason := usableSetKey(k, c.header.Alg)
		if reason != "" {
			continue
		}
		if c.verifySig(raw) {
			return nil
		}
		if tried++; tried >= maxKeysTried {
			break
		}
	}
	return tokenErr("no key in the issuer key set verifies the signature")
}

// usableSetKey checks that a key from the issuer's set may verify alg: its
// use (if set) is "sig", its alg (if set) equals alg, and its type fits.
func usableSetKey(k jwk.Key, alg string) (any, string) {
	if u := k.KeyUsage(); u != "" && u != "sig" {
		return nil, "key is not a signing key"
	}
	if ka := k.Algorithm(); ka != nil && ka.String() != "" && ka.String() != alg {
		return nil, "key alg does not match token alg"
	}
	raw, reason := rawPublic(k, true)
	if reason != "" {
		return nil, reason
	}
	if reason := checkKeyForAlg(alg, raw); reason != "" {
		return nil, reason
	}
	return raw, ""
}

// Bind checks that the token is bound to the proof's key: cnf.jkt must equal
// the proof's JWK thumbprint (RFC 9449 §6.1).
func Bind(t *Token, p *Proof) error {
	if t == nil || p == nil {
		return tokenErr("missing token or proof")
	}
	if t.JKT == "" || subtle.ConstantTimeCompare([]byte(t.JKT), []byte(p.Thumbprint)) != 1 {
		return tokenErr("cnf.jkt does not match the DPoP proof key")
	}
	return nil
}

func hasSolidAudience(a audience) bool {
	for _, s := range a {
		if s == "solid" {
			return true
		}
	}
	return false
}

func isHTTPURL(s string) bool {
	if s == "" || len(s) > 2048 {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	return u.Scheme == "https" || u.Scheme == "http"
}
