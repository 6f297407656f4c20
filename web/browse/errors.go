package browse

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/naamio/naamio/web/ui"
)

// statusData is the content of an error page: what happened and where to
// go from here (every error page links somewhere useful).
type statusData struct {
	Status int
	Text   string
	// Login is the log-in link that returns to this page ("" when the
	// visitor is logged in).
	Login string
	// Signup shows the sign-up link next to Login.
	Signup bool
	// Links are the ways on: the parent folder, the person's pod, the
	// start page.
	Links []ui.NavLink
}

// serveStatus renders the page of a non-200 answer of the LDP handler.
// A 401 (nobody logged in) offers to log in and come back here; a 403 says
// whose session it is and offers to log in as someone else. The anonymous
// visitor of the server's root gets the landing page instead (a person
// logged in too, with the way to their pod).
func (h *Handler) serveStatus(w http.ResponseWriter, r *http.Request, res *Resource, status int) {
	if r.URL.Path == "/" && h.isBaseHost(r) && (status == http.StatusUnauthorized || status == http.StatusForbidden) {
		h.serveLanding(w, r, res.WebID)
		return
	}
	d := &statusData{Status: status, Links: h.waysOn(r, res)}
	title := ""
	switch status {
	case http.StatusUnauthorized:
		title = "Log in to see this page"
		d.Text = "This page is private. If it is yours, or someone shared it with you, log in to see it."
		d.Login = h.loginURL(r)
		d.Signup = h.signup
		// RFC 9110 §15.5.2: a 401 names its scheme.
		if v := res.Head.Header.Values("WWW-Authenticate"); len(v) > 0 {
			w.Header()["WWW-Authenticate"] = v
		}
	case http.StatusForbidden:
		title = "You do not have access to this page"
		if res.WebID != "" {
			d.Text = "You are logged in as " + res.WebID + ", and its owner has not shared this page with you. Ask the owner to share it, or log out and log in as someone else."
		} else {
			d.Text = "This page is not shared with you."
			d.Login = h.loginURL(r)
		}
	case http.StatusNotFound:
		title = "Nothing here"
		d.Text = "There is no page at this address. It may have been moved or deleted."
	case http.StatusRequestedRangeNotSatisfiable, http.StatusNotAcceptable:
		title = "This cannot be shown"
		d.Text = "The server cannot show this resource as a page."
	default:
		title = "Something went wrong"
		d.Text = "The server could not show this page (" + http.StatusText(status) + "). Try again later."
	}
	h.pages.Render(w, r, status, "error", &ui.Page{Title: title, WebID: res.WebID, Data: d})
}

// isBaseHost reports whether r is for the base URL's host (not a pod on
// its own subdomain).
func (h *Handler) isBaseHost(r *http.Request) bool { return h.scheme+"://"+r.Host == h.origin }

// loginURL is the log-in page that returns to r's page. On a pod's own
// host the session cookie is not sent (it belongs to the base host), so
// there is nothing to come back to as a logged-in person: it returns to
// the account page.
func (h *Handler) loginURL(r *http.Request) string {
	if !h.isBaseHost(r) {
		return h.baseURL + ".idp/login"
	}
	return h.base + "/.idp/login?next=" + url.QueryEscape(r.URL.RequestURI())
}

// waysOn are the links an error page offers: the parent folder, the
// person's own pod, the start page.
func (h *Handler) waysOn(r *http.Request, res *Resource) []ui.NavLink {
	var out []ui.NavLink
	p := strings.TrimSuffix(r.URL.EscapedPath(), "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 && p != "" {
		out = append(out, ui.NavLink{Text: "Go up to the folder above", URL: h.scheme + "://" + r.Host + p[:i+1]})
	}
	if pod, _ := ui.PodOf(res.WebID); pod != "" {
		out = append(out, ui.NavLink{Text: "Go to your pod", URL: pod})
	}
	return append(out, ui.NavLink{Text: "Go to the start page", URL: h.baseURL})
}
