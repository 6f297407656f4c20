package op

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/kv"
)

// codeGrant exchanges an authorization code (RFC 6749 §4.1.3, RFC 7636
// §4.5-4.6). The code is single use: the KV transaction marks it used, and
// a code presented again revokes the grant issued from it.
func (p *Provider) codeGrant(r *http.Request, form url.Values, proof *auth.Proof, now time.Time) (*tokenResponse, error) {
	ctx := r.Context()
	c, err := p.authenticateClient(ctx, r, form)
	if err != nil {
		return nil, err
	}
	if !c.allowsGrant(grantCode) {
		return nil, &oauthError{status: 400, code: "unauthorized_client", desc: "client may not use this grant"}
	}
	if err := p.useProof(proof, now); err != nil {
		return nil, err
	}
	code, verifier := form.Get("code"), form.Get("code_verifier")
	if code == "" || len(code) > 512 {
		return nil, invalidRequest("code is required")
	}
	if !validVerifier(verifier) {
		return nil, invalidRequest("code_verifier is missing or malformed")
	}
	x := &codeExchange{client: c, code: code, verifier: verifier, redirectURI: form.Get("redirect_uri"),
		jkt: proof.Thumbprint, now: now, refresh: randomToken(32), grantID: randomToken(16),
		access: issuedAccess{JTI: randomToken(16), Exp: now.Add(p.accessTTL).Unix()}}
	err = p.kv.Update(ctx, func(tx kv.Txn) error { return p.redeemCodeTx(tx, x) })
	if err != nil {
		return nil, err
	}
	p.revoked.add(x.revoked, now)
	if x.fail != nil {
		return nil, x.fail
	}
	rec := x.rec
	resp, err := p.issue(issueArgs{jti: x.access.JTI, webID: rec.WebID, clientID: c.ID, jkt: proof.Thumbprint, nonce: rec.Nonce,
		scopes: rec.Scopes, authTime: rec.AuthTime}, now)
	if err != nil {
		return nil, err
	}
	if x.issuedRefresh {
		resp.RefreshToken = x.refresh
	}
	return resp, nil
}

// codeExchange is one redemption of a code: what the client presented and
// the tokens to issue (chosen before the transaction), then what the
// transaction found and did. The transaction may run more than once, so it
// starts by clearing what it found.
type codeExchange struct {
	client                      *client
	code, verifier, redirectURI string
	jkt                         string // the DPoP proof's key thumbprint
	now                         time.Time
	refresh, grantID            string
	access                      issuedAccess

	rec           codeRecord
	fail          *oauthError // the answer, when the code is refused
	issuedRefresh bool
	revoked       []issuedAccess // for p.revoked, after the commit
}

// redeemCodeTx is the KV transaction of a code exchange: it finds the code,
// refuses it (revoking what it gave when it is reused) or marks it used,
// records the access token and starts a refresh grant when one was asked
// for.
func (p *Provider) redeemCodeTx(tx kv.Txn, x *codeExchange) error {
	x.rec, x.fail, x.issuedRefresh, x.revoked = codeRecord{}, nil, false, nil
	key := kvCode + hashed(x.code)
	if err := getJSON(tx, key, &x.rec); err != nil {
		if errors.Is(err, kv.ErrNotFound) {
			x.fail = invalidGrant("invalid or expired code")
			return nil
		}
		return err
	}
	switch {
	case x.rec.ClientID != x.client.ID:
		x.fail = invalidGrant("invalid or expired code")
		return nil
	case x.rec.Used:
		x.fail = invalidGrant("invalid or expired code")
		return p.revokeReusedCodeTx(tx, key, x)
	}
	if x.fail = x.mismatch(); x.fail != nil {
		return nil
	}
	if err := trackAccessTx(tx, x.rec.AccountID, "", x.client.ID, x.access, x.now); errors.Is(err, errRevokedOwner) {
		x.fail = invalidGrant("invalid or expired code")
		return nil
	} else if err != nil {
		return err
	}
	if err := p.touchAppTx(tx, appUse{accountID: x.rec.AccountID, client: x.client, redirectURI: x.rec.RedirectURI, now: x.now}); err != nil {
		return err
	}
	x.rec.Used, x.rec.Access = true, &x.access
	if hasScope(x.rec.Scopes, "offline_access") && x.client.allowsGrant(grantRefresh) {
		if err := p.startGrantTx(tx, x); err != nil {
			return err
		}
	}
	return putJSON(tx, key, x.rec, codeRecordTTL)
}

// revokeReusedCodeTx revokes what a reused code gave (RFC 6749 §4.1.2):
// the grant (refresh tokens and the access tokens refreshed from them) and
// the code's own access token.
func (p *Provider) revokeReusedCodeTx(tx kv.Txn, key string, x *codeExchange) error {
	var err error
	if x.rec.Grant != "" {
		if x.revoked, err = revokeGrantTx(tx, x.rec.Grant, p.refreshTTL, x.now); err != nil {
			return err
		}
	}
	if x.rec.Access == nil {
		return nil
	}
	more, err := revokeAccessTx(tx, []issuedAccess{*x.rec.Access}, x.now)
	if err != nil {
		return err
	}
	x.revoked = append(x.revoked, more...)
	x.rec.Access = nil
	return putJSON(tx, key, x.rec, codeRecordTTL)
}

// mismatch refuses an unused code of the right client that has expired or
// does not match the token request (redirect_uri, PKCE).
func (x *codeExchange) mismatch() *oauthError {
	switch {
	case x.now.Unix() >= x.rec.Expires:
		return invalidGrant("invalid or expired code")
	case x.redirectURI != x.rec.RedirectURI:
		return invalidGrant("redirect_uri does not match the authorization request")
	case !pkceMatches(x.verifier, x.rec.Challenge):
		return invalidGrant("code_verifier does not match the code_challenge")
	}
	return nil
}

// startGrantTx stores the grant started by the code, holding its access
// token, and its first refresh token.
func (p *Provider) startGrantTx(tx kv.Txn, x *codeExchange) error {
	c, rec := x.client, x.rec
	gk := grantPrefix(rec.AccountID) + x.grantID
	g := grantRecord{ClientID: c.ID, ClientName: c.Name, WebID: rec.WebID, AccountID: rec.AccountID,
		Scopes: rec.Scopes, Created: x.now.Unix(), Access: []issuedAccess{x.access}}
	if err := putJSON(tx, gk, g, p.refreshTTL); err != nil {
		return err
	}
	rr := refreshRecord{Grant: gk, ClientID: c.ID, WebID: rec.WebID, AccountID: rec.AccountID,
		Scopes: rec.Scopes, AuthTime: rec.AuthTime, Expires: x.now.Add(p.refreshTTL).Unix()}
	if c.public() {
		rr.JKT = x.jkt // RFC 9449 §5: bound to the DPoP key
	}
	if err := putJSON(tx, kvRefresh+hashed(x.refresh), rr, p.refreshTTL); err != nil {
		return err
	}
	x.rec.Grant, x.issuedRefresh = gk, true
	return nil
}

// validVerifier: 43-128 unreserved characters (RFC 7636 §4.1).
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// pkceMatches checks BASE64URL(SHA256(verifier)) == challenge (RFC 7636 §4.6).
func pkceMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}
