package web

import (
	"errors"
	"net/http"

	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/op"
	"github.com/naamio/naamio/idp/pod"
)

// message is the content of the one-paragraph page.
type message struct {
	Title    string
	Text     string
	Link     string // optional link under the text (a path of ours)
	LinkText string
}

var (
	msgForbidden = message{Title: "Request refused",
		Text: "This form has expired or did not come from this site. Go back, reload the page and try again."}
	msgOtherBrowser = message{Title: "Request refused",
		Text: "This sign-in request was opened in another browser or has expired. Go back to the app and sign in again."}
	msgUnknownInteraction = message{Title: "Sign-in request expired",
		Text: "This sign-in request has expired or was already used. Go back to the app and sign in again."}
	msgRateLimited = message{Title: "Too many attempts",
		Text: "There were too many failed attempts to log in. Wait a few minutes and try again."}
	msgSignupLimited = message{Title: "Too many sign-ups",
		Text: "Too many accounts were created from your network recently. Try again in an hour."}
	msgUnavailable = message{Title: "Not available",
		Text: "Signing in to apps is not available yet. Try again in a moment."}
	msgServerError = message{Title: "Something went wrong",
		Text: "The server could not complete this request. Try again later."}
	msgBadRequest = message{Title: "Bad request", Text: "The form could not be read."}
	msgNoWebID    = message{Title: "No WebID yet",
		Text: "Your account has no pod and so no WebID to sign in to apps with. Create a pod on your account page first."}
	msgBadResetLink = message{Title: "Reset link not valid",
		Text: "This password-reset link is invalid, expired or was already used. Ask for a new one."}
)

// formError is the text shown above a form for a refused submission, or
// "" when err is not the user's to fix (the caller answers 500).
func formError(err error) string {
	switch {
	case errors.Is(err, account.ErrBadLogin):
		return "Wrong email or password."
	case errors.Is(err, account.ErrInvalidEmail):
		return "Enter a plain email address, like name@example.org."
	case errors.Is(err, account.ErrEmailTaken):
		return "An account with this email address already exists. Log in instead."
	case errors.Is(err, account.ErrPasswordTooShort):
		return "Choose a password of at least 8 characters."
	case errors.Is(err, account.ErrPasswordTooLong):
		return "That password is too long."
	case errors.Is(err, account.ErrRegistrationClosed):
		return "This server does not accept new accounts."
	case errors.Is(err, account.ErrInviteRequired):
		return "An invite code is needed to sign up on this server."
	case errors.Is(err, account.ErrBadInvite):
		return "That invite code is not valid, or was already used."
	case errors.Is(err, pod.ErrInvalidName):
		return "Pod names are 1 to 63 lowercase letters, digits or dashes, and some names are reserved."
	case errors.Is(err, pod.ErrExists):
		return "That pod name is taken. Choose another."
	case errors.Is(err, idp.ErrNameRetired):
		return "That pod name belonged to a deleted account and stays reserved, so that its WebID never passes to someone else. Choose another."
	case errors.Is(err, account.ErrInvalidName):
		return "Give it a name (at most 256 characters)."
	case errors.Is(err, account.ErrWebIDNotOwned):
		return "Choose one of your own WebIDs."
	case errors.Is(err, account.ErrNotAdmin):
		return "Only administrators can do that."
	case errors.Is(err, account.ErrNotFound):
		return "That item no longer exists."
	}
	return ""
}

// serverError logs err and shows the generic 500 page.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	h.message(w, r, http.StatusInternalServerError, msgServerError)
}

// interactionError answers a failed Pending/Complete/Deny.
func (h *Handler) interactionError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, op.ErrUnknownInteraction) || errors.Is(err, op.ErrUnknownClient) {
		h.message(w, r, http.StatusBadRequest, msgUnknownInteraction)
		return
	}
	h.serverError(w, r, err)
}
