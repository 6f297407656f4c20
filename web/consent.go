package web

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/naamio/naamio/idp/op"
)

// clientView is what the pages show of the app asking.
type clientView struct {
	Name string
	// Origin is where the app will receive the sign-in: the redirect
	// URI's origin (or the whole URI for a native app's own scheme).
	Origin string
	// Unverified: the name was given by a dynamically registered client
	// and nothing vouches for it.
	Unverified bool
	ClientID   string
}

func newClientView(pd *op.Pending) *clientView {
	origin := pd.Origin
	if origin == "" {
		origin = pd.RedirectURI
	}
	name := pd.ClientName
	if name == "" && !pd.Dynamic {
		name = pd.ClientID
	}
	return &clientView{Name: name, Origin: origin, Unverified: pd.Dynamic, ClientID: pd.ClientID}
}

// scopeView is one requested scope in plain words.
type scopeView struct {
	Scope string
	Text  string
}

var scopeTexts = map[string]string{
	"openid":         "Know that it is you who signs in.",
	"webid":          "Use your WebID to act as you: read and write what you may read and write in pods, including yours.",
	"offline_access": "Stay connected when you are not using it, until you disconnect it on your account page.",
	"profile":        "See your basic profile information.",
}

func describeScopes(scopes []string) []scopeView {
	out := make([]scopeView, 0, len(scopes))
	for _, s := range scopes {
		t, ok := scopeTexts[s]
		if !ok {
			t = "Permission “" + s + "”."
		}
		out = append(out, scopeView{Scope: s, Text: t})
	}
	return out
}

type consentData struct {
	Client *clientView
	Scopes []scopeView
	WebIDs []string
	Email  string
}

// serveConsent asks the logged-in user to approve or deny the app.
func (h *Handler) serveConsent(w http.ResponseWriter, r *http.Request) {
	iid := r.URL.Query().Get("interaction")
	s, err := h.currentSession(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if s == nil {
		http.Redirect(w, r, h.path("login")+"?interaction="+url.QueryEscape(iid), http.StatusSeeOther)
		return
	}
	if !h.claimInteraction(w, r, iid) {
		return
	}
	_, pd := h.pending(w, r, iid)
	if pd == nil {
		return
	}
	if len(s.acct.WebIDs) == 0 {
		h.message(w, r, http.StatusConflict, msgNoWebID)
		return
	}
	h.renderConsent(w, r, http.StatusOK, s, pd, "")
}

func (h *Handler) renderConsent(w http.ResponseWriter, r *http.Request, status int, s *session, pd *op.Pending, errText string) {
	setSecurityHeaders(w, cspSource(pd.RedirectURI))
	tok := h.accounts.CSRFToken(s.token)
	h.render(w, r, status, "consent", &page{Title: "Allow access?", CSRF: tok, WebID: firstWebID(s.acct.WebIDs), LogoutCSRF: tok,
		Error: errText, Interaction: pd.ID,
		Data: &consentData{Client: newClientView(pd), Scopes: describeScopes(pd.Scopes), WebIDs: s.acct.WebIDs, Email: s.acct.Email}})
}

// postConsent records the answer: approve (remembered for next time) or
// deny, and sends the browser back to the app.
func (h *Handler) postConsent(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		h.message(w, r, http.StatusBadRequest, msgBadRequest)
		return
	}
	s, err := h.currentSession(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	f := r.PostForm
	if s == nil || !h.accounts.CheckCSRF(s.token, f.Get("csrf")) {
		h.message(w, r, http.StatusForbidden, msgForbidden)
		return
	}
	if !h.holdsInteraction(w, r, f.Get("interaction")) {
		return
	}
	p, pd := h.pending(w, r, f.Get("interaction"))
	if pd == nil {
		return
	}
	switch f.Get("decision") {
	case "deny":
		h.deny(w, r, p, pd, "access_denied")
	case "approve":
		webID := f.Get("webid")
		if len(s.acct.WebIDs) == 1 && webID == "" {
			webID = s.acct.WebIDs[0]
		}
		if !slices.Contains(s.acct.WebIDs, webID) {
			h.renderConsent(w, r, http.StatusUnprocessableEntity, s, pd, "Choose one of your WebIDs.")
			return
		}
		if err := h.accounts.Approve(r.Context(), s.acct.ID, pd.ClientID, pd.Scopes); err != nil {
			h.serverError(w, r, err)
			return
		}
		h.complete(w, r, s, p, pd, webID)
	default:
		h.message(w, r, http.StatusBadRequest, msgBadRequest)
	}
}
