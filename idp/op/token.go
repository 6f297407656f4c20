package op

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/naamio/naamio/auth"
)

// tokenResponse is a successful token response (RFC 6749 §5.1, RFC 9449 §5).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	Scope        string `json:"scope"`
}

// serveToken is the token endpoint (RFC 6749 §3.2). Order: form syntax,
// DPoP proof (no state touched), client authentication, proof jti replay
// check, then the grant, which consumes the code or refresh token.
func (p *Provider) serveToken(w http.ResponseWriter, r *http.Request) {
	form, err := postForm(w, r)
	if err != nil {
		p.writeOAuthError(w, r, err)
		return
	}
	now := p.now()
	proof, err := p.verifyProof(r, now)
	if err != nil {
		p.writeOAuthError(w, r, err)
		return
	}
	var resp *tokenResponse
	switch form.Get("grant_type") {
	case grantCode:
		resp, err = p.codeGrant(r, form, proof, now)
	case grantRefresh:
		resp, err = p.refreshGrant(r, form, proof, now)
	case grantCredentials:
		resp, err = p.credentialsGrant(r, form, proof, now)
	case "":
		err = invalidRequest("grant_type is required")
	default:
		err = unsupportedGrant()
	}
	if err != nil {
		p.writeOAuthError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// postForm reads an application/x-www-form-urlencoded body (at most
// maxBodyBytes) and refuses repeated parameters (RFC 6749 §3.2).
func postForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return nil, invalidRequest("Content-Type must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		return nil, invalidRequest("malformed or too large request body")
	}
	for _, v := range r.PostForm {
		if len(v) > 1 {
			return nil, invalidRequest("a parameter is repeated")
		}
	}
	return r.PostForm, nil
}

// verifyProof verifies the request's DPoP proof (RFC 9449 §4.3), required
// at this endpoint (Solid-OIDC §6): htu is the configured token endpoint
// URL (never the Host header), htm POST, no ath. The jti is recorded later
// by useProof, once the client is authenticated, so that unauthenticated
// requests cannot fill the replay cache.
func (p *Provider) verifyProof(r *http.Request, now time.Time) (*auth.Proof, error) {
	proofs := r.Header.Values("DPoP")
	if len(proofs) != 1 {
		return nil, invalidDPoP("exactly one DPoP proof is required")
	}
	pr, err := auth.VerifyProof(proofs[0], http.MethodPost, p.endpoint(PathToken), "", now, auth.ProofOptions{Window: p.window})
	if err != nil {
		return nil, invalidDPoP("DPoP proof is invalid")
	}
	return pr, nil
}

// useProof records the proof's jti; a replay is refused.
func (p *Provider) useProof(pr *auth.Proof, now time.Time) error {
	err := p.replay.Use(pr, now)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, auth.ErrReplayCacheFull):
		return unavailableErr("try again later", err)
	default:
		return invalidDPoP("DPoP proof was already used")
	}
}

// basicCredentials returns the HTTP Basic client id and secret, decoded
// per RFC 6749 §2.3.1 (form-urlencoded before Basic encoding).
func basicCredentials(r *http.Request) (id, secret string, ok bool, err error) {
	if r.Header.Get("Authorization") == "" {
		return "", "", false, nil
	}
	rawID, rawSecret, ok := r.BasicAuth()
	if !ok || len(r.Header.Values("Authorization")) != 1 {
		return "", "", false, invalidClient("malformed Authorization header")
	}
	if id, err = url.QueryUnescape(rawID); err != nil {
		id = rawID
	}
	if secret, err = url.QueryUnescape(rawSecret); err != nil {
		secret = rawSecret
	}
	return id, secret, true, nil
}

// authenticateClient identifies the registered client of a token or
// revocation request: a confidential client by HTTP Basic
// (client_secret_basic), a public client by the client_id parameter alone
// (none). Every failure is invalid_client.
func (p *Provider) authenticateClient(ctx context.Context, r *http.Request, form url.Values) (*client, error) {
	if form.Has("client_secret") || form.Has("client_assertion") {
		return nil, invalidClient("only client_secret_basic and none are supported")
	}
	id, secret, basic, err := basicCredentials(r)
	if err != nil {
		return nil, err
	}
	formID := form.Get("client_id")
	if basic && formID != "" && formID != id {
		return nil, invalidRequest("client_id does not match the Authorization header")
	}
	if !basic {
		id = formID
	}
	c, err := p.lookupClient(ctx, id)
	switch {
	case errors.Is(err, ErrUnknownClient), errors.Is(err, ErrClientDocument):
		return nil, invalidClient("client authentication failed")
	case err != nil:
		return nil, err
	}
	if basic != !c.public() {
		return nil, invalidClient("client authentication failed")
	}
	if basic && !c.secretMatches(secret) {
		return nil, invalidClient("client authentication failed")
	}
	return c, nil
}

// issue builds the token response for webID and client: a DPoP-bound access
// token (cnf.jkt = the proof key), and an ID token when openid was granted.
func (p *Provider) issue(g issueArgs, now time.Time) (*tokenResponse, error) {
	scope := strings.Join(g.scopes, " ")
	if g.jti == "" {
		g.jti = randomToken(16)
	}
	at, err := p.sign("at+jwt", accessClaims{
		Iss:      p.issuer,
		Sub:      g.webID,
		WebID:    g.webID,
		ClientID: g.clientID,
		Aud:      []string{"solid", g.clientID},
		Cnf:      cnf{JKT: g.jkt},
		IAT:      now.Unix(),
		EXP:      now.Add(p.accessTTL).Unix(),
		JTI:      g.jti,
		Scope:    scope,
	})
	if err != nil {
		return nil, err
	}
	resp := &tokenResponse{AccessToken: at, TokenType: "DPoP", ExpiresIn: int64(p.accessTTL / time.Second), Scope: scope}
	if hasScope(g.scopes, "openid") {
		resp.IDToken, err = p.sign("JWT", idClaims{
			Iss:      p.issuer,
			Sub:      g.webID,
			Aud:      g.clientID,
			Azp:      g.clientID,
			WebID:    g.webID,
			IAT:      now.Unix(),
			EXP:      now.Add(p.accessTTL).Unix(),
			AuthTime: g.authTime,
			Nonce:    g.nonce,
			JTI:      randomToken(16),
		})
		if err != nil {
			return nil, err
		}
	}
	return resp, nil
}

type issueArgs struct {
	// jti of the access token: set by grants that record it (so that it
	// can be revoked), else random.
	jti                         string
	webID, clientID, jkt, nonce string
	scopes                      []string
	authTime                    int64
}

func hasScope(scopes []string, s string) bool {
	for _, x := range scopes {
		if x == s {
			return true
		}
	}
	return false
}
