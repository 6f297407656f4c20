package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/op"
	"github.com/naamio/naamio/web/ui"
)

// Mailer sends password-reset links by email. It is the hook for SMTP:
// with no Mailer the reset page tells the user to ask an administrator.
type Mailer interface {
	SendPasswordReset(ctx context.Context, to, link string) error
}

// Options configure New. BaseURL, Accounts and Provision are required.
type Options struct {
	// BaseURL is the server's public URL (e.g. "https://pod.example/");
	// page links, the interaction URL and reset links are built from it,
	// never from the request's Host header. https makes cookies Secure.
	BaseURL   string
	Accounts  *account.Service
	Provision *idp.Provisioner
	// NewProvider builds the OpenID Provider whose log-in, consent, logout
	// and error pages these are: New calls it once with the Handler's
	// op.Interaction, op.Sessions and op.Options.ErrorPage (the provider
	// and the pages need each other, so the provider is made here). Nil:
	// no provider, and the pages that need one answer 503.
	NewProvider func(pages Pages) (*op.Provider, error)
	// Registration is the sign-up mode the account service was configured
	// with; it only decides what the sign-up page shows (account.Service
	// enforces it). "" means open.
	Registration account.Registration
	// Mailer sends reset links (nil: SMTP not configured).
	Mailer Mailer
	Logger *slog.Logger
	// InteractionTTL is how long a browser's claim on an authorization
	// request lasts (default op.DefaultInteractionTTL).
	InteractionTTL time.Duration
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Handler serves the pages under <base path>/.idp/. It is safe for
// concurrent use.
type Handler struct {
	origin  string // scheme://host of BaseURL
	baseURL string // BaseURL with one trailing slash
	prefix  string // URL path of the pages, e.g. "/.idp"
	secure  bool

	accounts     *account.Service
	provision    *idp.Provisioner
	provider     *op.Provider // nil: none (Options.NewProvider)
	registration account.Registration
	mailer       Mailer
	log          *slog.Logger
	claims       *claimTable
	claimTTL     time.Duration
	pages        *ui.Set
	firstParty   string // the pages' own client_id (ui.ClientID)
	mux          *http.ServeMux
	mails        sync.WaitGroup // reset emails being sent
}

var (
	_ op.Interaction = (*Handler)(nil)
	_ op.Sessions    = (*Handler)(nil)
	_ http.Handler   = (*Handler)(nil)
)

// PathPrefix is where the pages live, relative to the base URL.
const PathPrefix = "/.idp/"

// New returns the pages' handler.
func New(opts Options) (*Handler, error) {
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("web: Options.BaseURL must be an absolute http(s) URL")
	}
	if opts.Accounts == nil || opts.Provision == nil {
		return nil, errors.New("web: Options.Accounts and Options.Provision are required")
	}
	pages, err := ui.Parse(opts.BaseURL, opts.Logger, templateFS, "templates", pageNames...)
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.InteractionTTL <= 0 {
		opts.InteractionTTL = op.DefaultInteractionTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &Handler{
		origin:       u.Scheme + "://" + u.Host,
		baseURL:      strings.TrimSuffix(u.Scheme+"://"+u.Host+u.EscapedPath(), "/") + "/",
		prefix:       strings.TrimSuffix(u.EscapedPath(), "/") + strings.TrimSuffix(PathPrefix, "/"),
		secure:       u.Scheme == "https",
		accounts:     opts.Accounts,
		provision:    opts.Provision,
		registration: opts.Registration,
		mailer:       opts.Mailer,
		log:          opts.Logger,
		claims:       newClaimTable(maxClaims, opts.Now),
		claimTTL:     opts.InteractionTTL,
		pages:        pages,
		firstParty:   ui.ClientID(opts.BaseURL),
	}
	if opts.NewProvider != nil {
		if h.provider, err = opts.NewProvider(Pages{Interaction: h, Sessions: h, ErrorPage: h.ErrorPage}); err != nil {
			return nil, err
		}
	}
	h.mux = h.routes()
	return h, nil
}

// Pages are what the OpenID Provider needs of the pages: its
// op.Options.Interaction, Sessions and ErrorPage.
type Pages struct {
	Interaction op.Interaction
	Sessions    op.Sessions
	ErrorPage   func(w http.ResponseWriter, r *http.Request, status int, reason string)
}

// Provider is the OpenID Provider Options.NewProvider built (nil: none).
func (h *Handler) Provider() *op.Provider { return h.provider }

func (h *Handler) op() *op.Provider { return h.provider }

// Close waits for reset emails still being sent (each is bounded by a
// timeout). Call it after the HTTP server has shut down and before the
// store closes.
func (h *Handler) Close() { h.mails.Wait() }

// path is the URL path of page name ("login" → "/.idp/login").
func (h *Handler) path(name string) string { return h.prefix + "/" + name }

func (h *Handler) routes() *http.ServeMux {
	m := http.NewServeMux()
	p := h.prefix + "/"
	page := func(f http.HandlerFunc) http.HandlerFunc { return h.ownPagesOnly(false, f) }
	click := func(f http.HandlerFunc) http.HandlerFunc { return h.ownPagesOnly(true, f) }
	m.HandleFunc("GET "+p+"{$}", page(h.serveIndex))
	m.HandleFunc("GET "+p, page(h.serveNotFound))
	m.HandleFunc("GET "+p+"login", page(h.serveLogin))
	m.HandleFunc("POST "+p+"login", page(h.postLogin))
	m.HandleFunc("GET "+p+"signup", page(h.serveSignup))
	m.HandleFunc("POST "+p+"signup", page(h.postSignup))
	m.HandleFunc("GET "+p+"consent", page(h.serveConsent))
	m.HandleFunc("POST "+p+"consent", click(h.postConsent))
	m.HandleFunc("GET "+p+"account", page(h.serveAccount))
	m.HandleFunc("POST "+p+"account/{action...}", click(h.postAccount))
	m.HandleFunc("GET "+p+"logout", page(h.serveLogout))
	m.HandleFunc("POST "+p+"logout", page(h.postLogout))
	m.HandleFunc("GET "+p+"reset", page(h.serveReset))
	m.HandleFunc("POST "+p+"reset", page(h.postReset))
	return m
}

// ServeHTTP serves the pages; every answer carries the security headers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w, "")
	h.mux.ServeHTTP(w, r)
}

// serveNotFound is the page of an unknown address under /.idp/: no dead
// end (issue 15 item 0).
func (h *Handler) serveNotFound(w http.ResponseWriter, r *http.Request) {
	h.message(w, r, http.StatusNotFound, message{Title: "Nothing here",
		Text: "There is no page at this address.", Link: h.path("account"), LinkText: "Go to your account"})
}

func (h *Handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, h.path("account"), http.StatusSeeOther)
}
