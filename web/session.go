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

// SessionWebID is the WebID of the browser's logged-in session (the
// account's first WebID, the one the pages' own client signs in with), for
// the pages that show pod data as that person. ok is false when there is
// no session or its account has no WebID. The session cookie is
// HttpOnly, SameSite=Lax and Path=/ (account.Service.Cookie), so a
// browser sends it with navigations to pod URLs on the base host (never
// to a pod on its own subdomain: host-only cookie).
func (h *Handler) SessionWebID(r *http.Request) (webID string, ok bool) {
	s, err := h.currentSession(r)
	if err != nil {
		h.log.WarnContext(r.Context(), "reading the session failed", "err", err)
		return "", false
	}
	if s == nil || len(s.acct.WebIDs) == 0 {
		return "", false
	}
	return s.acct.WebIDs[0], true
}

// serveLogout shows the log-out button (the header links here from pages
// that hold no CSRF token of the session).
func (h *Handler) serveLogout(w http.ResponseWriter, r *http.Request) {
	s, err := h.currentSession(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if s == nil {
		http.Redirect(w, r, h.path("login"), http.StatusSeeOther)
		return
	}
	tok := h.accounts.CSRFToken(s.token)
	h.render(w, r, http.StatusOK, "logout", &page{Title: "Log out", CSRF: tok, WebID: firstWebID(s.acct.WebIDs),
		Data: s.acct.Email})
}

func firstWebID(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
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
//
// Logging out also ends what the pages' own client holds for the account
// (every tab's refresh and access tokens of ui.ClientID): a page left
// open can write nothing more after log-out.
func (h *Handler) EndSession(w http.ResponseWriter, r *http.Request) error {
	if tok := cookieValue(r, h.accounts.CookieName()); tok != "" {
		info, err := h.accounts.SessionInfo(r.Context(), tok)
		if err != nil && !errors.Is(err, account.ErrNoSession) {
			return err
		}
		if p := h.op(); p != nil && info != nil {
			if err := p.RevokeClient(r.Context(), info.Account.ID, h.firstParty); err != nil {
				return err
			}
		}
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
