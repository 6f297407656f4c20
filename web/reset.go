package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/naamio/naamio/idp/account"
)

// mailTimeout bounds sending one reset email.
const mailTimeout = 30 * time.Second

type resetData struct {
	// Token is set on the set-a-new-password form (from the link).
	Token string
	// CanMail: SMTP is configured, so the request form is shown.
	CanMail bool
}

// serveReset shows the request form, or with ?token= the form that sets
// the new password.
func (h *Handler) serveReset(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	if len(tok) > maxCookieLen {
		h.message(w, r, http.StatusBadRequest, msgBadResetLink)
		return
	}
	h.renderReset(w, r, http.StatusOK, &resetData{Token: tok}, "")
}

func (h *Handler) renderReset(w http.ResponseWriter, r *http.Request, status int, d *resetData, errText string) {
	d.CanMail = h.mailer != nil
	h.render(w, r, status, "reset", &page{Title: "Reset your password", CSRF: h.preCSRF(w, r), Error: errText, Data: d})
}

// postReset either asks for a reset link (always the same answer, whether
// or not the email has an account) or sets the new password.
func (h *Handler) postReset(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		h.message(w, r, http.StatusBadRequest, msgBadRequest)
		return
	}
	if !h.checkPreCSRF(r) {
		h.message(w, r, http.StatusForbidden, msgForbidden)
		return
	}
	f := r.PostForm
	if tok := f.Get("token"); tok != "" {
		h.setNewPassword(w, r, tok, f.Get("password"))
		return
	}
	if h.mailer == nil {
		h.message(w, r, http.StatusOK, message{Title: "Ask an administrator",
			Text: "This server cannot send email. An administrator can issue a password-reset link for your account."})
		return
	}
	h.mailReset(r.Context(), f.Get("email"))
	h.message(w, r, http.StatusOK, message{Title: "Check your email",
		Text: "If an account uses that address, a link to reset its password is on its way. The link works once, for a limited time."})
}

// mailReset issues a token and mails the link in the background, so that
// the answer takes as long whether or not the account exists.
func (h *Handler) mailReset(ctx context.Context, email string) {
	norm, err := account.NormalizeEmail(email)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mailTimeout)
	h.mails.Add(1)
	go func() {
		defer h.mails.Done()
		defer cancel()
		tok, err := h.accounts.NewResetToken(ctx, norm)
		if err != nil {
			h.log.ErrorContext(ctx, "reset token failed", "err", err)
			return
		}
		if tok == "" {
			return
		}
		link := h.origin + h.path("reset") + "?token=" + url.QueryEscape(tok)
		if err := h.mailer.SendPasswordReset(ctx, norm, link); err != nil {
			h.log.ErrorContext(ctx, "sending reset email failed", "err", err)
		}
	}()
}

func (h *Handler) setNewPassword(w http.ResponseWriter, r *http.Request, tok, password string) {
	err := h.accounts.Reset(r.Context(), tok, password)
	switch {
	case errors.Is(err, account.ErrBadToken):
		h.message(w, r, http.StatusBadRequest, msgBadResetLink)
	case err != nil && formError(err) != "":
		h.renderReset(w, r, http.StatusUnprocessableEntity, &resetData{Token: tok}, formError(err))
	case err != nil:
		h.serverError(w, r, err)
	default:
		h.message(w, r, http.StatusOK, message{Title: "Password changed",
			Text: "Your new password is set, and every browser that was logged in was logged out.",
			Link: h.path("login"), LinkText: "Log in"})
	}
}
