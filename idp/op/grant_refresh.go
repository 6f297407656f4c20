package op

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/kv"
)

// grantRecord is one grant: the refresh token family started by one
// authorization code (kvGrant). Revoked kills every refresh token in it.
type grantRecord struct {
	ClientID   string   `json:"client_id"`
	ClientName string   `json:"client_name,omitempty"`
	WebID      string   `json:"webid"`
	AccountID  string   `json:"account_id"`
	Scopes     []string `json:"scopes"`
	Created    int64    `json:"created"`
	Revoked    bool     `json:"revoked,omitempty"`
	// Access lists the grant's access tokens that may not have expired:
	// revoking the grant revokes them too.
	Access []issuedAccess `json:"access,omitempty"`
}

// refreshRecord is a stored refresh token (kvRefresh).
type refreshRecord struct {
	Grant     string   `json:"grant"` // KV key of its grantRecord
	ClientID  string   `json:"client_id"`
	WebID     string   `json:"webid"`
	AccountID string   `json:"account_id"`
	Scopes    []string `json:"scopes"`
	// JKT binds the token to a DPoP key (public clients, RFC 9449 §5).
	JKT      string `json:"jkt,omitempty"`
	AuthTime int64  `json:"auth_time"`
	Expires  int64  `json:"exp"`
	// Rotated: this token was exchanged once; presenting it again revokes
	// the grant (OAuth 2.0 Security BCP §4.14.2).
	Rotated bool `json:"rotated,omitempty"`
}

// refreshGrant exchanges a refresh token (RFC 6749 §6) for new tokens and a
// new refresh token of the same grant.
func (p *Provider) refreshGrant(r *http.Request, form url.Values, proof *auth.Proof, now time.Time) (*tokenResponse, error) {
	ctx := r.Context()
	c, err := p.authenticateClient(ctx, r, form)
	if err != nil {
		return nil, err
	}
	if !c.allowsGrant(grantRefresh) {
		return nil, &oauthError{status: 400, code: "unauthorized_client", desc: "client may not use this grant"}
	}
	if err := p.useProof(proof, now); err != nil {
		return nil, err
	}
	old := form.Get("refresh_token")
	if old == "" || len(old) > 512 {
		return nil, invalidRequest("refresh_token is required")
	}
	asked := strings.Fields(form.Get("scope"))

	next := randomToken(32)
	access := issuedAccess{JTI: randomToken(16), Exp: now.Add(p.accessTTL).Unix()}
	var rec refreshRecord
	var fail *oauthError
	var revoked []issuedAccess
	reused := false
	err = p.kv.Update(ctx, func(tx kv.Txn) error {
		rec, fail, reused, revoked = refreshRecord{}, nil, false, nil
		key := kvRefresh + hashed(old)
		if err := getJSON(tx, key, &rec); err != nil {
			if errors.Is(err, kv.ErrNotFound) {
				fail = invalidGrant("invalid refresh token")
				return nil
			}
			return err
		}
		if rec.ClientID != c.ID {
			fail = invalidGrant("invalid refresh token")
			return nil
		}
		var g grantRecord
		if err := getJSON(tx, rec.Grant, &g); err != nil {
			if errors.Is(err, kv.ErrNotFound) {
				fail = invalidGrant("invalid refresh token")
				return nil
			}
			return err
		}
		switch {
		case g.Revoked:
			fail = invalidGrant("invalid refresh token")
			return nil
		case rec.Rotated:
			fail, reused = invalidGrant("invalid refresh token"), true
			var err error
			revoked, err = revokeGrantTx(tx, rec.Grant, p.refreshTTL, now)
			return err
		case now.Unix() >= rec.Expires:
			fail = invalidGrant("invalid refresh token")
			return nil
		case rec.JKT != "" && rec.JKT != proof.Thumbprint:
			fail = invalidGrant("refresh token is bound to another DPoP key")
			return nil
		}
		for _, s := range asked {
			if !slices.Contains(rec.Scopes, s) {
				fail = invalidScope("scope exceeds the original grant")
				return nil
			}
		}
		if err := trackAccessTx(tx, rec.AccountID, "", c.ID, access, now); errors.Is(err, errRevokedOwner) {
			fail = invalidGrant("invalid refresh token")
			return nil
		} else if err != nil {
			return err
		}
		// Keep the rotated token (until its own expiry) to recognise reuse.
		rec.Rotated = true
		if err := putJSON(tx, key, rec, time.Unix(rec.Expires, 0).Sub(now)+time.Minute); err != nil {
			return err
		}
		nr := rec
		nr.Rotated = false
		nr.Expires = now.Add(p.refreshTTL).Unix()
		if !c.public() {
			nr.JKT = ""
		}
		if err := putJSON(tx, kvRefresh+hashed(next), nr, p.refreshTTL); err != nil {
			return err
		}
		g.Access = append(live(g.Access, now), access)
		return putJSON(tx, rec.Grant, g, p.refreshTTL) // slide the grant's lifetime
	})
	if err != nil {
		return nil, err
	}
	p.revoked.add(revoked, now)
	if reused {
		p.log.Warn("refresh token reused: grant revoked", "client_id", c.ID, "webid", rec.WebID)
	}
	if fail != nil {
		return nil, fail
	}
	scopes := rec.Scopes
	if len(asked) > 0 {
		scopes = nil
		for _, s := range rec.Scopes { // keep the canonical order
			if slices.Contains(asked, s) {
				scopes = append(scopes, s)
			}
		}
	}
	resp, err := p.issue(issueArgs{jti: access.JTI, webID: rec.WebID, clientID: c.ID, jkt: proof.Thumbprint, scopes: scopes, authTime: rec.AuthTime}, now)
	if err != nil {
		return nil, err
	}
	resp.RefreshToken = next
	return resp, nil
}

// revokeGrantTx marks the grant at key revoked (kept for ttl so that its
// refresh tokens are refused) and revokes its live access tokens, which
// it returns for the caller to add to p.revoked after the commit. A
// missing grant is not an error.
func revokeGrantTx(tx kv.Txn, key string, ttl time.Duration, now time.Time) ([]issuedAccess, error) {
	var g grantRecord
	if err := getJSON(tx, key, &g); err != nil {
		if errors.Is(err, kv.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	if g.Revoked {
		return nil, nil
	}
	revoked, err := revokeAccessTx(tx, g.Access, now)
	if err != nil {
		return nil, err
	}
	g.Revoked, g.Access = true, nil
	return revoked, putJSON(tx, key, g, ttl)
}
