package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/op"
)

// Begin sends the user agent of a new authorization request to the log-in
// page (op.Interaction). The page binds the request to the first browser
// that opens it.
func (h *Handler) Begin(_ context.Context, p *op.Pending) (string, error) {
	return h.origin + h.path("login") + "?interaction=" + url.QueryEscape(p.ID), nil
}

// validInteractionID reports whether s looks like an interaction id
// (base64url, bounded), before it is looked up.
func validInteractionID(s string) bool {
	if s == "" || len(s) > maxCookieLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// claimInteraction binds interaction id to this browser on a GET of one of
// the pages that serve it, or reports false (having answered) when it is
// invalid or another browser claimed it.
func (h *Handler) claimInteraction(w http.ResponseWriter, r *http.Request, id string) bool {
	if !validInteractionID(id) {
		h.message(w, r, http.StatusBadRequest, msgUnknownInteraction)
		return false
	}
	if !h.claims.bind(id, h.browserID(w, r), h.claimTTL) {
		h.message(w, r, http.StatusForbidden, msgOtherBrowser)
		return false
	}
	return true
}

// holdsInteraction checks, on a POST that acts on interaction id, that
// this browser claimed it; otherwise it answers 403 and reports false.
func (h *Handler) holdsInteraction(w http.ResponseWriter, r *http.Request, id string) bool {
	if !validInteractionID(id) || !h.claims.holds(id, cookieValue(r, h.cookieName(browserCookieName))) {
		h.message(w, r, http.StatusForbidden, msgOtherBrowser)
		return false
	}
	return true
}

// pending looks interaction id up, answering (and returning nil) when the
// provider is missing or the request unknown.
func (h *Handler) pending(w http.ResponseWriter, r *http.Request, id string) (*op.Provider, *op.Pending) {
	p := h.op()
	if p == nil {
		h.message(w, r, http.StatusServiceUnavailable, msgUnavailable)
		return nil, nil
	}
	pd, err := p.Pending(r.Context(), id)
	if err != nil {
		h.interactionError(w, r, err)
		return nil, nil
	}
	return p, pd
}

func prompts(pd *op.Pending, v string) bool { return slices.Contains(strings.Fields(pd.Prompt), v) }

// needsConsent reports whether the consent page must be shown: asked for
// (prompt=consent or select_account), a choice of WebID, or scopes the
// account has not approved for this client before.
// The pages' own client (ui.ClientID, known to the provider built in, so
// nobody else can pose as it) needs none: it is this server's pages
// acting for the person whose session it is, with the WebID those pages
// show (the account's first).
func (h *Handler) needsConsent(ctx context.Context, acct *account.Account, pd *op.Pending) bool {
	if pd.ClientID == h.firstParty && !pd.Dynamic && len(acct.WebIDs) > 0 && !prompts(pd, "consent") && !prompts(pd, "select_account") {
		return false
	}
	return prompts(pd, "consent") || prompts(pd, "select_account") || len(acct.WebIDs) != 1 ||
		!h.accounts.Approved(ctx, acct.ID, pd.ClientID, pd.Scopes)
}

// proceed continues an authorization request once the browser is logged
// in as acct: straight back to the client when consent is remembered,
// else to the consent page.
func (h *Handler) proceed(w http.ResponseWriter, r *http.Request, s *session, p *op.Provider, pd *op.Pending) {
	acct := s.acct
	if len(acct.WebIDs) == 0 {
		h.message(w, r, http.StatusConflict, msgNoWebID)
		return
	}
	if h.needsConsent(r.Context(), acct, pd) {
		if prompts(pd, "none") {
			h.deny(w, r, p, pd, "consent_required")
			return
		}
		http.Redirect(w, r, h.path("consent")+"?interaction="+url.QueryEscape(pd.ID), http.StatusSeeOther)
		return
	}
	h.complete(w, r, s, p, pd, acct.WebIDs[0])
}

// complete issues the authorization code and sends the browser back to
// the client.
// A session too old for the request's max_age (or from before its
// prompt=login) is sent to log in again.
func (h *Handler) complete(w http.ResponseWriter, r *http.Request, s *session, p *op.Provider, pd *op.Pending, webID string) {
	loc, err := p.CompleteAt(r.Context(), pd.ID, webID, s.acct.ID, s.authTime)
	if errors.Is(err, op.ErrLoginRequired) {
		if prompts(pd, "none") {
			h.deny(w, r, p, pd, "login_required")
			return
		}
		http.Redirect(w, r, h.path("login")+"?interaction="+url.QueryEscape(pd.ID), http.StatusSeeOther)
		return
	}
	if err != nil {
		h.interactionError(w, r, err)
		return
	}
	h.claims.drop(pd.ID)
	http.Redirect(w, r, loc, http.StatusSeeOther)
}

// deny ends the request with an error for the client.
func (h *Handler) deny(w http.ResponseWriter, r *http.Request, p *op.Provider, pd *op.Pending, code string) {
	loc, err := p.DenyWith(r.Context(), pd.ID, code)
	if err != nil {
		h.interactionError(w, r, err)
		return
	}
	h.claims.drop(pd.ID)
	http.Redirect(w, r, loc, http.StatusSeeOther)
}

// cspSource is the CSP source expression matching a redirect URI, added
// to form-action on the pages whose form may be answered with a 303 to the
// client (some browsers check form-action on that redirect): its
// origin for http(s), its scheme ("com.example.app:") for a native app's
// private-use scheme, or "" when it cannot be expressed safely.
func cspSource(redirectURI string) string {
	u, err := url.Parse(redirectURI)
	if err != nil || u.Scheme == "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	var src string
	switch {
	case scheme == "http" || scheme == "https":
		if u.Host == "" {
			return ""
		}
		src = scheme + "://" + strings.ToLower(u.Host)
	case scheme == "javascript" || scheme == "data" || scheme == "blob" || scheme == "filesystem":
		return ""
	default:
		src = scheme + ":"
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte(".-+:/[]", c) >= 0) {
			return ""
		}
	}
	return src
}
