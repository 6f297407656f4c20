package accountapi

import (
	"net"
	"net/http"
	"strings"

	"github.com/naamio/naamio/idp/account"
)

// passwordLogin answers POST controls.password.login
// ({"email", "password", "remember"}): a new account session, its token
// in the body as "authorization" and as the css-account cookie. Wrong
// email and wrong password get the same 403; the account system's login
// rate limits (per email and per address) answer 429.
func (h *handler) passwordLogin(w http.ResponseWriter, r *http.Request) (reply, error) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Remember bool   `json:"remember"`
	}
	if err := readBody(w, r, &in); err != nil {
		return nil, err
	}
	in.Email = strings.TrimSpace(in.Email)
	if in.Email == "" || in.Password == "" {
		return nil, fail(http.StatusBadRequest, "email and password are required.")
	}
	acct, err := h.accounts.Login(r.Context(), in.Email, in.Password, remoteIP(r))
	if err != nil {
		return nil, err
	}
	token, err := h.accounts.NewSession(r.Context(), acct.ID)
	if err != nil {
		return nil, err
	}
	h.setCookie(w, token, in.Remember)
	return h.with(&principal{handle: acct.ID, acct: acct}, reply{"authorization": token}), nil
}

// remoteIP is the address the login rate limit counts: the connection's
// peer, as the server hands it over (behind a reverse proxy the server
// must put the client's address in RemoteAddr).
func remoteIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// listPasswordLogins answers GET controls.password.create.
func (h *handler) listPasswordLogins(p *principal) (reply, error) {
	logins := map[string]string{}
	if p.bound() {
		logins[p.acct.Email] = h.passwordResource(p.handle, p.acct.Email)
	}
	return h.with(p, reply{
		"fields":         map[string]field{"email": {true, "string"}, "password": {true, "string"}},
		"passwordLogins": logins,
	}), nil
}

// createPasswordLogin answers POST controls.password.create
// ({"email", "password"}, and "invite" when registration is by invite):
// this is where the pending account becomes a real one (see pending.go).
// A Naamio account has exactly one email/password login, so an account
// that has one gets 409.
func (h *handler) createPasswordLogin(w http.ResponseWriter, r *http.Request, p *principal) (reply, error) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Invite   string `json:"invite"`
	}
	if err := readBody(w, r, &in); err != nil {
		return nil, err
	}
	in.Email = strings.TrimSpace(in.Email)
	if in.Email == "" || in.Password == "" {
		return nil, fail(http.StatusBadRequest, "email and password are required.")
	}
	if p.bound() {
		return nil, fail(http.StatusConflict, "This account already has an email/password login.")
	}
	if !h.pending.beginBind(p.token) {
		return nil, fail(http.StatusConflict, "A login is already being added to this account.")
	}
	acct, err := h.accounts.Create(r.Context(), account.NewAccount{Email: in.Email, Password: in.Password, Invite: in.Invite, RemoteIP: remoteIP(r)})
	if err != nil {
		h.pending.endBind(p.token, "", "", 0)
		return nil, err
	}
	session, err := h.accounts.NewSession(r.Context(), acct.ID)
	if err != nil {
		h.pending.endBind(p.token, "", "", 0)
		return nil, err
	}
	h.pending.endBind(p.token, acct.ID, session, h.opts.AliasTTL)
	p.acct, p.session = acct, session
	return h.with(p, reply{"resource": h.passwordResource(p.handle, acct.Email)}), nil
}

// passwordLoginResource serves the resource of the account's login: GET
// shows its email, POST {"oldPassword", "newPassword"} changes the
// password, DELETE is refused (it is the account's only login).
func (h *handler) passwordLoginResource(w http.ResponseWriter, r *http.Request, m string, p *principal, id string) (reply, error) {
	if err := needLogin(p); err != nil {
		return nil, err
	}
	if id != shortHash(p.acct.Email) {
		return nil, fail(http.StatusNotFound, "Not found.")
	}
	switch m {
	case http.MethodGet:
		return h.with(p, reply{"email": p.acct.Email}), nil
	case http.MethodPost:
		var in struct {
			OldPassword string `json:"oldPassword"`
			NewPassword string `json:"newPassword"`
		}
		if err := readBody(w, r, &in); err != nil {
			return nil, err
		}
		if in.OldPassword == "" || in.NewPassword == "" {
			return nil, fail(http.StatusBadRequest, "oldPassword and newPassword are required.")
		}
		if err := h.accounts.ChangePassword(r.Context(), p.acct.ID, in.OldPassword, in.NewPassword); err != nil {
			return nil, err
		}
		return h.with(p, reply{}), nil
	case http.MethodDelete:
		return nil, fail(http.StatusForbidden, "The only login of an account cannot be removed.")
	}
	return nil, notAllowed("GET, HEAD, POST, DELETE")
}
