package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/pod"
)

type accountData struct {
	Email       string
	Admin       bool
	Pods        []podView
	WebIDs      []string
	Credentials []account.ClientCredential
	Apps        []appView
	// NewCredential and NewInvite are shown once, right after creation.
	NewCredential *newCredential
	NewInvite     string
	InviteURL     string
}

type podView struct{ Name, URL string }

type newCredential struct{ ID, Secret, WebID string }

// appView is a connected app: remembered consent, live tokens, or both.
// Name, Origin, Logo and the dates tell apart several registrations of one
// app (issue 15 item 0).
type appView struct {
	ClientID string
	Name     string
	// Unverified: the name is self-asserted by a dynamically registered
	// client; a Client Identifier Document's name is vouched for by the
	// https URL that is its client id.
	Unverified bool
	// Origin is where the app received its sign-ins (its redirect origin).
	Origin string
	// Logo is the app's logo_uri, only when it is a plain https URL
	// (safeLogo); LogoOrigin goes into the page's img-src.
	Logo       string
	LogoOrigin string
	Scopes     string
	Since      time.Time
	LastUsed   time.Time // zero: not known
	Tokens     bool      // holds a refresh-token grant
}

// notices are the confirmations shown after an action (?done=).
var notices = map[string]string{
	"password":           "Your password was changed. Other browsers were logged out.",
	"credential-deleted": "The client credential was deleted.",
	"app-revoked":        "The app was disconnected.",
	"pod-created":        "Your new pod is ready.",
}

// serveAccount shows the account page.
func (h *Handler) serveAccount(w http.ResponseWriter, r *http.Request) {
	isolateWindow(w) // SECURITY row 58: its CSRF token and data stay in this window
	s, err := h.currentSession(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if s == nil {
		http.Redirect(w, r, h.path("login")+"?next="+url.QueryEscape(h.path("account")), http.StatusSeeOther)
		return
	}
	h.renderAccount(w, r, http.StatusOK, s, &accountData{}, notices[r.URL.Query().Get("done")], "")
}

func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, status int, s *session, d *accountData, notice, errText string) {
	ctx := r.Context()
	creds, err := h.accounts.ListClientCredentials(ctx, s.acct.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	apps, err := h.connectedApps(r, s.acct.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d.Email, d.Admin, d.WebIDs, d.Credentials, d.Apps = s.acct.Email, s.acct.Admin, s.acct.WebIDs, creds, apps
	for _, name := range s.acct.Pods {
		iri := h.provision.PodURL(name)
		d.Pods = append(d.Pods, podView{Name: name, URL: iri})
	}
	var logos []string
	for _, a := range apps {
		if a.LogoOrigin != "" && !slices.Contains(logos, a.LogoOrigin) {
			logos = append(logos, a.LogoOrigin)
		}
	}
	w.Header().Set("Content-Security-Policy", cspWithImages("", logos))
	tok := h.accounts.CSRFToken(s.token)
	h.render(w, r, status, "account", &page{Title: "Your account", CSRF: tok, WebID: firstWebID(s.acct.WebIDs), Section: "account", LogoutCSRF: tok,
		Notice: notice, Error: errText, Data: d})
}

// connectedApps merges remembered consent with the provider's live grants.
func (h *Handler) connectedApps(r *http.Request, accountID string) ([]appView, error) {
	approved, err := h.accounts.ListApproved(r.Context(), accountID)
	if err != nil {
		return nil, err
	}
	var out []appView
	index := map[string]int{}
	for _, a := range approved {
		index[a.ClientID] = len(out)
		out = append(out, appView{ClientID: a.ClientID, Scopes: strings.Join(a.Scopes, " "), Since: a.Updated})
	}
	if p := h.op(); p != nil {
		grants, err := p.Grants(r.Context(), accountID)
		if err != nil {
			return nil, err
		}
		for _, g := range grants {
			i, ok := index[g.ClientID]
			if !ok {
				i = len(out)
				index[g.ClientID] = i
				out = append(out, appView{ClientID: g.ClientID, Scopes: strings.Join(g.Scopes, " "), Since: g.Created})
			}
			out[i].Tokens = true
			if out[i].Name == "" {
				out[i].Name = g.ClientName
			}
		}
	}
	if err := h.addAppRecords(r, accountID, out, index); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b appView) int {
		if c := b.LastUsed.Compare(a.LastUsed); c != 0 {
			return c // most recently used first
		}
		return strings.Compare(a.ClientID, b.ClientID)
	})
	return out, nil
}

