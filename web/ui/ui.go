// Package ui is the one style and layout of every page Naamio serves to
// people: the account pages under /.idp/ and the pod pages under /.web/
// and at the pods' own URLs. It holds
//
//   - the layout (templates/layout.html: header with the navigation, the
//     page's title, error and notice) that every page's "content"
//     template is rendered into (Parse, Set.Render);
//   - the static assets under /.web/static/ (style.css, naamio.js and
//     each page's own script), served with a content ETag and a long
//     cache for URLs that carry the content hash (Static, Asset);
//   - the strict Content-Security-Policy of every page (Policy): scripts
//     only from this origin's files (no inline script or style), no
//     framing, no base URI;
//   - the pages' own Solid-OIDC client (client.go) and AsUser, the
//     context for the in-process requests a page makes to the LDP handler
//     as the person whose session it is.
//
// The pages have no build step: naamio.js is a hand-written ES module
// (WebCrypto for DPoP, fetch/XMLHttpRequest for requests), because the
// published Solid browser clients need a bundler. Pages that only show
// data work without JavaScript; scripts only add writes, which go through
// naamio.js's solidFetch to the normal Solid API with a DPoP-bound token.
package ui

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/naamio/naamio/auth"
)

//go:embed templates
var layoutFS embed.FS

// NavLink is one link of the page header's navigation.
type NavLink struct {
	Text string
	URL  string
	// Current marks the link of the page being shown (aria-current).
	Current bool
}

// Page is what every template gets. Pages fill Title, WebID, Error,
// Notice and Data; Render fills Base, Nav (when nil) and the asset URLs.
type Page struct {
	Title string
	// WebID is the session's WebID ("" when nobody is logged in). The
	// header shows the navigation of a logged-in person, else log-in and
	// sign-up links.
	WebID string
	// Nav overrides the header's navigation (nil: DefaultNav).
	Nav []NavLink
	// Section names the nav link of this page ("pod", "profile",
	// "modules", "fediverse", "account") for aria-current.
	Section string
	Error   string
	Notice  string
	// Scripts are this page's own ES modules under /.web/static/ (file
	// names, e.g. "browse.js").
	Scripts []string
	// LoginNext is the path the header's "Log in" link returns to ("":
	// the current request's path and query on the base host; nothing on a
	// pod's own host, whose pages the session never reaches).
	LoginNext string
	// Policy adds sources to the page's Content-Security-Policy (Render
	// sets the header unless the handler set one; on a pod's own host it
	// adds the base origin, where the assets and the provider are).
	Policy Policy
	// HideLogin leaves the header's Log in and Sign up links out (the
	// log-in and sign-up pages themselves).
	HideLogin bool
	Data      any

	// The account pages' form state: the anti-CSRF token every form
	// carries, the session's token for the header's log-out button (empty:
	// the header links to the log-out page instead), the authorization
	// request being served and the page to go to after log-in.
	CSRF        string
	LogoutCSRF  string
	Interaction string
	Next        string

	// Base is the URL path of the server's base URL without its trailing
	// slash ("" at the root); set by Render.
	Base string
	// BaseURL is the server's public base URL with its trailing slash; set
	// by Render.
	BaseURL string
	// ClientID is the pages' own Solid-OIDC client (for naamio.js); set by
	// Render.
	ClientID string
	// PodHost: the page is served on a pod's own host (subdomain layout),
	// which serves nothing but the pod: Render adds the base origin (the
	// assets, the provider) to the CSP and gives the header's log-in link
	// no way back. Render sets it with the Set's OnPodHost.
	PodHost bool
	// Pod is the URL of the session's pod ("" when its WebID is not one of
	// this server's pods) and PodName its name; set by Render.
	Pod, PodName string
}

// Set is a layout and the pages rendered into it.
type Set struct {
	origin   string // scheme://host of the base URL
	base     string // base URL path without trailing slash
	baseURL  string // base URL with one trailing slash
	clientID string
	pages    map[string]*template.Template
	log      *slog.Logger
	podHost  func(*http.Request) bool
}

// OnPodHost tells Render how to recognise a request for a pod's own host
// (the pages at pod URLs, web/browse; the other pages live on the base
// host only).
func (s *Set) OnPodHost(f func(*http.Request) bool) { s.podHost = f }

