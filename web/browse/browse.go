package browse

import (
	"embed"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/naamio/naamio/web/ui"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageNames are this package's templates (templates/<name>.html).
var pageNames = []string{"container", "document", "error", "landing"}

// Options configure New. BaseURL, Session and LDP are required.
type Options struct {
	// BaseURL is the server's public base URL.
	BaseURL string
	// Session returns the WebID of the browser's logged-in session
	// ((*web.Handler).SessionWebID).
	Session func(*http.Request) (webID string, ok bool)
	// LDP is the LDP handler: every read a page makes is an in-process
	// request to it as the session's WebID.
	LDP    http.Handler
	Logger *slog.Logger
	// Registration tells the landing page whether sign-up is open
	// ("closed" hides the sign-up link).
	Registration string
}

// Handler serves the pages (ServeHTTP is for requests Wants accepted).
type Handler struct {
	base    string // base URL path, no trailing slash
	baseURL string // with one trailing slash
	origin  string // scheme://host of the base URL
	scheme  string
	session func(*http.Request) (string, bool)
	ldp     http.Handler
	log     *slog.Logger
	pages   *ui.Set
	signup  bool
}

// New returns the pages' handler.
func New(o Options) (*Handler, error) {
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("browse: Options.BaseURL must be an absolute http(s) URL")
	}
	if o.Session == nil || o.LDP == nil {
		return nil, errors.New("browse: Options.Session and Options.LDP are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	pages, err := ui.Parse(o.BaseURL, o.Logger, templateFS, "templates", pageNames...)
	if err != nil {
		return nil, err
	}
	h := &Handler{base: pages.Base(), baseURL: pages.BaseURL(), origin: u.Scheme + "://" + u.Host, scheme: u.Scheme,
		session: o.Session, ldp: o.LDP, log: o.Logger, pages: pages, signup: o.Registration != "closed"}
	pages.OnPodHost(func(r *http.Request) bool { return !h.isBaseHost(r) })
	return h, nil
}

// Resource is what the dispatcher learnt of the requested resource; the
// container and document pages start from it.
type Resource struct {
	// URL is the resource's absolute URL, Path its URL path (escaped).
	URL, Path string
	// WebID is the session's WebID ("" anonymous).
	WebID string
	// Head is the LDP handler's answer to HEAD for WebID (status 200).
	Head *Response
	// Container: the path ends with "/".
	Container bool
}

// Modes are the access modes WAC-Allow grants the user ("read",
// "write", "append", "control").
func (res *Resource) Modes() map[string]bool { return userModes(res.Head.Header.Get("WAC-Allow")) }

// ServeHTTP renders the page of the requested resource for the session.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var webID string
	if h.isBaseHost(r) {
		// The session cookie is the base host's (host-only). A pod on its
		// own host shows what is public: a cookie that reaches it anyway
		// (one a page set for the parent domain) is not trusted there.
		webID, _ = h.session(r)
	}
	res := &Resource{URL: h.resourceURL(r), Path: r.URL.EscapedPath(), WebID: webID,
		Container: strings.HasSuffix(r.URL.Path, "/")}
	w.Header().Add("Vary", "Accept, Sec-Fetch-Mode, Sec-Fetch-Dest, Cookie")
	res.Head = h.Fetch(r, webID, http.MethodHead, "", 0)
	switch st := res.Head.Status; {
	case st == http.StatusOK && res.Container:
		h.serveContainer(w, r, res)
	case st == http.StatusOK:
		h.serveDocument(w, r, res)
	default:
		h.serveStatus(w, r, res, st)
	}
}

// resourceURL is the absolute URL of r's resource: the base URL's scheme
// with the request's host (a pod on its own subdomain has its own host).
func (h *Handler) resourceURL(r *http.Request) string {
	return h.scheme + "://" + r.Host + r.URL.EscapedPath()
}

// Response is the captured answer of an in-process request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Truncated: the body was longer than the limit asked for.
	Truncated bool
}

// Fetch makes an in-process request for r's resource to the LDP handler
// as webID ("" anonymous: ui.AsUser), with only Accept set, and captures
// at most max bytes of the body. WAC decides exactly as for that person.
func (h *Handler) Fetch(r *http.Request, webID, method, accept string, max int64) *Response {
	return h.FetchPath(r, r.URL.Path, webID, method, accept, max)
}

// FetchPath is Fetch for another path on r's host (a parent container,
// an ACL).
func (h *Handler) FetchPath(r *http.Request, path, webID, method, accept string, max int64) *Response {
	q := r.Clone(ui.AsUser(r.Context(), webID))
	q.Method = method
	q.URL.Path, q.URL.RawPath, q.URL.RawQuery = path, "", ""
	q.RequestURI = q.URL.RequestURI()
	q.Header = http.Header{}
	if accept != "" {
		q.Header.Set("Accept", accept)
	}
	q.Body, q.ContentLength = http.NoBody, 0
	c := ui.Serve(h.ldp, q, max)
	return &Response{Status: c.Status, Header: c.Hdr, Body: c.Body.Bytes(), Truncated: c.Truncated}
}

// userModes reads the user="…" part of a WAC-Allow header.
func userModes(h string) map[string]bool {
	out := map[string]bool{}
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || strings.TrimSpace(k) != "user" {
			continue
		}
		for _, m := range strings.Fields(strings.Trim(strings.TrimSpace(v), `"`)) {
			out[m] = true
		}
	}
	return out
}
