package browse

import (
	"net/http"
	"strconv"
	"strings"
)

// rdfTypes are the RDF media types the LDP handler serves (and text/n3
// and RDF/XML, which a client may list); a request that ranks any of them
// at least as high as text/html is a Solid client's.
var rdfTypes = []string{"text/turtle", "application/ld+json", "application/n-triples", "application/json",
	"text/n3", "application/rdf+xml", "application/trig", "application/n-quads"}

// RawParam is the query parameter of a navigation that wants the
// resource itself rather than its page (served by the LDP handler as to any
// other client: user files sandboxed, never active on this origin).
const RawParam = "raw"

// maxAccept bounds the Accept header read (outside input).
const maxAccept = 2048

// Wants reports whether r should get a page: a GET or HEAD without
// credentials of its own (no Authorization header), made by a browser as
// a top-level navigation (Sec-Fetch-Mode navigate with Sec-Fetch-Dest
// document, or no Fetch Metadata at all: an old browser, or a link opened
// from elsewhere) whose Accept ranks text/html strictly above every RDF
// type, and that does not ask for the resource itself (?raw). A script's fetch() or XMLHttpRequest (mode cors, same-origin or
// no-cors), an <img>, an <iframe> and every Solid client get the LDP
// handler's answer: a page rendered with the browser's cookie is only
// ever shown to the person navigating, never handed to a script.
func Wants(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	hd := r.Header
	if hd.Get("Authorization") != "" || hd.Get("DPoP") != "" {
		return false
	}
	// "?raw" asks for the resource itself (the LDP handler ignores the
	// query): the document page's "open" and "download" links.
	if r.URL.Query().Has(RawParam) {
		return false
	}
	mode, dest, site, user := hd.Get("Sec-Fetch-Mode"), hd.Get("Sec-Fetch-Dest"), hd.Get("Sec-Fetch-Site"), hd.Get("Sec-Fetch-User")
	switch {
	case mode == "" && dest == "" && site == "" && user == "":
	case mode == "navigate" && (dest == "document" || dest == ""):
	default:
		return false
	}
	return PrefersHTML(hd.Values("Accept"))
}

// PrefersHTML reports whether the Accept header values rank text/html
// strictly above every RDF type (RFC 9110 §12.5.1: the most specific range
// that matches a type gives its weight; absent, everything weighs 1).
func PrefersHTML(accept []string) bool {
	ranges := parseAccept(accept)
	if ranges == nil {
		return false // no Accept (or an unreadable one): the LDP handler's default
	}
	html := weight(ranges, "text/html")
	if html <= 0 {
		return false
	}
	for _, t := range rdfTypes {
		if weight(ranges, t) >= html {
			return false
		}
	}
	return true
}

type mediaRange struct {
	typ, sub string
	q        float64
}

// parseAccept reads Accept values; nil when absent, too long or unreadable.
func parseAccept(values []string) []mediaRange {
	v := strings.Join(values, ",")
	if strings.TrimSpace(v) == "" || len(v) > maxAccept {
		return nil
	}
	var out []mediaRange
	for _, part := range strings.Split(v, ",") {
		fields := strings.Split(part, ";")
		mt := strings.ToLower(strings.TrimSpace(fields[0]))
		if mt == "" {
			continue
		}
		typ, sub, ok := strings.Cut(mt, "/")
		if !ok || typ == "" || sub == "" || (typ == "*" && sub != "*") {
			return nil
		}
		q := 1.0
		for _, p := range fields[1:] {
			k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
				if err != nil || !(f >= 0 && f <= 1) { // also refuses NaN
					return nil
				}
				q = f
			}
		}
		out = append(out, mediaRange{typ: typ, sub: sub, q: q})
		if len(out) > 64 {
			return nil
		}
	}
	return out
}

// weight is the q of media type t under ranges: the most specific
// matching range decides (type/sub over type/* over */*); 0 if none.
func weight(ranges []mediaRange, t string) float64 {
	typ, sub, _ := strings.Cut(t, "/")
	best, spec := 0.0, -1
	for _, r := range ranges {
		s := -1
		switch {
		case r.typ == typ && r.sub == sub:
			s = 2
		case r.typ == typ && r.sub == "*":
			s = 1
		case r.typ == "*":
			s = 0
		}
		if s > spec || (s == spec && s >= 0 && r.q > best) {
			best, spec = r.q, s
		}
	}
	return best
}
