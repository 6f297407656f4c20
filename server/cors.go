package server

import (
	"net/http"
	"net/url"
	"strings"
)

// CORS as the Solid Protocol asks (server-cors, server-cors-acao-vary,
// server-cors-aceh, server-cors-options, server-cors-enumerate,
// server-cors-accept-acah): a valid Origin is echoed, every header a client
// needs is exposed by name, and preflights are answered without needing
// authorization.
const (
	corsExpose = "Accept-Patch, Accept-Post, Accept-Put, Allow, Content-Range, ETag, Last-Modified, " +
		"Link, Location, Updates-Via, WAC-Allow, WWW-Authenticate, X-Request-ID"
	corsMethods = "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE"
	// Listed explicitly as well as echoed, so credentialed requests work.
	corsAllowHeaders = "Accept, Authorization, Content-Type, DPoP, If-Match, If-Modified-Since, " +
		"If-None-Match, If-Unmodified-Since, Link, Range, Slug"
	corsMaxAge = "600"
)

// validOrigin reports whether v is a serialised origin (RFC 6454 §6.1):
// scheme "://" host [":" port], nothing else. "null" and garbage are not
// valid, so no CORS headers are sent for them (SECURITY row 25).
func validOrigin(v string) bool {
	if v == "" || v == "null" || len(v) > 2048 {
		return false
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" || u.User != nil {
		return false
	}
	return u.Path == "" && u.RawQuery == "" && u.Fragment == "" && !strings.HasSuffix(v, "?") && !strings.HasSuffix(v, "#")
}

func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if !validOrigin(origin) {
			next.ServeHTTP(w, r)
			return
		}
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", origin)
		hd.Set("Access-Control-Allow-Credentials", "true")
		hd.Add("Vary", "Origin")
		// Exposed on preflights too (issue 10 item 14): harmless there, and
		// some clients read the preflight's answer as the CORS policy.
		hd.Set("Access-Control-Expose-Headers", corsExpose)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			hd.Set("Access-Control-Allow-Methods", corsMethods)
			allow := corsAllowHeaders
			if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
				allow += ", " + req
			}
			hd.Set("Access-Control-Allow-Headers", allow)
			hd.Set("Access-Control-Max-Age", corsMaxAge)
			hd.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// providerCORS lets the OpenID Provider's browser endpoints (discovery,
// JWKS, token, registration, revocation: those it answers with
// "Access-Control-Allow-Origin: *") be fetched with credentials, as SolidOS
// fetches the discovery document: a browser refuses "*" on a credentialed
// request, so a valid Origin is echoed with Allow-Credentials and Vary
// instead (issue 10 item 15). None of these endpoints reads cookies, so the
// credentials a browser sends along give the caller nothing. Endpoints the
// provider answers without CORS (authorization, logout) stay without it.
func providerCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if !validOrigin(origin) {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&echoOrigin{ResponseWriter: w, origin: origin}, r)
	})
}

// echoOrigin turns "Access-Control-Allow-Origin: *" into the request's
// origin with credentials allowed, just before the header is sent.
type echoOrigin struct {
	http.ResponseWriter
	origin string
	sent   bool
}

func (e *echoOrigin) fix() {
	if e.sent {
		return
	}
	e.sent = true
	hd := e.ResponseWriter.Header()
	if hd.Get("Access-Control-Allow-Origin") != "*" {
		return
	}
	hd.Set("Access-Control-Allow-Origin", e.origin)
	hd.Set("Access-Control-Allow-Credentials", "true")
	hd.Add("Vary", "Origin")
}

func (e *echoOrigin) WriteHeader(code int) {
	e.fix()
	e.ResponseWriter.WriteHeader(code)
}

func (e *echoOrigin) Write(p []byte) (int, error) {
	e.fix()
	return e.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (e *echoOrigin) Unwrap() http.ResponseWriter { return e.ResponseWriter }
