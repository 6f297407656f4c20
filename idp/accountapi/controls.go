package accountapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
)

// controls is the "controls" object of every answer: the URLs of the
// API, as the Community Solid Server names them. The account-specific
// ones appear only with a valid account token. Controls for features
// Naamio does not offer through this API (OIDC interaction, password
// reset, HTML pages) are left out, as CSS leaves out disabled features.
type controls struct {
	Main     mainControls      `json:"main"`
	Account  accountControls   `json:"account"`
	Password *passwordControls `json:"password,omitempty"`
}

type mainControls struct {
	Index  string `json:"index"`
	Logins string `json:"logins"`
}

type accountControls struct {
	Create            string `json:"create"`
	Account           string `json:"account,omitempty"`
	Logout            string `json:"logout,omitempty"`
	WebID             string `json:"webId,omitempty"`
	Pod               string `json:"pod,omitempty"`
	ClientCredentials string `json:"clientCredentials,omitempty"`
}

type passwordControls struct {
	Create string `json:"create,omitempty"`
	Login  string `json:"login"`
}

// The API's URLs.
func (h *handler) loginsURL() string        { return h.api + "login/" }
func (h *handler) passwordLoginURL() string { return h.api + "login/password/" }
func (h *handler) createURL() string        { return h.api + "account/" }
func (h *handler) accountURL(handle string) string {
	return h.api + "account/" + url.PathEscape(handle) + "/"
}
func (h *handler) podResource(handle, name string) string {
	return h.accountURL(handle) + "pod/" + url.PathEscape(name) + "/"
}
func (h *handler) webIDResource(handle, webID string) string {
	return h.accountURL(handle) + "webid/" + shortHash(webID) + "/"
}
func (h *handler) passwordResource(handle, email string) string {
	return h.accountURL(handle) + "login/password/" + shortHash(email) + "/"
}
func (h *handler) credentialResource(handle, id string) string {
	return h.accountURL(handle) + "client-credentials/" + url.PathEscape(id) + "/"
}

// shortHash names a WebID link or a login in URLs without putting the
// WebID or the email in the path.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

// controlsFor builds the controls for p (nil: not logged in).
func (h *handler) controlsFor(p *principal) controls {
	c := controls{
		Main:     mainControls{Index: h.api, Logins: h.loginsURL()},
		Account:  accountControls{Create: h.createURL()},
		Password: &passwordControls{Login: h.passwordLoginURL()},
	}
	if p == nil {
		return c
	}
	acct := h.accountURL(p.handle)
	c.Account.Account = acct
	c.Account.Logout = acct + "logout/"
	c.Account.WebID = acct + "webid/"
	c.Account.Pod = acct + "pod/"
	c.Account.ClientCredentials = acct + "client-credentials/"
	c.Password.Create = acct + "login/password/"
	return c
}

// with returns the reply with the controls for p added.
func (h *handler) with(p *principal, r reply) reply {
	if r == nil {
		r = reply{}
	}
	r["controls"] = h.controlsFor(p)
	return r
}
