package accountapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/naamio/naamio/idp/account"
)

// principal is who a request acts for: the holder of an account token.
type principal struct {
	token    string // as presented; never logged
	byCookie bool
	// handle is the account segment of this token's URLs: the account id
	// for a session token, the pending handle for a token from
	// controls.account.create (also after a login was added).
	handle string
	acct   *account.Account // nil while pending without a login
	// pending: the token is in the pending table (an unbound entry or an
	// alias); session is the real session of an alias.
	pending bool
	session string
}

// bound reports whether the principal has a real account (a login).
func (p *principal) bound() bool { return p != nil && p.acct != nil }

// owns reports whether the URL segment seg names the principal's account.
func (p *principal) owns(seg string) bool {
	return seg != "" && (seg == p.handle || (p.acct != nil && seg == p.acct.ID))
}

// presentedToken returns the account token of the request: from
// "Authorization: CSS-Account-Token <token>", else from the css-account
// cookie.
func presentedToken(r *http.Request) (token string, byCookie bool) {
	if scheme, value, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, tokenScheme) {
		return strings.TrimSpace(value), false
	}
	if c, err := r.Cookie(cookieName); err == nil && c.Value != "" {
		return c.Value, true
	}
	return "", false
}

// authenticate resolves the request's token; it returns nil (and no
// error) when there is no token or it is not valid.
func (h *handler) authenticate(r *http.Request) (*principal, error) {
	token, byCookie := presentedToken(r)
	if token == "" {
		return nil, nil
	}
	p := &principal{token: token, byCookie: byCookie}
	if e, ok := h.pending.get(token); ok {
		p.pending, p.handle = true, e.handle
		if e.accountID == "" {
			return p, nil
		}
		acct, err := h.accounts.Session(r.Context(), e.session)
		if errors.Is(err, account.ErrNoSession) {
			h.pending.remove(token)
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		p.acct, p.session = acct, e.session
		return p, nil
	}
	acct, err := h.accounts.Session(r.Context(), token)
	if errors.Is(err, account.ErrNoSession) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p.acct, p.handle, p.session = acct, acct.ID, token
	return p, nil
}

// checkCSRF guards the cookie. A request authenticated by the
// Authorization header cannot be forged by another site (a page cannot
// set that header cross-origin without a CORS preflight, which cors
// grants without credentials). One authenticated by the cookie could, so:
//
//   - a browser's script may not use the cookie at all, whatever page it
//     runs on (SECURITY row 58): in the path layout a pod's stored page
//     shares this origin, so "same-origin" says nothing about who is
//     asking, and no page of ours calls this API (its pages post forms).
//     Every request a page makes carries Sec-Fetch-Site; only one the
//     person made by typing or bookmarking the URL says "none". The
//     cookie stays for scripts outside browsers that replay it (CSS's
//     tools), which send no Fetch Metadata;
//   - it may not come from another origin by its Origin header (a
//     sandboxed page's is "null");
//   - a state-changing one must be a POST with a JSON Content-Type or a
//     DELETE — neither is a "simple" request, so a browser without Fetch
//     Metadata preflights them cross-origin, and the preflight fails for
//     a credentialed request because cors answers "*".
func (h *handler) checkCSRF(r *http.Request, p *principal) error {
	if p == nil || !p.byCookie {
		return nil
	}
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "none" {
		return fail(http.StatusForbidden, "In a browser, the account API takes the Authorization header, not the cookie.")
	}
	if o := r.Header.Get("Origin"); o != "" && o != h.origin {
		return fail(http.StatusForbidden, "Cross-origin requests must use the Authorization header, not the cookie.")
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	if r.Method == http.MethodPost && !isJSONType(r.Header.Get("Content-Type")) {
		return fail(http.StatusForbidden, "A request authenticated by cookie must send Content-Type: application/json.")
	}
	return nil
}

// setCookie sets the css-account cookie for token, limited to the API's
// path. With remember it lasts as long as a session, otherwise until the
// browser closes (the session itself ends on the server after its TTL).
func (h *handler) setCookie(w http.ResponseWriter, token string, remember bool) {
	c := h.accounts.Cookie(token)
	c.Name, c.Path = cookieName, h.apiPath
	c.Secure = h.secure
	if !remember {
		c.MaxAge = 0
	}
	http.SetCookie(w, c)
}

func (h *handler) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: h.apiPath, MaxAge: -1,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}
