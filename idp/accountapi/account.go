package accountapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/naamio/naamio/idp/account"
)

// createAccount answers POST controls.account.create: a pending account
// (see pending.go) and its token, in the body as "authorization" and as
// the css-account cookie.
func (h *handler) createAccount(w http.ResponseWriter, r *http.Request) (reply, error) {
	var in struct{}
	if err := readBody(w, r, &in); err != nil {
		return nil, err
	}
	if err := h.registrationOpen(r.Context()); err != nil {
		return nil, err
	}
	token, handle, err := h.pending.open(h.opts.PendingTTL)
	if errors.Is(err, errPendingFull) {
		return nil, fail(http.StatusTooManyRequests, "Too many accounts are waiting for a login: try again later.")
	}
	if err != nil {
		return nil, err
	}
	h.setCookie(w, token, false)
	return h.with(&principal{handle: handle, pending: true}, reply{"authorization": token}), nil
}

// registrationOpen refuses account creation at once when the server does
// not take sign-ups, rather than after the script chose a password.
// account.Service does not export its mode; an empty sign-up tells it
// without side effects: Create checks the mode (closed, or invite-only
// without a code) before anything else, and an empty email never
// creates an account.
func (h *handler) registrationOpen(ctx context.Context) error {
	_, err := h.accounts.Create(ctx, account.NewAccount{})
	if errors.Is(err, account.ErrRegistrationClosed) {
		return err
	}
	return nil
}

// accountDetails answers GET controls.account.account in CSS's shape:
// logins, pods, WebIDs and client credentials, each keyed by its value
// with the URL of its resource.
func (h *handler) accountDetails(r *http.Request, p *principal) (reply, error) {
	logins := map[string]map[string]string{}
	pods, webIDs, creds := map[string]string{}, map[string]string{}, map[string]string{}
	if p.bound() {
		logins["password"] = map[string]string{p.acct.Email: h.passwordResource(p.handle, p.acct.Email)}
		for _, name := range p.acct.Pods {
			podURL := h.prov.PodURL(name)
			pods[podURL] = h.podResource(p.handle, name)
		}
		for _, webID := range p.acct.WebIDs {
			webIDs[webID] = h.webIDResource(p.handle, webID)
		}
		list, err := h.accounts.ListClientCredentials(r.Context(), p.acct.ID)
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			creds[c.ID] = h.credentialResource(p.handle, c.ID)
		}
	}
	return h.with(p, reply{"logins": logins, "pods": pods, "webIds": webIDs,
		"clientCredentials": creds, "settings": map[string]any{}}), nil
}

// logout answers POST controls.account.logout: the token (and, for a
// pending token, the session it stands for) stops working.
func (h *handler) logout(w http.ResponseWriter, r *http.Request, p *principal) (reply, error) {
	var in struct{}
	if err := readBody(w, r, &in); err != nil {
		return nil, err
	}
	if p.pending {
		h.pending.remove(p.token)
	}
	if p.session != "" {
		if err := h.accounts.EndSession(r.Context(), p.session); err != nil {
			return nil, err
		}
	}
	h.clearCookie(w)
	return h.with(nil, reply{}), nil
}
