package web

import (
	"embed"
	"net/http"

	"github.com/naamio/naamio/web/ui"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageNames are the account pages, each a "content" template rendered
// into the one layout of web/ui.
var pageNames = []string{"login", "signup", "consent", "account", "reset", "message", "logout"}

// page is what every template gets (ui.Page: title, session, form state,
// the page's own Data).
type page = ui.Page

// csp is the Content-Security-Policy of every page. formOrigin, when not
// empty, is a client's redirect origin added to form-action: a form whose
// answer is a 303 to the client is checked against form-action by some
// browsers. It must come from cspSource.
func csp(formOrigin string) string { return policy(formOrigin).String() }

func policy(formOrigin string) ui.Policy {
	var p ui.Policy
	if formOrigin != "" {
		p.FormAction = []string{formOrigin}
	}
	return p
}

// cspWithImages is csp whose img-src also allows imgOrigins (the account
// page's app logos; each from safeLogo).
func cspWithImages(formOrigin string, imgOrigins []string) string {
	p := policy(formOrigin)
	p.Media = imgOrigins
	return p.String()
}

func setSecurityHeaders(w http.ResponseWriter, formOrigin string) {
	ui.SecurityHeaders(w, policy(formOrigin))
}

// render writes page name with status (ui.Set.Render).
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	h.pages.Render(w, r, status, name, p)
}

// message renders the one-paragraph page (errors, confirmations).
func (h *Handler) message(w http.ResponseWriter, r *http.Request, status int, m message) {
	if m.Link == "" {
		m.Link, m.LinkText = h.path("account"), "Go to your account"
	}
	h.render(w, r, status, "message", &page{Title: m.Title, Data: m})
}

// ErrorPage renders the OpenID Provider's 400 page for an authorization
// or logout request that cannot be redirected (op.Options.ErrorPage).
func (h *Handler) ErrorPage(w http.ResponseWriter, r *http.Request, status int, reason string) {
	setSecurityHeaders(w, "")
	h.message(w, r, status, message{Title: "This sign-in request cannot be used",
		Text: "The app sent an invalid request: " + reason + ". Go back to the app and try again."})
}
