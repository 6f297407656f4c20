package browse

import (
	"net/http"
	"strconv"

	"github.com/naamio/naamio/web/ui"
)

// The document page: the page of a resource that is not a container.
//
// SEAM for the "webdoc" work, which owns this file, every document*.go
// and templates/document*.html of this package and web/ui/static/document*.js:
// serveDocument gets the request and what the dispatcher learnt (res.Head
// is the LDP handler's 200 answer to HEAD for the session's WebID:
// Content-Type, Content-Length, ETag, Last-Modified, WAC-Allow, Link).
// Read the body with h.Fetch(r, res.WebID, http.MethodGet, accept, max)
// (bounded; in-process, WAC decides as that WebID), render with
// h.pages.Render(w, r, status, "document", &ui.Page{...}). Writes are
// made by the page's script through naamio.js (solidFetch), never here.
//
// Until then it shows the resource's type and size and a link to it.
func (h *Handler) serveDocument(w http.ResponseWriter, r *http.Request, res *Resource) {
	h.renderDocument(w, r, res)
}

type documentData struct {
	Crumbs []crumb
	Type   string
	Size   string
	URL    string
}

func (h *Handler) renderDocument(w http.ResponseWriter, r *http.Request, res *Resource) {
	d := &documentData{Crumbs: h.crumbs(r, res), Type: res.Head.Header.Get("Content-Type"), URL: res.URL}
	if n, err := strconv.ParseInt(res.Head.Header.Get("Content-Length"), 10, 64); err == nil {
		d.Size = humanSize(n)
	}
	h.pages.Render(w, r, http.StatusOK, "document", &ui.Page{Title: d.Crumbs[len(d.Crumbs)-1].Name,
		WebID: res.WebID, Section: h.section(res), Data: d})
}
