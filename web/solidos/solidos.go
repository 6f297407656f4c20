// Package solidos serves the SolidOS data browser (mashlib) in place of
// Naamio's own pages, for servers started with --data-browser solidos
// (issue 15 item 4): a browser's HTML navigation to any pod resource —
// private ones too, so that SolidOS can offer its log-in — gets one small,
// constant shell page that loads mashlib from the operator's mashlib URL.
// Everything else (RDF clients, mashlib's own fetches, iframes) reaches
// the pod unchanged.
//
// The shell holds no pod data, so it is the same for everyone and reveals
// nothing about the resource. Its Content-Security-Policy lets exactly
// mashlib's folder and the shell's own boot script run: never a script
// from this server's origin, where pod files live (SECURITY row 58), so a
// stored page or script can never run in the shell even if mashlib were
// made to load it.
package solidos

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// boot starts the data browser once mashlib (a deferred script, so it
// runs before DOMContentLoaded) has defined panes. It is an inline script
// allowed by its hash. It also keeps the layout's header height in a CSS
// variable, as mashlib's own databrowser.html does (setProperty on the
// CSSOM is not an inline style as far as CSP is concerned).
const boot = `document.addEventListener("DOMContentLoaded", function () {
  panes.runDataBrowser();
  var header = document.getElementById("mainSolidUiHeader");
  if (!header) return;
  var sync = function () {
    var h = header.getBoundingClientRect().height;
    if (h > 0) {
      var rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
      document.documentElement.style.setProperty("--app-header-height", (h / rem) + "rem");
    }
  };
  sync();
  if ("ResizeObserver" in window) new ResizeObserver(sync).observe(header);
  else window.addEventListener("resize", sync);
});`

// shell is mashlib's databrowser.html, with the scripts and styles taken
// from the mashlib folder and the boot script above.
var shell = template.Must(template.New("shell").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<title>SolidOS</title>
<script>{{.Boot}}</script>
<script defer src="{{.Script}}"></script>
<link href="{{.Style}}" rel="stylesheet">
</head><body id="PageBody" data-app-shell="databrowser">
<a href="#MainContent" class="skip-link">Skip to main content</a>
<solid-ui-header id="mainSolidUiHeader" theme="" layout="" brand-link="/"><span slot="title"></span></solid-ui-header>
<div class="app-main" tabindex="-1" aria-live="polite"><div class="app-shell">
<aside id="NavMenu" class="app-nav" aria-label="Application menu" hidden><div id="NavMenuContent" class="menu-content"></div></aside>
<main id="MainContent" class="app-view"><table id="OutlineView" class="outline-view" aria-label="Resource browser"></table>
<section id="GlobalDashboard" class="global-dashboard" aria-label="Dashboard" hidden></section></main>
</div><div id="MenuOverlay" class="menu-overlay" hidden aria-hidden="true"></div></div>
<footer id="PageFooter" role="contentinfo"></footer>
<noscript><p>SolidOS is a JavaScript application. Clients that do not run scripts can read this resource as RDF (ask for text/turtle).</p></noscript>
</body></html>
`))

// Shell serves the SolidOS shell page in front of the pod handler.
type Shell struct {
	page []byte
	csp  string
}

// New builds the shell for mashlib's dist/ folder at mashlibURL (an
// absolute http(s) URL ending in "/", checked by the server's config), for
// the server whose base URL is baseURL (its origin is the identity
// provider's, which a pod on a host of its own reaches cross-origin).
func New(mashlibURL, baseURL string) (*Shell, error) {
	m, err := url.Parse(mashlibURL)
	if err != nil || (m.Scheme != "http" && m.Scheme != "https") || m.Host == "" || !strings.HasSuffix(m.Path, "/") ||
		m.RawQuery != "" || m.Fragment != "" || m.User != nil || strings.ContainsAny(mashlibURL, "'\"; ,*<>") {
		return nil, errors.New("solidos: mashlib URL must be an absolute http(s) folder URL")
	}
	b, err := url.Parse(baseURL)
	if err != nil || (b.Scheme != "http" && b.Scheme != "https") || b.Host == "" || strings.ContainsAny(b.Host, "'\"; ,*<>") {
		return nil, errors.New("solidos: base URL must be an absolute http(s) URL")
	}
	script, _ := m.Parse("mashlib.min.js")
	style, _ := m.Parse("mash.css")
	var buf bytes.Buffer
	err = shell.Execute(&buf, struct {
		Boot          template.JS
		Script, Style string
	}{template.JS(boot), script.String(), style.String()})
	if err != nil {
		return nil, err
	}
	return &Shell{page: buf.Bytes(), csp: policy(mashlibURL, b.Scheme+"://"+b.Host)}, nil
}

// policy is the shell's Content-Security-Policy. What mashlib needs, and
// no more:
//   - script-src: the mashlib folder and the boot script's hash; never
//     'self' (pod files live on this origin) and no 'unsafe-eval'. Mashlib
//     loads its JSON-LD parser chunk from "/841.mashlib.min.js" on the
//     page's origin (webpack's publicPath is "/"): that load is refused,
//     so SolidOS cannot parse JSON-LD here; pods serve Turtle to it.
//   - style-src: the mashlib folder and 'unsafe-inline', because solid-ui
//     sets style attributes on nearly every element it makes. Styles
//     cannot run code.
//   - connect-src: this origin (the pod, the solid-0.1 socket: CSP
//     Level 3 'self' covers ws: and wss: of the same host), the server's
//     base origin (the provider, when a pod has a host of its own; the
//     socket is on the base host too) and https: (other people's
//     profiles and pods, their identity providers: SolidOS is a browser
//     of the whole web of data).
//   - img-src and media-src: this origin, data:, blob: and https:
//     (photos in profiles anywhere; solid-ui's icons are on
//     solidos.github.io), font-src the mashlib folder and data:.
//   - frame-src: this origin only (SolidOS shows a stored HTML page in an
//     iframe; the pod serves it with its own sandbox CSP).
//   - no objects, no base URL, forms only to this origin, never framed.
func policy(mashlib, base string) string {
	ws := "ws" + strings.TrimPrefix(base, "http") // ws://host or wss://host
	return "default-src 'none'; script-src " + mashlib + " " + scriptHash() +
		"; style-src " + mashlib + " 'unsafe-inline'; connect-src 'self' " + base + " " + ws + " https:" +
		"; img-src 'self' data: blob: https: " + mashlib + "; media-src 'self' blob: https:; font-src " + mashlib + " data:" +
		"; frame-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

func scriptHash() string {
	sum := sha256.Sum256([]byte(boot))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// Wrap answers a page request (wants: a browser's navigation that prefers
// HTML over RDF, browse.Wants, the same test that gives Naamio's own pages)
// for any pod resource with the shell, and passes every other request to
// pod. Paths under "/." are the server's own (ldp.Locator.reserved), never
// pod resources: they pass through.
func (s *Shell) Wrap(pod http.Handler, wants func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !wants(r) || strings.HasPrefix(r.URL.Path, "/.") {
			pod.ServeHTTP(w, r)
			return
		}
		s.ServeHTTP(w, r)
	})
}

// ServeHTTP writes the shell.
func (s *Shell) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(len(s.page)))
	hd.Set("Content-Security-Policy", s.csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	// The same URL answers RDF to other requests: no shared cache may
	// keep the shell for them.
	hd.Set("Cache-Control", "no-store")
	hd.Add("Vary", "Accept, Sec-Fetch-Mode, Sec-Fetch-Dest")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(s.page)
	}
}
