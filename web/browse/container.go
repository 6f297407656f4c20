package browse

import (
	"bytes"
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/naamio/naamio/rdf"
	"github.com/naamio/naamio/web/ui"
)

// maxListing bounds the container representation a page reads (Turtle).
const maxListing = 32 << 20

const (
	nsLDP        = "http://www.w3.org/ns/ldp#"
	nsMediaTypes = "http://www.w3.org/ns/iana/media-types/"
)

var (
	ldpContains = rdf.NewIRI(nsLDP + "contains")
	rdfType     = rdf.NewIRI("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
	dcModified  = rdf.NewIRI("http://purl.org/dc/terms/modified")
	posixSize   = rdf.NewIRI("http://www.w3.org/ns/posix/stat#size")
)

// crumb is one step of the breadcrumbs.
type crumb struct {
	Name, URL string
	Current   bool
}

// item is one child of a container.
type item struct {
	Name, URL string
	Folder    bool
	Type      string // media type, or "Folder"
	Size      int64
	SizeText  string
	Modified  time.Time
	// System says what the pod uses this child for (a folder the server
	// made at the storage root); the page offers no rename for it and
	// warns before deleting it.
	System string
}

// systemFolders are what a new pod's root holds and what it is for.
var systemFolders = map[string]string{
	"profile":  "Your public profile: your WebID lives here.",
	"settings": "Your pod's private settings.",
	"inbox":    "Where others can leave you notifications.",
}

// sortLink is a column header's link: the column sorted one way or the
// other (aria-sort tells which way it is sorted now).
type sortLink struct {
	URL  string
	Sort string // "ascending", "descending" or "" (aria-sort)
}

type containerData struct {
	Crumbs []crumb
	Items  []item
	// Sorts are the column headers' links by column key.
	Sorts map[string]sortLink
	// Write: the user may add, rename and delete here (WAC write);
	// Append: may add (write or append).
	Write, Append bool
	// Self is the container's URL (the page's script writes below it).
	Self string
	// Share is the sharing page's URL when the person has Control.
	Share string
	// Paging: this page's place in the listing (PerPage children a page).
	Total, From, To int
	Prev, Next      string
}

// PerPage is how many children one page of a container lists.
const PerPage = 500

// columns the listing sorts by (the sort query parameter).
var columns = []string{"name", "type", "size", "modified"}

func (h *Handler) serveContainer(w http.ResponseWriter, r *http.Request, res *Resource) {
	got := h.Fetch(r, res.WebID, http.MethodGet, "text/turtle", maxListing)
	if got.Status != http.StatusOK || got.Truncated {
		h.serveStatus(w, r, res, cmp.Or(got.Status, http.StatusInternalServerError))
		return
	}
	g, err := rdf.Parse(bytes.NewReader(got.Body), rdf.MediaTurtle, res.URL, rdf.Limits{MaxTriples: 1 << 22})
	if err != nil {
		h.log.ErrorContext(r.Context(), "container listing unreadable", "path", r.URL.Path, "err", err)
		h.serveStatus(w, r, res, http.StatusInternalServerError)
		return
	}
	items := children(g, res.URL)
	if isStorage(res.Head.Header) {
		for i := range items {
			if items[i].Folder {
				items[i].System = systemFolders[items[i].Name]
			}
		}
	}
	key, desc := sortParams(r.URL.Query())
	sortItems(items, key, desc)
	modes := res.Modes()
	d := &containerData{Crumbs: h.crumbs(r, res), Sorts: sortLinks(r.URL.Path, key, desc),
		Write: modes["write"], Append: modes["write"] || modes["append"], Self: res.URL}
	if modes["control"] && res.WebID != "" {
		d.Share = ui.ShareURL(h.baseURL, res.URL)
	}
	d.page(items, r.URL.Path, r.URL.Query())
	title := "Folder " + d.Crumbs[len(d.Crumbs)-1].Name
	var scripts []string
	if d.Append {
		scripts = []string{"browse.js"}
	}
	h.pages.Render(w, r, http.StatusOK, "container", &ui.Page{Title: title, WebID: res.WebID, Section: h.section(res),
		Scripts: scripts, Data: d})
}

// section marks "My pod" in the header when the page is in the
// session's own pod.
func (h *Handler) section(res *Resource) string {
	if pod, _ := ui.PodOf(res.WebID); pod != "" && strings.HasPrefix(res.URL, pod) {
		return "pod"
	}
	return ""
}

// isStorage reports whether a HEAD answer's Link header types the
// resource as a storage root (pim:Storage).
func isStorage(h http.Header) bool {
	for _, v := range h.Values("Link") {
		if strings.Contains(v, "<http://www.w3.org/ns/pim/space#Storage>") {
			return true
		}
	}
	return false
}

// children lists the container's members with what the container states
// about them (Solid Protocol server-contained-resource-metadata).
func children(g *rdf.Graph, self string) []item {
	var out []item
	for _, t := range g.Match(rdf.NewIRI(self), ldpContains, rdf.Term{}) {
		if t.O.Kind != rdf.IRI || !strings.HasPrefix(t.O.Value, self) {
			continue
		}
		u := t.O.Value
		rel := strings.TrimPrefix(u, self)
		folder := strings.HasSuffix(rel, "/")
		name, err := url.PathUnescape(strings.TrimSuffix(rel, "/"))
		if err != nil {
			name = strings.TrimSuffix(rel, "/")
		}
		it := item{Name: name, URL: u, Folder: folder, Type: "Folder"}
		if !folder {
			it.Type = "File"
		}
		for _, ty := range g.Match(t.O, rdfType, rdf.Term{}) {
			if mt, ok := strings.CutPrefix(ty.O.Value, nsMediaTypes); ok {
				it.Type = strings.TrimSuffix(mt, "#Resource")
			}
		}
		for _, m := range g.Match(t.O, dcModified, rdf.Term{}) {
			if tm, err := time.Parse(time.RFC3339, m.O.Value); err == nil {
				it.Modified = tm.UTC()
			}
		}
		for _, s := range g.Match(t.O, posixSize, rdf.Term{}) {
			if n, err := strconv.ParseInt(s.O.Value, 10, 64); err == nil && !folder {
				it.Size = n
				it.SizeText = humanSize(n)
			}
		}
		out = append(out, it)
	}
	return out
}

// humanSize is n bytes in binary units, as people read them.
func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, i := float64(n), 0
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	for f /= unit; f >= unit && i < len(units)-1; i++ {
		f /= unit
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + units[i]
}

// sortParams reads ?sort=<column>&order=desc; unknown values mean by name,
// ascending.
func sortParams(q url.Values) (key string, desc bool) {
	key = q.Get("sort")
	if !slices.Contains(columns, key) {
		key = "name"
	}
	return key, q.Get("order") == "desc"
}

// sortItems sorts folders before files, then by key (ties by name).
func sortItems(items []item, key string, desc bool) {
	slices.SortStableFunc(items, func(a, b item) int {
		if a.Folder != b.Folder {
			if a.Folder {
				return -1
			}
			return 1
		}
		var c int
		switch key {
		case "type":
			c = strings.Compare(a.Type, b.Type)
		case "size":
			c = cmp.Compare(a.Size, b.Size)
		case "modified":
			c = a.Modified.Compare(b.Modified)
		}
		if c == 0 {
			c = cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.Name, b.Name))
		}
		if desc {
			return -c
		}
		return c
	})
}

