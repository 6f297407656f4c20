package web

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strconv"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/style.css
var styleCSS []byte

// pageTemplate is one page: the layout with the page's "content".
type pageTemplate = template.Template

// pageNames are the templates besides the layout, one per page.
var pageNames = []string{"login", "signup", "consent", "account", "reset", "message"}

func loadTemplates() (map[string]*pageTemplate, error) {
	layout, err := template.New("layout.html").ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	out := make(map[string]*pageTemplate, len(pageNames))
	for _, name := range pageNames {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}

// page is what every template gets; Data is the page's own.
type page struct {
	Title  string
	Prefix string // URL path of the pages, for links and form actions
	// CSRF is the anti-CSRF token every form carries.
	CSRF string
	// LoggedIn shows the log-out button in the header.
	LoggedIn bool
	// LogoutCSRF is the session's CSRF token for the header's log-out form.
	LogoutCSRF  string
	Error       string
	Notice      string
	Interaction string
	Next        string
	Data        any
}

// csp is the Content-Security-Policy of every page. formOrigin, when not
// empty, is a client's redirect origin added to form-action: a form whose
// answer is a 303 to the client is checked against form-action by some
// browsers. It must come from cspSource.
func csp(formOrigin string) string { return cspWithImages(formOrigin, nil) }

// cspWithImages is csp whose img-src also allows imgOrigins (the account
// page's app logos; each from safeLogo).
func cspWithImages(formOrigin string, imgOrigins []string) string {
	fa := "'self'"
	if formOrigin != "" {
		fa += " " + formOrigin
	}
	img := "'self' data:"
	for _, o := range imgOrigins {
		img += " " + o
	}
	return "default-src 'none'; style-src 'self'; img-src " + img + "; form-action " + fa +
		"; frame-ancestors 'none'; base-uri 'none'"
}

func setSecurityHeaders(w http.ResponseWriter, formOrigin string) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp(formOrigin))
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
}

// render writes page name with status. It renders into a buffer first, so
// that a template error becomes a clean 500.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	p.Prefix = h.prefix
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout.html", p); err != nil {
		h.log.ErrorContext(r.Context(), "render failed", "page", name, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// message renders the one-paragraph page (errors, confirmations).
func (h *Handler) message(w http.ResponseWriter, r *http.Request, status int, m message) {
	h.render(w, r, status, "message", &page{Title: m.Title, Data: m})
}

func serveStyle(w http.ResponseWriter, _ *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "text/css; charset=utf-8")
	hd.Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(styleCSS)
}

// ErrorPage renders the OpenID Provider's 400 page for an authorization
// or logout request that cannot be redirected (op.Options.ErrorPage).
func (h *Handler) ErrorPage(w http.ResponseWriter, r *http.Request, status int, reason string) {
	setSecurityHeaders(w, "")
	h.message(w, r, status, message{Title: "This sign-in request cannot be used",
		Text: "The app sent an invalid request: " + reason + ". Go back to the app and try again."})
}
