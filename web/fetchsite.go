package web

import "net/http"

// Requests to the provider's pages must come from the pages themselves
// (SECURITY row 58). In the path layout, pod resources share this origin,
// so a stored page that got to run a script (the LDP handler sandboxes
// them; this is the second line) would be same-origin with these pages:
// Origin and Sec-Fetch-Site alone cannot tell it apart. What can is how
// the request is made, which browsers state in Fetch Metadata headers:
//
//   - a page is only served to a top-level navigation (Sec-Fetch-Mode
//     navigate, Sec-Fetch-Dest document), never to fetch(), XHR, an
//     iframe or an object, so no script can read a page's CSRF token or
//     account data (a window it opens cannot be read either: the account
//     page sets Cross-Origin-Opener-Policy, and the others carry only
//     single-use interaction state);
//   - a form is only accepted from a navigation of a page of ours
//     (Sec-Fetch-Site same-origin — a sandboxed page's requests are
//     cross-site —, mode navigate, dest document), and the forms that
//     approve a client or change an account only from a person's click
//     (Sec-Fetch-User ?1): a script's button.click() is no user
//     activation.
//
// A client that sends no Fetch Metadata (not a browser, or an old one) is
// judged by Origin alone (another origin is refused); the CSRF tokens
// still guard it.

// fetchAllowed reports whether r may reach a page or form. userAction
// asks, for a POST, for a person's click.
func (h *Handler) fetchAllowed(r *http.Request, userAction bool) bool {
	hd := r.Header
	site, mode, dest := hd.Get("Sec-Fetch-Site"), hd.Get("Sec-Fetch-Mode"), hd.Get("Sec-Fetch-Dest")
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return (mode == "" || mode == "navigate") && (dest == "" || dest == "document")
	}
	if site == "" {
		// No Fetch Metadata. The pages' Referrer-Policy (no-referrer) makes
		// a browser send "Origin: null" with their own forms.
		o := hd.Get("Origin")
		return o == "" || o == "null" || o == h.origin
	}
	// A sandboxed page's requests are cross-site: its origin is opaque.
	if site != "same-origin" || mode != "navigate" || dest != "document" {
		return false
	}
	return !userAction || hd.Get("Sec-Fetch-User") == "?1"
}

// ownPagesOnly guards a page or form handler with fetchAllowed.
func (h *Handler) ownPagesOnly(userAction bool, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.fetchAllowed(r, userAction) {
			h.message(w, r, http.StatusForbidden, msgForbidden)
			return
		}
		next(w, r)
	}
}

// isolateWindow keeps a window of this page out of reach of the page that
// opened it (Cross-Origin-Opener-Policy). Only for pages that no sign-in
// flow passes through: an app that signs in in a pop-up needs the
// opener of the log-in and consent pages' window kept.
func isolateWindow(w http.ResponseWriter) {
	w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
}
