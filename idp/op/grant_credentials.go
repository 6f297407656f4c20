package op

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/kv"
)

// credentialsGrant is the client_credentials grant (RFC 6749 §4.4) for
// per-account credentials bound to a WebID, as Solid scripts and test
// harnesses use it: HTTP Basic, a DPoP proof, scope webid. No refresh token
// and no ID token (there is no user interaction).
func (p *Provider) credentialsGrant(r *http.Request, form url.Values, proof *auth.Proof, now time.Time) (*tokenResponse, error) {
	if p.creds == nil {
		return nil, unsupportedGrant()
	}
	if form.Has("client_secret") {
		return nil, invalidClient("only client_secret_basic is supported")
	}
	id, secret, basic, err := basicCredentials(r)
	if err != nil {
		return nil, err
	}
	if !basic || id == "" || secret == "" {
		return nil, invalidClient("client authentication failed")
	}
	if f := form.Get("client_id"); f != "" && f != id {
		return nil, invalidRequest("client_id does not match the Authorization header")
	}
	webID, accountID, err := p.creds.Check(r.Context(), id, secret)
	if errors.Is(err, ErrInvalidCredentials) {
		return nil, invalidClient("client authentication failed")
	}
	if err != nil {
		return nil, fmt.Errorf("op: check client credentials: %w", err)
	}
	if !validWebID(webID) {
		return nil, fmt.Errorf("op: credentials are bound to an invalid WebID")
	}
	// The scope parameter is not needed: these credentials grant exactly
	// "webid" (no user is present for openid, offline_access is refused).
	if err := p.useProof(proof, now); err != nil {
		return nil, err
	}
	// Recorded under the account (after the check, in a transaction that
	// reads the deletion markers), so that deleting the credential or the
	// account revokes the token (SECURITY.md row 59).
	access := issuedAccess{JTI: randomToken(16), Exp: now.Add(p.accessTTL).Unix()}
	err = p.kv.Update(r.Context(), func(tx kv.Txn) error {
		return trackAccessTx(tx, accountID, id, id, access, now)
	})
	if errors.Is(err, errRevokedOwner) {
		return nil, invalidClient("client authentication failed")
	}
	if err != nil {
		return nil, fmt.Errorf("op: record access token: %w", err)
	}
	return p.issue(issueArgs{jti: access.JTI, webID: webID, clientID: id, jkt: proof.Thumbprint, scopes: []string{"webid"}}, now)
}
