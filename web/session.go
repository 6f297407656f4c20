package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/naamio/naamio/idp/account"
)

// session is the browser's logged-in session, if any.
type session struct {
	acct  *account.Account
	token string
	// authTime is when the user logged in (OpenID Connect auth_time).
	authTime time.Time
}

// currentSession returns the request's session, nil when there is none
// (no cookie, or an unknown, ended or expired one).
func (h *Handler) currentSession(r *http.Request) (*session, error) {
	tok := cookieValue(r, h.accounts.CookieName())
	if tok == "" {
		return nil, nil
	}
	info, err := h.accounts.SessionInfo(r.Context(), tok)
	if errors.Is(err, account.ErrNoSession) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &session{acct: info.Account, token: tok, authTime: info.AuthTime}, nil
}

// startSession logs the browser in as acct, ending the session it had.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, acct *account.Account) (*session, error) {
	tok, err := h.accounts.NewSession(r.Context(), acct.ID)
	if err != nil {
		return nil, err
	}
	if old := cookieValue(r, h.accounts.CookieName()); old != "" {
		_ = h.accounts.EndSession(r.Context(), old)
	}
	// The log-in time as the account service recorded it (its clock).
	info, err := h.accounts.SessionInfo(r.Context(), tok)
	if err != nil {
		return nil, err
	}
	http.SetCookie(w, h.accounts.Cookie(tok))
	return &session{acct: acct, token: tok, authTime: info.AuthTime}, nil
}

// EndSession ends the browser's session and clears its cookie
// (op.Sessions, called on RP-initiated logout). It writes no status.
func (h *Handler) EndSession(w http.ResponseWriter, r *http.Request) error {
	if tok := cookieValue(r, h.accounts.CookieName()); tok != "" {
		if err := h.accounts.EndSession(r.Context(), tok); err != nil {
			return err
		}
	}
	http.SetCookie(w, h.accounts.ClearCookie())
	return nil
}

// postLogout ends the session (the header's log-out button).
func (h *Handler) postLogout(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		h.message(w, r, http.StatusBadRequest, msgBadRequest)
		return
	}
	s, err := h.currentSession(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if s != nil {
		if !h.accounts.CheckCSRF(s.token, r.PostForm.Get("csrf")) {
			h.message(w, r, http.StatusForbidden, msgForbidden)
			return
		}
		if err := h.EndSession(w, r); err != nil {
			h.serverError(w, r, err)
			return
		}
	}
	http.Redirect(w, r, h.path("login"), http.StatusSeeOther)
}
