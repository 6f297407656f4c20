package accountapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/account"
)

// Options configure the account API.
type Options struct {
	// BaseURL is the server's public URL (absolute http(s)); the API is at
	// <BaseURL>.account/.
	BaseURL string
	// Accounts is the account system.
	Accounts *account.Service
	// Provision creates pods.
	Provision *idp.Provisioner
	// Logger receives server errors (5xx); default: discard.
	Logger *slog.Logger

	// PendingTTL is how long an account made by controls.account.create
	// waits for its email/password login (default 30 minutes).
	PendingTTL time.Duration
	// AliasTTL is how long the token of such an account keeps working
	// once the login was added (default 24 hours; see pending.go).
	AliasTTL time.Duration
	// MaxPending bounds the pending table (default 10,000 entries).
	MaxPending int
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
}

const (
	defaultPendingTTL = 30 * time.Minute
	defaultAliasTTL   = 24 * time.Hour
	defaultMaxPending = 10_000

	// cookieName is the Community Solid Server's account cookie.
	cookieName = "css-account"
	// tokenScheme is the Authorization scheme carrying an account token.
	tokenScheme = "CSS-Account-Token"
	// apiVersion is the version of the CSS account API this one follows.
	apiVersion = "0.5"
)

// handler serves the account API.
var _ http.Handler = (*handler)(nil)

type handler struct {
	base     string // public base URL, ending in "/"
	api      string // <base>.account/
	apiPath  string // the URL path of api
	origin   string // scheme://host of base, for the CSRF check
	secure   bool
	accounts *account.Service
	prov     *idp.Provisioner
	log      *slog.Logger
	pending  *pendingTable
	opts     Options
}

// New returns the handler of the account API. The server routes every
// path under <BaseURL path>.account/ to it, outside the pods' credentialed
// CORS middleware: the handler answers CORS itself (see cors).
func New(opts Options) (http.Handler, error) {
	if opts.Accounts == nil || opts.Provision == nil {
		return nil, errors.New("accountapi: Accounts and Provision are required")
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("accountapi: base URL %q is not an absolute http(s) URL", opts.BaseURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PendingTTL <= 0 {
		opts.PendingTTL = defaultPendingTTL
	}
	if opts.AliasTTL <= 0 {
		opts.AliasTTL = defaultAliasTTL
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = defaultMaxPending
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	base := u.String()
	return &handler{
		base:     base,
		api:      base + ".account/",
		apiPath:  u.Path + ".account/",
		origin:   u.Scheme + "://" + u.Host,
		secure:   u.Scheme == "https",
		accounts: opts.Accounts,
		prov:     opts.Provision,
		log:      opts.Logger,
		pending:  newPendingTable(opts.MaxPending, opts.Now),
		opts:     opts,
	}, nil
}

// reply is a success body: its fields plus the controls.
type reply map[string]any

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	h.cors(w, r)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, h.apiPath)
	if !ok || (rest != "" && !strings.HasSuffix(rest, "/")) {
		h.writeError(w, r, fail(http.StatusNotFound, "Not found."))
		return
	}
	var segs []string
	if rest != "" {
		segs = strings.Split(strings.TrimSuffix(rest, "/"), "/")
	}
	out, err := h.route(w, r, segs)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeJSON(w, r, http.StatusOK, out)
}

// cors lets browser apps on other origins use the API with the
// Authorization header, never with the cookie: "*" is not valid for
// credentialed requests, so a page elsewhere can neither read an answer
// made with the user's cookie nor get a preflight for a non-simple one.
func (h *handler) cors(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Origin") == "" {
		return
	}
	hd := w.Header()
	hd.Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		hd.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, DELETE, OPTIONS")
		hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept")
		hd.Set("Access-Control-Max-Age", "600")
	}
}

func (h *handler) writeJSON(w http.ResponseWriter, r *http.Request, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(append(b, '\n'))
	}
}

// writeError answers err in the Community Solid Server's error shape
// ({"name", "message", "statusCode", "errorCode", "details"}). A 5xx is
// logged in full and shown as its status text only.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := errorFor(err)
	if ae.status >= 500 {
		h.log.ErrorContext(r.Context(), "account API error", "method", r.Method, "path", r.URL.Path,
			"status", ae.status, "err", err)
	}
	if ae.allow != "" {
		w.Header().Set("Allow", ae.allow)
	}
	h.writeJSON(w, r, ae.status, map[string]any{
		"name":       errorName(ae.status),
		"message":    ae.message,
		"statusCode": ae.status,
		"errorCode":  fmt.Sprintf("H%d", ae.status),
		"details":    map[string]any{},
	})
}
