package share

import (
	"context"
	"embed"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/naamio/naamio/web/ui"
)

//go:embed templates
var templateFS embed.FS

// Paths of the pages and the endpoint (under the server's base path).
const (
	SharePath   = ui.SharePath
	ProfilePath = "/.web/profile"
	ResolvePath = "/.web/api/resolve-handle"
)

// Options are what the pages need from the server.
type Options struct {
	// BaseURL is the server's public base URL.
	BaseURL string
	// Session answers the WebID of the request's page session.
	Session func(*http.Request) (webID string, ok bool)
	// LDP is the LDP handler; the pages read through it as the person.
	LDP http.Handler
	// Owner answers the WebID of the owner of the pod that holds
	// resource (a URL of this server), or false.
	Owner func(resource string) (webID string, ok bool)
	// Pod answers the URL and owner WebID of the pod name (false: no such
	// pod). Also used to resolve handles of this server (@name@host).
	Pod func(name string) (podURL, webID string, ok bool)
	// Actor answers what Fediverse peers see of pod name (false:
	// federation is off).
	Actor func(ctx context.Context, pod string) (ActorView, bool)
	// WebFinger fetches a WebFinger URL of another server through the
	// server's SSRF-safe client (status and body); nil: only this
	// server's handles resolve.
	WebFinger func(ctx context.Context, url string) (status int, body []byte, err error)
	Log       *slog.Logger
}

// ActorView is what the server's ActivityPub actor shows of a pod's
// profile (federation/profile.go), and its handle.
type ActorView struct {
	Handle  string // acct:name@host
	Actor   string // the actor IRI
	Name    string
	Summary string
	Icon    string
}

// Handler serves the sharing and profile pages and the handle resolver.
type Handler struct {
	opts  Options
	ldp   http.Handler
	pages *ui.Set
	base  *url.URL
	log   *slog.Logger
}

// New returns the pages' handler.
func New(opts Options) (*Handler, error) {
	if opts.LDP == nil || opts.Session == nil {
		return nil, errors.New("share: LDP and Session are required")
	}
	base, err := url.Parse(opts.BaseURL)
	if err != nil || base.Host == "" {
		return nil, errors.New("share: BaseURL must be an absolute URL")
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pages, err := ui.Parse(opts.BaseURL, log, templateFS, "templates", "share", "profile", "message")
	if err != nil {
		return nil, err
	}
	return &Handler{opts: opts, ldp: opts.LDP, pages: pages, base: base, log: log.With("component", "web/share")}, nil
}

// message is the data of a page that only says something.
type message struct {
	Text     string
	Link     string
	LinkText string
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, webID, title, text string) {
	h.pages.Render(w, r, status, "message", &ui.Page{Title: title, WebID: webID,
		Data: message{Text: text, Link: h.pages.Base() + "/", LinkText: "Go to the start page"}})
}

// session answers the person's WebID, or sends the browser to log in and
// come back (a page under /.web/ has nothing to show anonymously).
func (h *Handler) session(w http.ResponseWriter, r *http.Request) (string, bool) {
	webID, ok := h.opts.Session(r)
	if ok && webID != "" {
		return webID, true
	}
	http.Redirect(w, r, h.pages.Base()+"/.idp/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	return "", false
}

// ours reports whether u is a URL of this server: the base URL's origin
// under its path, or a subdomain pod of its host. The LDP handler maps any
// unknown host to the base host, so a foreign URL must never reach it.
func (h *Handler) ours(u *url.URL) bool {
	if u.Scheme != h.base.Scheme || u.User != nil || u.Opaque != "" || u.Fragment != "" || u.RawQuery != "" {
		return false
	}
	host, base := strings.ToLower(u.Host), strings.ToLower(h.base.Host)
	if host == base {
		return strings.HasPrefix(u.EscapedPath(), strings.TrimSuffix(h.base.EscapedPath(), "/")+"/")
	}
	name, rest, ok := strings.Cut(host, ".")
	return ok && rest == base && podLabel(name)
}

// podLabel: a DNS label of letters, digits and hyphens (a subdomain pod's
// name; it also goes into the page's CSP, so nothing else may pass).
func podLabel(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
