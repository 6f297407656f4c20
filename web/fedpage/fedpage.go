package fedpage

import (
	"embed"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/naamio/naamio/federation"
	"github.com/naamio/naamio/web/ui"
)

//go:embed templates/*.html
var templateFS embed.FS

// Where the page and its API live, under the base URL's path.
const (
	PagePath  = "/.web/fediverse"
	APIPrefix = "/.web/api/fediverse/"
)

// Page sizes.
const (
	timelinePage = 20
	listSize     = 50 // followers, following, requests, posts shown
)

// Options configure New; all but Logger are required.
type Options struct {
	BaseURL string
	// Session returns the WebID of the browser's logged-in session.
	Session func(*http.Request) (webID string, ok bool)
	// LDP is the LDP handler: the access decisions are in-process
	// requests to it as the session's WebID.
	LDP    http.Handler
	Fed    *federation.Service
	Logger *slog.Logger
}

// Handler serves the page (ServeHTTP) and its JSON API (API).
type Handler struct {
	session func(*http.Request) (string, bool)
	ldp     http.Handler
	fed     *federation.Service
	log     *slog.Logger
	pages   *ui.Set
	scheme  string
}

// New returns the page's handler.
func New(o Options) (*Handler, error) {
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("fedpage: Options.BaseURL must be an absolute http(s) URL")
	}
	if o.Session == nil || o.LDP == nil || o.Fed == nil {
		return nil, errors.New("fedpage: Options.Session, LDP and Fed are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	pages, err := ui.Parse(o.BaseURL, o.Logger, templateFS, "templates", "fediverse", "status")
	if err != nil {
		return nil, err
	}
	return &Handler{session: o.Session, ldp: o.LDP, fed: o.Fed, log: o.Logger, pages: pages, scheme: u.Scheme}, nil
}

// notices are the fixed messages the script asks for after a write
// (?done=<key>): never text from the URL itself.
var notices = map[string]string{
	"posted":     "Your post was published.",
	"deleted":    "Your post was deleted.",
	"followed":   "Follow request sent.",
	"unfollowed": "You no longer follow them.",
	"accepted":   "Follow request approved.",
	"rejected":   "Follow request rejected.",
	"liked":      "Liked.",
	"boosted":    "Boosted.",
	"saved":      "Settings saved.",
}

// statusData is the content of the page's error answers.
type statusData struct {
	Text  string
	Login string
	Links []ui.NavLink
}

// ServeHTTP renders the Fediverse page of ?pod= for the session.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	webID, _ := h.session(r)
	q := r.URL.Query()
	pod := q.Get("pod")
	if pod == "" {
		_, pod = ui.PodOf(webID)
	}
	if webID == "" {
		h.status(w, r, "", http.StatusUnauthorized, "Log in to see the Fediverse page of your pod.")
		return
	}
	owner, ok := h.fed.OwnerWebID(pod)
	if !ok || len(pod) > 63 {
		h.status(w, r, webID, http.StatusNotFound, "There is no pod of that name on this server.")
		return
	}
	paths := h.fed.Paths()
	canInbox := h.mayRead(r, webID, paths.Inbox(pod))
	if !canInbox && webID != owner {
		h.status(w, r, webID, http.StatusForbidden, "You are logged in as "+webID+"; this is the Fediverse page of another person's pod.")
		return
	}
	n, err := strconv.Atoi(q.Get("page"))
	if err != nil || n < 1 || n > 100000 {
		n = 1
	}
	d, err := h.data(r, pod, webID == owner, canInbox, h.mayRead(r, webID, paths.PodRoot(pod)+"outbox/"), n)
	if err != nil {
		h.log.ErrorContext(r.Context(), "fediverse page", "pod", pod, "err", err)
		h.status(w, r, webID, http.StatusInternalServerError, "The page could not be shown. Try again later.")
		return
	}
	page := &ui.Page{Title: "Fediverse", WebID: webID, Section: "fediverse", Data: d, Notice: notices[q.Get("done")]}
	if d.Owner {
		page.Scripts = []string{"fediverse.js"}
	}
	h.pages.Render(w, r, http.StatusOK, "fediverse", page)
}

// status renders an error answer that links somewhere useful.
func (h *Handler) status(w http.ResponseWriter, r *http.Request, webID string, code int, text string) {
	d := &statusData{Text: text}
	if webID == "" {
		d.Login = h.pages.Base() + "/.idp/login?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	if pod, name := ui.PodOf(webID); pod != "" {
		d.Links = append(d.Links, ui.NavLink{Text: "Your Fediverse page", URL: h.pages.Base() + PagePath + "?pod=" + url.QueryEscape(name)},
			ui.NavLink{Text: "Go to your pod", URL: pod})
	}
	d.Links = append(d.Links, ui.NavLink{Text: "Go to the start page", URL: h.pages.BaseURL()})
	title := map[int]string{http.StatusUnauthorized: "Log in to see this page", http.StatusForbidden: "This is not your page",
		http.StatusNotFound: "No such pod"}[code]
	if title == "" {
		title = "Something went wrong"
	}
	h.pages.Render(w, r, code, "status", &ui.Page{Title: title, WebID: webID, Section: "fediverse", Data: d})
}

// mayRead asks the LDP handler, in-process and as webID, whether it may
// read the resource iri (a HEAD: 200 yes, anything else no).
func (h *Handler) mayRead(r *http.Request, webID, iri string) bool {
	u, err := url.Parse(iri)
	if err != nil {
		return false
	}
	q := r.Clone(ui.AsUser(r.Context(), webID))
	q.Method = http.MethodHead
	q.URL = &url.URL{Path: u.Path, RawPath: u.RawPath}
	q.Host = u.Host
	q.RequestURI = q.URL.RequestURI()
	q.Header = http.Header{"Accept": {"text/turtle"}}
	q.Body, q.ContentLength = http.NoBody, 0
	return ui.Serve(h.ldp, q, 0).Status == http.StatusOK
}

// since formats a time for the page ("" for none).
func since(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// label is a short text for an actor IRI: the last path segment and the
// host ("carl@peer.example"), or the IRI when it has no path.
func label(iri string) string {
	u, err := url.Parse(iri)
	if err != nil || u.Host == "" {
		return iri
	}
	p := strings.Trim(u.EscapedPath(), "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[i+1:]
	}
	p = strings.TrimPrefix(p, "@")
	if p == "" {
		return u.Host
	}
	if s, err := url.PathUnescape(p); err == nil {
		p = s
	}
	return federation.PlainName(p + "@" + u.Host)
}

// safeLink is iri when it is an absolute http(s) URL, else "" (a link
// from a remote document is shown only then).
func safeLink(iri string) string {
	u, err := url.Parse(iri)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return ""
	}
	return iri
}