// Parse builds the pages names (each the file "<dir>/<name>.html" of fsys,
// defining the template "content") into the layout, for the server whose
// public base URL is baseURL.
func Parse(baseURL string, log *slog.Logger, fsys fs.FS, dir string, names ...string) (*Set, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bu := strings.TrimSuffix(u.Scheme+"://"+u.Host+u.EscapedPath(), "/") + "/"
	s := &Set{origin: u.Scheme + "://" + u.Host, base: strings.TrimSuffix(u.EscapedPath(), "/"), baseURL: bu, clientID: ClientID(bu),
		pages: make(map[string]*template.Template, len(names)), log: log}
	layout, err := template.New("layout.html").Funcs(template.FuncMap{"asset": s.Asset}).ParseFS(layoutFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		t, err := template.Must(layout.Clone()).ParseFS(fsys, dir+"/"+name+".html")
		if err != nil {
			return nil, err
		}
		s.pages[name] = t
	}
	return s, nil
}

// Base is the URL path of the base URL without its trailing slash.
func (s *Set) Base() string { return s.base }

// BaseURL is the public base URL with one trailing slash.
func (s *Set) BaseURL() string { return s.baseURL }

// Asset is the URL of static file name with its content hash (long cache),
// absolute: a page on a pod's own host loads the assets from the base host.
func (s *Set) Asset(name string) string {
	return s.origin + s.base + StaticPath + name + assetVersion(name)
}

// Render writes page name with status and the pages' security headers
// (unless the caller set a Content-Security-Policy already). It renders
// into a buffer first, so that a template error becomes a clean 500.
func (s *Set) Render(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) {
	t, ok := s.pages[name]
	if !ok {
		s.log.ErrorContext(r.Context(), "render: unknown page", "page", name)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	p.Base, p.BaseURL, p.ClientID = s.base, s.baseURL, s.clientID
	if p.WebID != "" {
		p.Pod, p.PodName = PodOf(p.WebID)
	}
	p.PodHost = p.PodHost || (s.podHost != nil && s.podHost(r))
	if p.LoginNext == "" && !p.PodHost {
		p.LoginNext = r.URL.RequestURI()
	}
	if p.PodHost {
		p.Policy.Assets = append(p.Policy.Assets, s.origin)
		p.Policy.Connect = append(p.Policy.Connect, s.origin)
	}
	if p.Nav == nil {
		p.Nav = s.DefaultNav(p)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		s.log.ErrorContext(r.Context(), "render failed", "page", name, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	if hd.Get("Content-Security-Policy") == "" {
		SecurityHeaders(w, p.Policy)
	}
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// DefaultNav is the header's navigation for p: the logged-in person's
// pages (My pod, Profile, Modules, Fediverse, Account; Log out is a
// button or link of its own), or nothing for an anonymous visitor (the
// header then offers Log in and Sign up).
func (s *Set) DefaultNav(p *Page) []NavLink {
	if p.WebID == "" {
		return []NavLink{}
	}
	var nav []NavLink
	if p.Pod != "" {
		q := "?pod=" + url.QueryEscape(p.PodName)
		nav = append(nav,
			NavLink{Text: "My pod", URL: p.Pod, Current: p.Section == "pod"},
			NavLink{Text: "Profile", URL: s.base + "/.web/profile" + q, Current: p.Section == "profile"},
			NavLink{Text: "Modules", URL: s.base + "/.web/modules" + q, Current: p.Section == "modules"},
			NavLink{Text: "Fediverse", URL: s.base + "/.web/fediverse" + q, Current: p.Section == "fediverse"},
		)
	}
	return append(nav, NavLink{Text: "Account", URL: s.base + "/.idp/account", Current: p.Section == "account"})
}

// PodOf returns the pod URL and name of a WebID of this server's shape
// (<pod URL>profile/card#me; the name is the last path segment of the pod
// URL, or the first label of its host for a pod on its own subdomain), or
// "" when webID has another shape.
func PodOf(webID string) (podURL, name string) {
	const suffix = "profile/card#me"
	if !strings.HasSuffix(webID, suffix) {
		return "", ""
	}
	podURL = strings.TrimSuffix(webID, suffix)
	u, err := url.Parse(podURL)
	if err != nil || u.Host == "" || !strings.HasSuffix(u.Path, "/") {
		return "", ""
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		return podURL, p[strings.LastIndexByte(p, '/')+1:]
	}
	host, _, _ := strings.Cut(u.Hostname(), ".")
	return podURL, host
}

// AsUser returns ctx carrying webID as the request's agent, with the
// pages' client (ClientPath) as its client: an in-process request to the
// LDP handler with this context is decided by WAC exactly as one made by
// that person through the pages' own client. webID "" is anonymous.
func AsUser(ctx context.Context, webID string) context.Context {
	if webID == "" {
		return auth.WithAgent(ctx, auth.Agent{})
	}
	return auth.WithAgent(ctx, auth.Agent{WebID: webID, ClientID: ClientPath})
}