// addAppRecords fills in what the provider remembers of each app: name,
// logo, redirect origin, when it was connected and last used.
func (h *Handler) addAppRecords(r *http.Request, accountID string, out []appView, index map[string]int) error {
	p := h.op()
	if p == nil {
		return nil
	}
	recs, err := p.Apps(r.Context(), accountID)
	if err != nil {
		return err
	}
	for _, a := range recs {
		i, ok := index[a.ClientID]
		if !ok {
			continue // disconnected: consent and grants are gone
		}
		v := &out[i]
		if a.Name != "" {
			v.Name = a.Name
		}
		v.Unverified, v.Origin, v.LastUsed = a.Dynamic, a.Origin, a.LastUsed
		if a.Connected.Before(v.Since) || v.Since.IsZero() {
			v.Since = a.Connected
		}
		v.Logo, v.LogoOrigin = safeLogo(a.LogoURI)
	}
	return nil
}

// safeLogo answers logo_uri and its origin when it is an https URL with a
// plain host name (no user info, no odd characters that could break out of
// the CSP's img-src), else nothing: never javascript:, data: or http.
// The logo is shown by an <img> (no script runs in an image, SVG
// included) without a referrer.
func safeLogo(s string) (logo, origin string) {
	if len(s) > 2048 {
		return "", ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Opaque != "" || !plainHost(u.Host) {
		return "", ""
	}
	return u.String(), "https://" + u.Host
}

// plainHost: letters, digits, dots, hyphens and an optional :port.
func plainHost(h string) bool {
	if h == "" || len(h) > 260 {
		return false
	}
	for _, c := range h {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == ':') {
			return false
		}
	}
	return true
}

// accountAction is one of the account page's forms; it answers itself.
type accountAction func(h *Handler, w http.ResponseWriter, r *http.Request, s *session)

var accountActions = map[string]accountAction{
	"password":           (*Handler).changePassword,
	"credentials":        (*Handler).createCredential,
	"credentials/delete": (*Handler).deleteCredential,
	"apps/revoke":        (*Handler).revokeApp,
	"invites":            (*Handler).createInvite,
	"pods":               (*Handler).createPod,
	"delete":             (*Handler).deleteAccount,
}

