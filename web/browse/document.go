package browse

import (
	"encoding/base64"
	"html/template"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/naamio/naamio/web/ui"
)

// The document page: the page of a resource that is not a container
// (issue 15 item 1). What it shows depends on the resource:
//
//   - an RDF source: its statements as a table (subject, predicate,
//     object; IRIs as links, well-known prefixes and this document's own
//     IRIs shortened) and its Turtle; a person with Write edits the Turtle
//     in a textarea, saved by document.js with solidFetch (PUT, If-Match),
//     and the server's 400 is shown on the line it concerns (the problem
//     document's line and column, ldp/problemjson.go);
//   - text (text/*, JSON, XML, JavaScript, HTML and SVG sources): the
//     first maxText bytes as text;
//   - an image, audio or video: previewed by the browser's own elements,
//     never as a document of this origin (see media.go);
//   - a PDF: no inline preview (a browser does not render a PDF in a
//     sandbox, and the server never serves user files unsandboxed on its
//     origin): it is opened or downloaded.
//
// Every file can be downloaded. Everything is rendered by the server for
// the session's WebID (in-process requests decided by WAC), so it works
// without JavaScript; document.js only adds saving, private media previews
// and private downloads, through solidFetch.

const (
	// maxRDFPage is the largest RDF document shown as a table and edited.
	maxRDFPage = 1 << 20
	// maxText is how much of a text file is shown.
	maxText = 256 << 10
	// maxStatements bounds the rows of the table of statements.
	maxStatements = 2000
)

type documentData struct {
	Crumbs []crumb
	// Name is the file name, URL the resource's URL.
	Name, URL string
	// Type is the media type without parameters, Size its size in words.
	Type, Size string
	// Kind is "rdf", "text", "image", "audio", "video", "pdf" or "file".
	Kind string
	// Public: anyone may read it, so the browser can load it by URL.
	Public bool
	// Write: the person may change it.
	Write bool
	// Share is the sharing page's URL when the person has Control.
	Share string

	// RDF: the table (at most maxStatements rows; More more), the Turtle,
	// the ETag the editor's PUT is conditional on. TooLarge: over
	// maxRDFPage, only downloadable.
	Statements []statement
	Count      int
	More       int
	Turtle     string
	ETag       string
	TooLarge   bool

	// Text: the start of a text file; Cut: there is more.
	Text string
	Cut  bool
	// Inline is a small private image as a data: URL (works without
	// JavaScript); a larger private medium is loaded by document.js.
	Inline template.URL
}

// serveDocument renders the page of the resource res.
func (h *Handler) serveDocument(w http.ResponseWriter, r *http.Request, res *Resource) {
	ct := res.Head.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = "application/octet-stream"
	}
	crumbs := h.crumbs(r, res)
	modes := res.Modes()
	d := &documentData{Crumbs: crumbs, Name: crumbs[len(crumbs)-1].Name, URL: res.URL, Type: mt,
		Kind: kindOf(mt), Write: modes["write"]}
	if modes["control"] && res.WebID != "" {
		d.Share = ui.ShareURL(h.baseURL, res.URL)
	}
	if n, err := strconv.ParseInt(res.Head.Header.Get("Content-Length"), 10, 64); err == nil {
		d.Size = humanSize(n)
	}
	// Public: an anonymous HEAD is answered 200 (WAC decides as nobody).
	d.Public = res.WebID == "" || h.Fetch(r, "", http.MethodHead, "", 0).Status == http.StatusOK
	switch d.Kind {
	case "rdf":
		if !h.loadRDF(r, res, d) {
			h.serveStatus(w, r, res, http.StatusInternalServerError)
			return
		}
	case "text":
		got := h.Fetch(r, res.WebID, http.MethodGet, "*/*", maxText)
		if got.Status == http.StatusOK {
			d.Text, d.Cut = strings.ToValidUTF8(string(got.Body), "\uFFFD"), got.Truncated
		}
	case "image":
		if !d.Public {
			d.Inline = h.inlineImage(r, res, mt)
		}
	}
	var scripts []string
	if res.WebID != "" && (d.Write && d.Kind == "rdf" && !d.TooLarge || !d.Public) {
		scripts = []string{"document.js"}
	}
	h.pages.Render(w, r, http.StatusOK, "document", &ui.Page{Title: d.Name, WebID: res.WebID,
		Section: h.section(res), Scripts: scripts, Data: d})
}

// kindOf sorts a media type into what the page can show.
func kindOf(mt string) string {
	switch {
	case mt == "text/turtle" || mt == "application/ld+json" || mt == "application/n-triples":
		return "rdf" // the RDF sources the LDP handler serves
	case previewImage[mt]:
		return "image"
	case strings.HasPrefix(mt, "audio/"):
		return "audio"
	case strings.HasPrefix(mt, "video/"):
		return "video"
	case mt == "application/pdf":
		return "pdf"
	case strings.HasPrefix(mt, "text/"), mt == "application/json", mt == "application/xml",
		mt == "application/javascript", strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return "text"
	}
	return "file"
}

// previewImage are the image types shown in an <img>. An <img> never runs
// a script, SVG's included.
var previewImage = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/avif": true,
	"image/svg+xml": true, "image/bmp": true, "image/x-icon": true, "image/vnd.microsoft.icon": true,
}

// maxInlineImage is the largest private image put into the page as a
// data: URL.
const maxInlineImage = 1 << 20

// inlineImage reads a private image as the person and returns it as a
// data: URL of its (allow-listed) image type, or "" when it is too large
// (document.js then loads it). The URL is built here from base64 only, so
// it cannot carry markup; that is why it may be a template.URL.
func (h *Handler) inlineImage(r *http.Request, res *Resource, mt string) template.URL {
	got := h.Fetch(r, res.WebID, http.MethodGet, mt, maxInlineImage)
	if got.Status != http.StatusOK || got.Truncated || !previewImage[mt] {
		return ""
	}
	return template.URL("data:" + mt + ";base64," + base64.StdEncoding.EncodeToString(got.Body))
}
