package web

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"time"
)

// Cookie names. Over https they take the __Host- prefix, which pins them
// to this host, Secure and Path=/.
const (
	preCookieName     = "naamio-pre"
	browserCookieName = "naamio-interaction"
	maxCookieLen      = 128
	maxFormBytes      = 64 << 10
)

// preCSRFDomain separates pre-session tokens from session tokens before
// both are MACed by account.Service.CSRFToken.
const preCSRFDomain = "naamio web pre-session\x00"

func (h *Handler) cookieName(base string) string {
	if h.secure {
		return "__Host-" + base
	}
	return base
}

func newRandom() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// cookieValue is the value of the named cookie, or "" if absent or overlong.
func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil || len(c.Value) > maxCookieLen {
		return ""
	}
	return c.Value
}

func (h *Handler) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration, same http.SameSite) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: h.secure, SameSite: same}
	if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, c)
}

// preCSRF returns the CSRF token for a form shown before log-in, creating
// the pre-session cookie it is bound to when the browser has none. The
// cookie is SameSite=Strict: a cross-site request never carries it.
func (h *Handler) preCSRF(w http.ResponseWriter, r *http.Request) string {
	name := h.cookieName(preCookieName)
	tok := cookieValue(r, name)
	if tok == "" {
		tok = newRandom()
		h.setCookie(w, name, tok, 0, http.SameSiteStrictMode)
	}
	return h.accounts.CSRFToken(preCSRFDomain + tok)
}

// checkPreCSRF reports whether a pre-log-in form's token matches the
// browser's pre-session cookie.
func (h *Handler) checkPreCSRF(r *http.Request) bool {
	tok := cookieValue(r, h.cookieName(preCookieName))
	return tok != "" && h.accounts.CheckCSRF(preCSRFDomain+tok, r.PostForm.Get("csrf"))
}

// browserID returns the browser's interaction-binding token, creating the
// cookie when absent.
func (h *Handler) browserID(w http.ResponseWriter, r *http.Request) string {
	name := h.cookieName(browserCookieName)
	id := cookieValue(r, name)
	if id == "" {
		id = newRandom()
	}
	// (Re)set on every claim so that it lives as long as the newest claim.
	h.setCookie(w, name, id, h.claimTTL, http.SameSiteLaxMode)
	return id
}

// parseForm reads a POST body of at most maxFormBytes.
func parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	return r.ParseForm() == nil
}

// remoteIP is the connection's peer address. X-Forwarded-For is not
// trusted: anyone can send it, and it would let a guesser pick the
// address its failures count against.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
