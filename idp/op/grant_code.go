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
	redirectURI := form.Get("redirect_uri")

	refresh := randomToken(32)
	grantID := randomToken(16)
	access := issuedAccess{JTI: randomToken(16), Exp: now.Add(p.accessTTL).Unix()}
	var rec codeRecord
	var fail *oauthError
	var issuedRefresh bool
	var revoked []issuedAccess
	err = p.kv.Update(ctx, func(tx kv.Txn) error {
		rec, fail, issuedRefresh, revoked = codeRecord{}, nil, false, nil
		key := kvCode + hashed(code)
		if err := getJSON(tx, key, &rec); err != nil {
			if errors.Is(err, kv.ErrNotFound) {
				fail = invalidGrant("invalid or expired code")
				return nil
			}
			return err
		}
		switch {
		case rec.ClientID != c.ID:
			fail = invalidGrant("invalid or expired code")
			return nil
		case rec.Used:
			// RFC 6749 §4.1.2: revoke what the code gave when it is
			// reused: the grant (refresh tokens and the access tokens
			// refreshed from them) and the code's own access token.
			fail = invalidGrant("invalid or expired code")
			var err error
			if rec.Grant != "" {
				if revoked, err = revokeGrantTx(tx, rec.Grant, p.refreshTTL, now); err != nil {
					return err
				}
			}
			if rec.Access != nil {
				more, err := revokeAccessTx(tx, []issuedAccess{*rec.Access}, now)
				if err != nil {
					return err
				}
				revoked = append(revoked, more...)
				rec.Access = nil
				return putJSON(tx, key, rec, codeRecordTTL)
			}
			return nil
		case now.Unix() >= rec.Expires:
			fail = invalidGrant("invalid or expired code")
			return nil
		case redirectURI != rec.RedirectURI:
			fail = invalidGrant("redirect_uri does not match the authorization request")
			return nil
		case !pkceMatches(verifier, rec.Challenge):
			fail = invalidGrant("code_verifier does not match the code_challenge")
			return nil
		}
		if err := trackAccessTx(tx, rec.AccountID, "", c.ID, access, now); errors.Is(err, errRevokedOwner) {
			fail = invalidGrant("invalid or expired code")
			return nil
		} else if err != nil {
			return err
		}
		rec.Used, rec.Access = true, &access
		if hasScope(rec.Scopes, "offline_access") && c.allowsGrant(grantRefresh) {
			gk := grantPrefix(rec.AccountID) + grantID
			g := grantRecord{ClientID: c.ID, ClientName: c.Name, WebID: rec.WebID, AccountID: rec.AccountID,
				Scopes: rec.Scopes, Created: now.Unix(), Access: []issuedAccess{access}}
			if err := putJSON(tx, gk, g, p.refreshTTL); err != nil {
				return err
			}
			rr := refreshRecord{Grant: gk, ClientID: c.ID, WebID: rec.WebID, AccountID: rec.AccountID,
				Scopes: rec.Scopes, AuthTime: rec.AuthTime, Expires: now.Add(p.refreshTTL).Unix()}
			if c.public() {
				rr.JKT = proof.Thumbprint // RFC 9449 §5: bound to the DPoP key
			}
			if err := putJSON(tx, kvRefresh+hashed(refresh), rr, p.refreshTTL); err != nil {
				return err
			}
			rec.Grant, issuedRefresh = gk, true
		}
		return putJSON(tx, key, rec, codeRecordTTL)
	})
	if err != nil {
		return nil, err
	}
	p.revoked.add(revoked, now)
	if fail != nil {
		return nil, fail
	}
	resp, err := p.issue(issueArgs{jti: access.JTI, webID: rec.WebID, clientID: c.ID, jkt: proof.Thumbprint, nonce: rec.Nonce,
		scopes: rec.Scopes, authTime: rec.AuthTime}, now)
	if err != nil {
		return nil, err
	}
	if issuedRefresh {
		resp.RefreshToken = refresh
	}
	return resp, nil
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
