package op

import (
	"encoding/json"
	"errors"
	"net/http"
)

var (
	// ErrUnknownInteraction: no pending authorization request has that id
	// (never issued, expired, or already completed or denied).
	ErrUnknownInteraction = errors.New("op: unknown or expired interaction")
	// ErrUnknownClient: no registered client and no Client Identifier
	// Document has that client_id.
	ErrUnknownClient = errors.New("op: unknown client")
	// ErrClientDocument: a Client Identifier Document could not be used
	// (fetch failed, redirected, not 200, invalid, client_id mismatch).
	ErrClientDocument = errors.New("op: client identifier document refused")
	// ErrInvalidCredentials is what a Credentials implementation returns
	// for an unknown client id or a wrong secret (the two look identical).
	ErrInvalidCredentials = errors.New("op: invalid client credentials")
	// ErrInvalidWebID: Complete was given something that is not an http(s)
	// URL as WebID.
	ErrInvalidWebID = errors.New("op: invalid WebID")
)

// oauthError is an OAuth 2.0 error response (RFC 6749 §5.2, RFC 7591 §3.2.2,
// RFC 9449 §5). desc is always a fixed text chosen here, never request data.
type oauthError struct {
	status int
	code   string
	desc   string
	cause  error // logged for 5xx only
}

func (e *oauthError) Error() string { return "op: " + e.code + ": " + e.desc }
func (e *oauthError) Unwrap() error { return e.cause }

func invalidRequest(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_request", desc: desc}
}
func invalidGrant(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_grant", desc: desc}
}
func invalidClient(desc string) *oauthError {
	return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", desc: desc}
}
func invalidScope(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_scope", desc: desc}
}
func invalidDPoP(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_dpop_proof", desc: desc}
}
func unsupportedGrant() *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "unsupported_grant_type", desc: "grant type not supported"}
}
func unavailableErr(desc string, cause error) *oauthError {
	return &oauthError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable", desc: desc, cause: cause}
}
func serverError(cause error) *oauthError {
	return &oauthError{status: http.StatusInternalServerError, code: "server_error", desc: "internal error", cause: cause}
}

// asOAuth maps any error to an oauthError: unknown errors are server errors.
func asOAuth(err error) *oauthError {
	var oe *oauthError
	if errors.As(err, &oe) {
		return oe
	}
	return serverError(err)
}

// writeOAuthError writes err as a JSON error body (RFC 6749 §5.2). A 5xx is
// logged with its cause; the client sees only the code. invalid_client on a
// request that used HTTP Basic carries WWW-Authenticate (RFC 6749 §5.2).
func (p *Provider) writeOAuthError(w http.ResponseWriter, r *http.Request, err error) {
	oe := asOAuth(err)
	if oe.status >= 500 {
		p.log.ErrorContext(r.Context(), "oidc endpoint failed", "method", r.Method, "path", r.URL.Path, "status", oe.status, "err", err)
	}
	if oe.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+p.issuer+`"`)
	}
	body := map[string]string{"error": oe.code}
	if oe.desc != "" && oe.status < 500 {
		body["error_description"] = oe.desc
	}
	writeJSON(w, oe.status, body)
}

// writeJSON writes v as a non-cacheable JSON response (RFC 6749 §5.1).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// badRequestPage answers an authorization or logout request that must not
// be redirected (unknown client, unregistered redirect_uri, PKCE missing or
// plain: SECURITY.md row 33) with a 400 page.
func (p *Provider) badRequestPage(w http.ResponseWriter, r *http.Request, reason string) {
	if p.errorPage != nil {
		p.errorPage(w, r, http.StatusBadRequest, reason)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte("Bad request: " + reason + "\n"))
}
