package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/op"
)

// loginData is the log-in page's own data.
type loginData struct {
	Email  string
	Client *clientView // the app asking, when signing in for one
	Signup bool        // show the sign-up link
}

// serveLogin shows the log-in form. With ?interaction= it is the first
// page of an authorization request: the browser claims the request, and a
// browser already logged in goes straight on to consent.
func (h *Handler) serveLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s, err := h.currentSession(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	iid := q.Get("interaction")
	if iid == "" {
		if s != nil {
			http.Redirect(w, r, h.afterLogin(q.Get("next")), http.StatusSeeOther)
			return
		}
		h.renderLogin(w, r, http.StatusOK, nil, h.safeNext(q.Get("next")), "", "")
		return
	}
	if !h.claimInteraction(w, r, iid) {
		return
	}
	p, pd := h.pending(w, r, iid)
	if pd == nil {
		return
	}
	switch {
	case s != nil && !p.NeedsLogin(pd, s.authTime):
		h.proceed(w, r, s, p, pd)
	case prompts(pd, "none"):
		h.deny(w, r, p, pd, "login_required")
	default:
		h.renderLogin(w, r, http.StatusOK, pd, "", "", pd.LoginHint)
	}
}

// postLogin checks the password. Unknown email and wrong password give
// the same page, byte for byte (the email is not echoed back).
func (h *Handler) postLogin(w http.ResponseWriter, r *http.Request) {
	f, p, pd, ok := h.preLoginPost(w, r)
	if !ok {
		return
	}
	next := h.safeNext(f.Get("next"))
	acct, err := h.accounts.Login(r.Context(), f.Get("email"), f.Get("password"), remoteIP(r))
	switch {
	case errors.Is(err, account.ErrRateLimited):
		h.message(w, r, http.StatusTooManyRequests, msgRateLimited)
		return
	case err != nil && formError(err) != "":
		h.renderLogin(w, r, http.StatusUnprocessableEntity, pd, next, formError(account.ErrBadLogin), "")
		return
	case err != nil:
		h.serverError(w, r, err)
		return
	}
	s, err := h.startSession(w, r, acct)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if pd != nil {
		h.proceed(w, r, s, p, pd)
		return
	}
	http.Redirect(w, r, h.afterLogin(next), http.StatusSeeOther)
}

// afterLogin is where a log-in without an authorization request goes: a
// validated next path of ours, else the account page.
func (h *Handler) afterLogin(next string) string {
	if n := h.safeNext(next); n != "" {
		return n
	}
	return h.path("account")
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, pd *op.Pending, next, errText, email string) {
	pg := &page{Title: "Log in", HideLogin: true, CSRF: h.preCSRF(w, r), Error: errText, Next: next,
		Data: &loginData{Email: email, Signup: h.registration != account.RegistrationClosed}}
	if pd != nil {
		pg.Interaction = pd.ID
		pg.Data.(*loginData).Client = newClientView(pd)
		setSecurityHeaders(w, cspSource(pd.RedirectURI))
	}
	h.render(w, r, status, "login", pg)
}

// preLoginPost reads a form posted before log-in (log-in, sign-up): it
// checks the pre-session CSRF token and, when the form continues an
// authorization request, that this browser holds it. On false the answer
// has been written.
func (h *Handler) preLoginPost(w http.ResponseWriter, r *http.Request) (url.Values, *op.Provider, *op.Pending, bool) {
	if !parseForm(w, r) {
		h.message(w, r, http.StatusBadRequest, msgBadRequest)
		return nil, nil, nil, false
	}
	if !h.checkPreCSRF(r) {
		h.message(w, r, http.StatusForbidden, msgForbidden)
		return nil, nil, nil, false
	}
	f := r.PostForm
	var p *op.Provider
	var pd *op.Pending
	if iid := f.Get("interaction"); iid != "" {
		if !h.holdsInteraction(w, r, iid) {
			return nil, nil, nil, false
		}
		if p, pd = h.pending(w, r, iid); pd == nil {
			return nil, nil, nil, false
		}
	}
	return f, p, pd, true
}