// page keeps the children of the page asked for (?page=N, from 1) and
// links the pages before and after it (same sort).
func (d *containerData) page(items []item, p string, q url.Values) {
	n, err := strconv.Atoi(q.Get("page"))
	if err != nil || n < 1 {
		n = 1
	}
	last := max(1, (len(items)+PerPage-1)/PerPage)
	n = min(n, last)
	from, to := (n-1)*PerPage, min(n*PerPage, len(items))
	d.Items, d.Total, d.From, d.To = items[from:to], len(items), from+1, to
	link := func(page int) string {
		v := url.Values{"page": {strconv.Itoa(page)}}
		if k, desc := sortParams(q); k != "name" || desc {
			v.Set("sort", k)
			if desc {
				v.Set("order", "desc")
			}
		}
		return (&url.URL{Path: p, RawQuery: v.Encode()}).String()
	}
	if n > 1 {
		d.Prev = link(n - 1)
	}
	if n < last {
		d.Next = link(n + 1)
	}
}

func sortLinks(p, key string, desc bool) map[string]sortLink {
	out := make(map[string]sortLink, len(columns))
	for _, c := range columns {
		l := sortLink{}
		order := "asc"
		if c == key {
			l.Sort = "ascending"
			if desc {
				l.Sort = "descending"
			} else {
				order = "desc"
			}
		}
		q := url.Values{"sort": {c}, "order": {order}}
		l.URL = (&url.URL{Path: p, RawQuery: q.Encode()}).String()
		out[c] = l
	}
	return out
}

// crumbs are the containers from the pod's host root down to res.
func (h *Handler) crumbs(r *http.Request, res *Resource) []crumb {
	origin := h.scheme + "://" + r.Host
	p := r.URL.EscapedPath()
	out := []crumb{{Name: r.Host, URL: origin + "/"}}
	segs := strings.Split(strings.Trim(p, "/"), "/")
	acc := ""
	for i, s := range segs {
		if s == "" {
			continue
		}
		acc += "/" + s
		name, err := url.PathUnescape(s)
		if err != nil {
			name = s
		}
		u := origin + acc
		if i < len(segs)-1 || res.Container {
			u += "/"
		}
		out = append(out, crumb{Name: name, URL: u})
	}
	out[len(out)-1].Current = true
	return out
}
