package op

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/lestrrat-go/jwx/v2/jws"
)

// maxIDTokenHint bounds id_token_hint before it is parsed.
const maxIDTokenHint = 8 << 10

// serveLogout is RP-initiated logout (OpenID Connect RP-Initiated Logout
// 1.0 §2-3). A post_logout_redirect_uri is followed only when it is
// registered, exactly, for the client named by client_id or by the
// audience of a valid id_token_hint; otherwise the answer is a 400 page
// (no open redirect). The OP session is ended through Sessions.
func (p *Provider) serveLogout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	q, ok := authParams(w, r)
	if !ok {
		p.badRequestPage(w, r, "malformed or repeated parameters")
		return
	}
	target := p.postLogout
	if plr := q.Get("post_logout_redirect_uri"); plr != "" {
		clientID, reason := p.logoutClient(q)
		if reason != "" {
			p.badRequestPage(w, r, reason)
			return
		}
		c, err := p.lookupClient(r.Context(), clientID)
		if err != nil || !c.hasPostLogoutRedirect(plr) {
			p.badRequestPage(w, r, "post_logout_redirect_uri is not registered for this client")
			return
		}
		target = plr
		if st := q.Get("state"); st != "" && len(st) <= maxStateLen {
			target = addQuery(plr, url.Values{"state": {st}})
		}
	}
	if p.sessions != nil {
		if err := p.sessions.EndSession(w, r); err != nil {
			p.log.ErrorContext(r.Context(), "end session failed", "err", err)
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// logoutClient returns the client a logout request names: client_id, or
// the aud of id_token_hint, which must be an ID token this provider signed
// (it may have expired). Both must agree when both are given.
func (p *Provider) logoutClient(q url.Values) (string, string) {
	clientID := q.Get("client_id")
	hint := q.Get("id_token_hint")
	if hint == "" {
		if clientID == "" {
			return "", "client_id or id_token_hint is required with post_logout_redirect_uri"
		}
		return clientID, ""
	}
	aud, err := p.idTokenAudience(hint)
	if err != nil {
		return "", "id_token_hint is not a valid ID token from this provider"
	}
	if clientID != "" && clientID != aud {
		return "", "client_id does not match id_token_hint"
	}
	return aud, ""
}

// idTokenAudience verifies an ID token's signature with the published keys
// and returns its aud (expiry is not checked: a hint may be old).
func (p *Provider) idTokenAudience(tok string) (string, error) {
	if len(tok) > maxIDTokenHint {
		return "", errors.New("op: id_token_hint too large")
	}
	payload, err := jws.Verify([]byte(tok), jws.WithKeySet(p.PublicKeys(), jws.WithRequireKid(true)))
	if err != nil {
		return "", err
	}
	var cl struct {
		Iss string `json:"iss"`
		Aud string `json:"aud"`
	}
	if err := json.Unmarshal(payload, &cl); err != nil || cl.Iss != p.issuer || cl.Aud == "" {
		return "", errors.New("op: id_token_hint claims")
	}
	return cl.Aud, nil
}