// postAccount runs an account-page form after checking the session and
// its CSRF token.
func (h *Handler) postAccount(w http.ResponseWriter, r *http.Request) {
	action, ok := accountActions[r.PathValue("action")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if !parseForm(w, r) {
		h.message(w, r, http.StatusBadRequest, msgBadRequest)
		return
	}
	s, err := h.currentSession(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if s == nil || !h.accounts.CheckCSRF(s.token, r.PostForm.Get("csrf")) {
		h.message(w, r, http.StatusForbidden, msgForbidden)
		return
	}
	action(h, w, r, s)
}

// done sends the browser back to the account page with a confirmation.
func (h *Handler) done(w http.ResponseWriter, r *http.Request, key string) {
	http.Redirect(w, r, h.path("account")+"?done="+key, http.StatusSeeOther)
}

// actionFailed shows the account page with the error, or a 500.
func (h *Handler) actionFailed(w http.ResponseWriter, r *http.Request, s *session, err error, text string) {
	switch {
	case errors.Is(err, account.ErrRateLimited):
		h.message(w, r, http.StatusTooManyRequests, msgRateLimited)
	case text != "":
		h.renderAccount(w, r, http.StatusUnprocessableEntity, s, &accountData{}, "", text)
	case formError(err) != "":
		h.renderAccount(w, r, http.StatusUnprocessableEntity, s, &accountData{}, "", formError(err))
	default:
		h.serverError(w, r, err)
	}
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, s *session) {
	f, ctx := r.PostForm, r.Context()
	err := h.accounts.ChangePassword(ctx, s.acct.ID, f.Get("old"), f.Get("new"))
	if errors.Is(err, account.ErrBadLogin) {
		h.actionFailed(w, r, s, err, "Your current password is not correct.")
		return
	}
	if err != nil {
		h.actionFailed(w, r, s, err, "")
		return
	}
	// Log out everywhere else: whoever knew the old password may hold a session.
	if err := h.accounts.EndAllSessions(ctx, s.acct.ID); err != nil {
		h.serverError(w, r, err)
		return
	}
	if _, err := h.startSession(w, r, s.acct); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.done(w, r, "password")
}

func (h *Handler) createCredential(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	webID := f.Get("webid")
	if webID == "" && len(s.acct.WebIDs) == 1 {
		webID = s.acct.WebIDs[0]
	}
	id, secret, err := h.accounts.NewClientCredentials(r.Context(), s.acct.ID, strings.TrimSpace(f.Get("name")), webID)
	if err != nil {
		h.actionFailed(w, r, s, err, "")
		return
	}
	h.renderAccount(w, r, http.StatusOK, s, &accountData{NewCredential: &newCredential{ID: id, Secret: secret, WebID: webID}},
		"Client credential created. Copy the secret now: it is not shown again.", "")
}

func (h *Handler) deleteCredential(w http.ResponseWriter, r *http.Request, s *session) {
	if err := h.accounts.DeleteClientCredentials(r.Context(), s.acct.ID, r.PostForm.Get("id")); err != nil {
		h.actionFailed(w, r, s, err, "")
		return
	}
	h.done(w, r, "credential-deleted")
}

// revokeApp forgets the consent and revokes the app's refresh tokens.
func (h *Handler) revokeApp(w http.ResponseWriter, r *http.Request, s *session) {
	clientID := r.PostForm.Get("client_id")
	if p := h.op(); p != nil {
		if err := p.RevokeClient(r.Context(), s.acct.ID, clientID); err != nil {
			h.serverError(w, r, err)
			return
		}
	}
	if err := h.accounts.Revoke(r.Context(), s.acct.ID, clientID); err != nil {
		h.actionFailed(w, r, s, err, "")
		return
	}
	h.done(w, r, "app-revoked")
}

func (h *Handler) createInvite(w http.ResponseWriter, r *http.Request, s *session) {
	code, err := h.accounts.NewInvite(r.Context(), s.acct.ID)
	if errors.Is(err, account.ErrNotAdmin) {
		h.message(w, r, http.StatusForbidden, message{Title: "Not allowed", Text: "Only administrators can create invites."})
		return
	}
	if err != nil {
		h.actionFailed(w, r, s, err, "")
		return
	}
	h.renderAccount(w, r, http.StatusOK, s, &accountData{NewInvite: code,
		InviteURL: h.origin + h.path("signup") + "?invite=" + url.QueryEscape(code)},
		"Invite created. Send the code or link now: it is not shown again.", "")
}

func (h *Handler) createPod(w http.ResponseWriter, r *http.Request, s *session) {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	if err := pod.ValidName(name); err != nil {
		h.actionFailed(w, r, s, err, "")
		return
	}
	if _, err := h.provision.CreatePod(r.Context(), s.acct.ID, name); err != nil {
		h.actionFailed(w, r, s, err, "")
		return
	}
	h.done(w, r, "pod-created")
}

// deleteAccount removes the account and its pods after the password is
// confirmed (checked by a log-in, so guesses are rate limited).
func (h *Handler) deleteAccount(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	if _, err := h.accounts.Login(ctx, s.acct.Email, r.PostForm.Get("password"), remoteIP(r)); err != nil {
		if errors.Is(err, account.ErrBadLogin) {
			h.actionFailed(w, r, s, err, "The password is not correct: nothing was deleted.")
			return
		}
		h.actionFailed(w, r, s, err, "")
		return
	}
	if err := h.provision.DeleteAccount(ctx, s.acct.ID); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.SetCookie(w, h.accounts.ClearCookie())
	h.message(w, r, http.StatusOK, message{Title: "Account deleted",
		Text: "Your account and its pods were deleted.", Link: h.path("signup"), LinkText: "Sign up again"})
}
