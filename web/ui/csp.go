package ui

import (
	"net/http"
	"strings"
)

// Policy adds sources to the pages' Content-Security-Policy. Every page
// gets at least: nothing by default; scripts, styles, images, media,
// fetches and forms only from this origin ('self'); no inline script or
// style (no 'unsafe-inline', no nonces: pages carry no inline code at
// all); no framing (frame-ancestors 'none'); no <base>. Extra sources
// must be plain CSP source expressions the caller built itself (an origin
// or a scheme), never user text.
type Policy struct {
	// FormAction adds sources to form-action: an app's redirect origin on
	// the sign-in pages, whose form may be answered with a 303 to the app
	// (some browsers check form-action on that redirect).
	FormAction []string
	// Connect adds sources to connect-src (e.g. a subdomain pod's origin
	// that a page's script writes to).
	Connect []string
	// Media adds sources to img-src and media-src (previews of resources
	// on another origin of this server).
	Media []string
	// Frame adds sources to frame-src (a sandboxed preview of a resource).
	Frame []string
	// Assets adds sources to script-src, style-src and img-src: the base
	// origin, for a page on a pod's own host (set by Set.Render).
	Assets []string
}

func list(self string, extra []string) string {
	if len(extra) == 0 {
		return self
	}
	return self + " " + strings.Join(extra, " ")
}

// String is the header value.
func (p Policy) String() string {
	media := list(list("'self' data: blob:", p.Assets), p.Media)
	frame := "'none'"
	if len(p.Frame) > 0 {
		frame = strings.Join(p.Frame, " ")
	}
	self := list("'self'", p.Assets)
	return "default-src 'none'; script-src " + self + "; style-src " + self + "; img-src " + media +
		"; media-src " + media + "; connect-src " + list("'self'", p.Connect) +
		"; frame-src " + frame + "; form-action " + list("'self'", p.FormAction) +
		"; frame-ancestors 'none'; base-uri 'none'"
}

// SecurityHeaders sets the headers of every page: the policy, no framing
// (also for browsers without CSP 2), no referrer (page URLs name private
// resources), no MIME sniffing and no caching (pages show private data).
func SecurityHeaders(w http.ResponseWriter, p Policy) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", p.String())
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
}
