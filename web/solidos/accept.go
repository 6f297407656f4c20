package solidos

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// rdfTypes are the RDF media types a Solid client may ask for; a page is
// served only when HTML is preferred over every one of them.
var rdfTypes = []string{
	"text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml",
	"text/n3", "application/trig", "application/n-quads",
}

// maxAcceptRanges bounds the media ranges of an Accept header looked at.
const maxAcceptRanges = 64

// prefersHTML reports whether an Accept header gives text/html a higher
// quality than every RDF type (RFC 9110 §12.5.1: the most specific range
// that matches a type gives its q). Equal qualities (say "*/*") are not a
// preference: Solid clients keep getting RDF. An empty or unparsable
// header prefers nothing.
func prefersHTML(accept string) bool {
	ranges := parseAccept(accept)
	if ranges == nil {
		return false
	}
	html := quality(ranges, "text/html")
	if html <= 0 {
		return false
	}
	for _, t := range rdfTypes {
		if quality(ranges, t) >= html {
			return false
		}
	}
	return true
}

type mediaRange struct {
	typ, sub string
	q        float64
}

func parseAccept(accept string) []mediaRange {
	parts := strings.Split(accept, ",")
	if len(parts) > maxAcceptRanges {
		return nil
	}
	var out []mediaRange
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(p)
		if err != nil {
			return nil
		}
		typ, sub, ok := strings.Cut(mt, "/")
		if !ok || typ == "" || sub == "" || (typ == "*" && sub != "*") {
			return nil
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				return nil
			}
			q = f
		}
		out = append(out, mediaRange{typ, sub, q})
	}
	return out
}

// quality is the q the most specific matching range gives mediaType (0 if
// none matches).
func quality(ranges []mediaRange, mediaType string) float64 {
	typ, sub, _ := strings.Cut(mediaType, "/")
	best, spec := 0.0, -1
	for _, r := range ranges {
		s := -1
		switch {
		case r.typ == typ && r.sub == sub:
			s = 2
		case r.typ == typ && r.sub == "*":
			s = 1
		case r.typ == "*" && r.sub == "*":
			s = 0
		}
		if s > spec {
			best, spec = r.q, s
		}
	}
	return best
}

// isNavigation reports whether r is a browser's top-level navigation: Fetch
// Metadata says mode navigate and destination document, or there is none
// at all (a browser too old to send it, or a person's curl). A script's
// fetch() (mode cors or same-origin) and an iframe's or object's load
// (destination iframe, object, embed) are not: they get the resource
// itself, so a page embedding a pod file sees its bytes, sandboxed.
func isNavigation(r *http.Request) bool {
	mode, dest := r.Header.Get("Sec-Fetch-Mode"), r.Header.Get("Sec-Fetch-Dest")
	if mode == "" && dest == "" && r.Header.Get("Sec-Fetch-Site") == "" {
		return true
	}
	return mode == "navigate" && (dest == "document" || dest == "")
}

// wantsPage reports whether r is asking for an HTML page rather than the
// resource's own representation: a GET or HEAD navigation whose Accept
// prefers text/html over every RDF type (issue 15, "URLs").
func wantsPage(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && isNavigation(r) && prefersHTML(r.Header.Get("Accept"))
}
