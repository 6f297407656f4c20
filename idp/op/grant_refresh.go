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
	x := &refreshExchange{client: c, old: old, asked: strings.Fields(form.Get("scope")), jkt: proof.Thumbprint, now: now,
		next: randomToken(32), access: issuedAccess{JTI: randomToken(16), Exp: now.Add(p.accessTTL).Unix()}}
	err = p.kv.Update(ctx, func(tx kv.Txn) error { return p.rotateRefreshTx(tx, x) })
	if err != nil {
		return nil, err
	}
	p.revoked.add(x.revoked, now)
	if x.reused {
		p.log.WarnContext(ctx, "refresh token reused: grant revoked", "client_id", c.ID, "webid", x.rec.WebID)
	}
	if x.fail != nil {
		return nil, x.fail
	}
	resp, err := p.issue(issueArgs{jti: x.access.JTI, webID: x.rec.WebID, clientID: c.ID, jkt: proof.Thumbprint,
		scopes: narrowScopes(x.rec.Scopes, x.asked), authTime: x.rec.AuthTime}, now)
	if err != nil {
		return nil, err
	}
	resp.RefreshToken = x.next
	return resp, nil
}

// refreshExchange is one use of a refresh token: what the client presented
// and the tokens to issue (chosen before the transaction), then what the
// transaction found and did. The transaction may run more than once, so it
// starts by clearing what it found.
type refreshExchange struct {
	client *client
	old    string   // the refresh token presented
	asked  []string // the scopes asked for (none: all of the grant's)
	jkt    string   // the DPoP proof's key thumbprint
	now    time.Time
	next   string // the new refresh token
	access issuedAccess

	rec     refreshRecord
	fail    *oauthError // the answer, when the token is refused
	reused  bool        // a rotated token came back: its grant was revoked
	revoked []issuedAccess
}

// rotateRefreshTx is the KV transaction of a refresh: it finds the token
// and its grant, refuses the token (revoking the grant when a rotated token
// is reused) or rotates it.
func (p *Provider) rotateRefreshTx(tx kv.Txn, x *refreshExchange) error {
	x.rec, x.fail, x.reused, x.revoked = refreshRecord{}, nil, false, nil
	key := kvRefresh + hashed(x.old)
	g, err := x.loadTx(tx, key)
	if err != nil || x.fail != nil {
		return err
	}
	switch {
	case g.Revoked:
		x.fail = invalidGrant("invalid refresh token")
		return nil
	case x.rec.Rotated:
		x.fail, x.reused = invalidGrant("invalid refresh token"), true
		x.revoked, err = revokeGrantTx(tx, x.rec.Grant, p.refreshTTL, x.now)
		return err
	}
	if x.fail = x.mismatch(); x.fail != nil {
		return nil
	}
	if err := trackAccessTx(tx, x.rec.AccountID, "", x.client.ID, x.access, x.now); errors.Is(err, errRevokedOwner) {
		x.fail = invalidGrant("invalid refresh token")
		return nil
	} else if err != nil {
		return err
	}
	if err := p.touchAppTx(tx, appUse{accountID: x.rec.AccountID, client: x.client, now: x.now}); err != nil {
		return err
	}
	return p.rotateTx(tx, key, g, x)
}

// loadTx reads the refresh token at key into x.rec and returns its grant;
// a token that is unknown, of another client, or of an unknown grant sets
// x.fail.
func (x *refreshExchange) loadTx(tx kv.Txn, key string) (grantRecord, error) {
	var g grantRecord
	if err := getJSON(tx, key, &x.rec); err != nil {
		if errors.Is(err, kv.ErrNotFound) {
			x.fail = invalidGrant("invalid refresh token")
			return g, nil
		}
		return g, err
	}
	if x.rec.ClientID != x.client.ID {
		x.fail = invalidGrant("invalid refresh token")
		return g, nil
	}
	if err := getJSON(tx, x.rec.Grant, &g); err != nil {
		if errors.Is(err, kv.ErrNotFound) {
			x.fail = invalidGrant("invalid refresh token")
			return g, nil
		}
		return g, err
	}
	return g, nil
}

// mismatch refuses a live, unrotated token that has expired, is presented
// with another DPoP key than it is bound to, or is asked for scopes its
// grant does not have.
func (x *refreshExchange) mismatch() *oauthError {
	switch {
	case x.now.Unix() >= x.rec.Expires:
		return invalidGrant("invalid refresh token")
	case x.rec.JKT != "" && x.rec.JKT != x.jkt:
		return invalidGrant("refresh token is bound to another DPoP key")
	}
	for _, s := range x.asked {
		if !slices.Contains(x.rec.Scopes, s) {
			return invalidScope("scope exceeds the original grant")
		}
	}
	return nil
}

// rotateTx keeps the presented token, marked rotated, until its own expiry
// (to recognise reuse), stores the next token of the grant, and adds the
// new access token to the grant, sliding the grant's lifetime.
func (p *Provider) rotateTx(tx kv.Txn, key string, g grantRecord, x *refreshExchange) error {
	x.rec.Rotated = true
	if err := putJSON(tx, key, x.rec, time.Unix(x.rec.Expires, 0).Sub(x.now)+time.Minute); err != nil {
		return err
	}
	nr := x.rec
	nr.Rotated = false
	nr.Expires = x.now.Add(p.refreshTTL).Unix()
	if !x.client.public() {
		nr.JKT = ""
	}
	if err := putJSON(tx, kvRefresh+hashed(x.next), nr, p.refreshTTL); err != nil {
		return err
	}
	g.Access = append(live(g.Access, x.now), x.access)
	return putJSON(tx, x.rec.Grant, g, p.refreshTTL)
}

// narrowScopes is the scopes of a refreshed token: the grant's, or those
// of them that were asked for, in the grant's (canonical) order.
func narrowScopes(granted, asked []string) []string {
	if len(asked) == 0 {
		return granted
	}
	var scopes []string
	for _, s := range granted {
		if slices.Contains(asked, s) {
			scopes = append(scopes, s)
		}
	}
	return scopes
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
