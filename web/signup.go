package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/op"
	"github.com/naamio/naamio/web/ui"
)

type signupData struct {
	Email  string
	Pod    string
	Invite string
	// InviteOnly shows the invite-code field.
	InviteOnly bool
	Client     *clientView
	// PodBefore and PodAfter surround the pod name in its future URL.
	PodBefore, PodAfter string
}

// serveSignup shows the sign-up form (or says that sign-up is closed).
func (h *Handler) serveSignup(w http.ResponseWriter, r *http.Request) {
	var pd *op.Pending
	if iid := r.URL.Query().Get("interaction"); iid != "" {
		if !h.claimInteraction(w, r, iid) {
			return
		}
		if _, pd = h.pending(w, r, iid); pd == nil {
			return
		}
	}
	d := &signupData{Invite: r.URL.Query().Get("invite")}
	if len(d.Invite) > maxCookieLen {
		d.Invite = ""
	}
	h.renderSignup(w, r, http.StatusOK, pd, d, "")
}

// postSignup creates the account and its pod, logs in, and continues the
// authorization request if there is one.
func (h *Handler) postSignup(w http.ResponseWriter, r *http.Request) {
	f, p, pd, ok := h.preLoginPost(w, r)
	if !ok {
		return
	}
	d := &signupData{Email: f.Get("email"), Pod: strings.TrimSpace(f.Get("pod")), Invite: strings.TrimSpace(f.Get("invite"))}
	acct, err := h.signup(r.Context(), d, f.Get("password"), remoteIP(r))
	if err != nil {
		if errors.Is(err, account.ErrRateLimited) {
			h.message(w, r, http.StatusTooManyRequests, msgSignupLimited)
			return
		}
		if msg := formError(err); msg != "" {
			d.InviteOnly = errors.Is(err, account.ErrInviteRequired) || errors.Is(err, account.ErrBadInvite)
			h.renderSignup(w, r, http.StatusUnprocessableEntity, pd, d, msg)
			return
		}
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
	http.Redirect(w, r, h.afterSignup(acct), http.StatusSeeOther)
}

// afterSignup is where a sign-up without an authorization request lands:
// the new pod's own page when it is on this host (the session cookie is
// the base host's, so a pod on its own subdomain would show its public
// view only), else the account page.
func (h *Handler) afterSignup(acct *account.Account) string {
	if pod, _ := ui.PodOf(firstWebID(acct.WebIDs)); pod != "" && strings.HasPrefix(pod, h.origin+"/") {
		return pod
	}
	return h.path("account")
}

// signup creates the account and its pod (idp.Provisioner.SignUp, which
// removes the account again when the pod cannot be made, so that the user
// can simply retry).
func (h *Handler) signup(ctx context.Context, d *signupData, password, remoteIP string) (*account.Account, error) {
	return h.provision.SignUp(ctx, idp.SignUp{
		NewAccount: account.NewAccount{Email: d.Email, Password: password, Invite: d.Invite, RemoteIP: remoteIP},
		Pod:        d.Pod,
	})
}

func (h *Handler) renderSignup(w http.ResponseWriter, r *http.Request, status int, pd *op.Pending, d *signupData, errText string) {
	if h.registration == account.RegistrationClosed {
		h.message(w, r, http.StatusForbidden, message{Title: "Sign-up closed",
			Text: "This server does not accept new accounts. Ask its administrator for one.", Link: h.path("login"), LinkText: "Log in"})
		return
	}
	d.InviteOnly = d.InviteOnly || h.registration == account.RegistrationInvite
	const marker = "\x00" // never in a base URL
	d.PodBefore, d.PodAfter, _ = strings.Cut(h.provision.NewPodURL(marker), marker)
	pg := &page{Title: "Sign up", HideLogin: true, CSRF: h.preCSRF(w, r), Error: errText, Data: d}
	if pd != nil {
		pg.Interaction = pd.ID
		d.Client = newClientView(pd)
		setSecurityHeaders(w, cspSource(pd.RedirectURI))
	}
	h.render(w, r, status, "signup", pg)
}
