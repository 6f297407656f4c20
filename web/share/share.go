package share

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/naamio/naamio/rdf"
	"github.com/naamio/naamio/web/ui"
)

// maxResourceURL bounds the resource parameter.
const maxResourceURL = 2048

// shareData is the sharing page's data.
type shareData struct {
	Resource  string
	Name      string
	Container bool
	ACL       string
	// Inherited: the resource has no ACL of its own; From is the
	// ancestor whose acl:default rules apply ("" with Hidden: one the
	// person may not see).
	Inherited bool
	From      string
	Hidden    bool
	Rows      []row
	Fixed     []Fixed
	// Refused is why the ACL cannot be edited here (terms the page does
	// not know); Turtle is then the document as it is.
	Refused string
	Turtle  string
	// Editor is the script's model (JSON, in a data attribute).
	Editor string
	Modes  []string // the table's mode columns
}

// row is one Entry as the table shows it.
type row struct {
	Entry
	Who     string
	Link    string // the WebID or group, when it is a web address
	You     bool
	Owner   bool
	Scope   string
	Has     map[string]bool
	Locked  bool // the owner's or the editor's Control: the page will not remove it
	Index   int
	Removal string
}

// editorModel is what share.js edits and writes back.
type editorModel struct {
	Resource  string  `json:"resource"`
	ACL       string  `json:"acl"`
	ETag      string  `json:"etag,omitempty"`
	Container bool    `json:"container"`
	Inherited bool    `json:"inherited"`
	Owner     string  `json:"owner,omitempty"`
	Editor    string  `json:"editor"`
	Entries   []Entry `json:"entries"`
	Keep      string  `json:"keep"`
	Resolve   string  `json:"resolve"`
}

// ServeShare serves GET /.web/share?resource=<url>.
func (h *Handler) ServeShare(w http.ResponseWriter, r *http.Request) {
	webID, ok := h.session(w, r)
	if !ok {
		return
	}
	raw := r.URL.Query().Get("resource")
	u, err := url.Parse(raw)
	if raw == "" || len(raw) > maxResourceURL || err != nil || !h.ours(u) {
		h.fail(w, r, http.StatusBadRequest, webID, "Not a resource of this server",
			"The sharing page needs the address of a file or folder in a pod on this server.")
		return
	}
	target := u.String()
	if !strings.EqualFold(u.Host, h.base.Host) {
		// A subdomain pod: the script writes its ACL on that origin.
		ui.SecurityHeaders(w, ui.Policy{Connect: []string{u.Scheme + "://" + u.Host}})
	}
	d, status, err := h.shareData(r.Context(), webID, target)
	if err != nil {
		h.log.ErrorContext(r.Context(), "sharing page", "err", err)
		h.fail(w, r, http.StatusInternalServerError, webID, "Something went wrong", "The sharing settings could not be read. Try again later.")
		return
	}
	switch status {
	case http.StatusOK:
	case http.StatusNotFound:
		h.fail(w, r, status, webID, "Not found", "There is nothing at this address, or you may not see it.")
		return
	default:
		h.fail(w, r, http.StatusForbidden, webID, "You cannot see who this is shared with",
			"Only someone with Control of this resource can see and change its sharing. Ask its owner.")
		return
	}
	h.pages.Render(w, r, http.StatusOK, "share", &ui.Page{Title: "Sharing " + d.Name, WebID: webID, Section: "pod",
		Scripts: []string{"share.js"}, Data: d})
}

// shareData reads the resource's effective ACL as webID. The status is
// 200, 404 (no such resource, or none the person may know of) or 403 (no
// Control).
func (h *Handler) shareData(ctx context.Context, webID, target string) (*shareData, int, error) {
	head, err := h.asUser(ctx, webID, http.MethodHead, target, "")
	if err != nil {
		return nil, 0, err
	}
	if head.Status == http.StatusNotFound {
		return nil, http.StatusNotFound, nil
	}
	control := strings.Contains(userModes(head.Hdr.Get("WAC-Allow")), "control")
	aclURL := linkRel(head.Hdr, "acl", target)
	if aclURL == "" {
		aclURL = target + ".acl"
	}
	own, err := h.asUser(ctx, webID, http.MethodGet, aclURL, "text/turtle")
	if err != nil {
		return nil, 0, err
	}
	switch {
	case own.Status == http.StatusOK:
	case own.Status == http.StatusNotFound && control:
	default:
		return nil, http.StatusForbidden, nil
	}
	container := strings.HasSuffix(target, "/")
	d := &shareData{Resource: target, Name: displayName(target), Container: container, ACL: aclURL, Modes: modeNames}
	ed := editorModel{Resource: target, ACL: aclURL, Container: container, Editor: webID, Entries: []Entry{},
		Resolve: h.pages.Base() + ResolvePath}
	if owner, ok := h.ownerOf(target); ok {
		ed.Owner = owner
	}
	var m *model
	if own.Status == http.StatusOK {
		ed.ETag = own.Hdr.Get("ETag")
		m, err = h.modelOf(own, aclURL, target, container, "")
		d.Turtle = own.Body.String()
	} else {
		d.Inherited, ed.Inherited = true, true
		m, err = h.inherited(ctx, webID, target, container, d)
	}
	if errors.Is(err, errUnsupported) {
		d.Refused = err.Error()
		return d, http.StatusOK, nil
	}
	if err != nil {
		return nil, 0, err
	}
	if m == nil { // inherited from an ACL the person may not read
		return d, http.StatusOK, nil
	}
	ed.Entries, ed.Keep = append(ed.Entries, m.Entries...), m.Keep
	d.Fixed = m.Fixed
	d.Rows = rows(m.Entries, webID, ed.Owner, container)
	b, err := json.Marshal(ed)
	if err != nil {
		return nil, 0, err
	}
	d.Editor = string(b)
	return d, http.StatusOK, nil
}

func (h *Handler) ownerOf(target string) (string, bool) {
	if h.opts.Owner == nil {
		return "", false
	}
	return h.opts.Owner(target)
}

// modelOf parses an ACL response and reads its model.
func (h *Handler) modelOf(rec *recorder, aclURL, target string, container bool, from string) (*model, error) {
	if rec.Truncated {
		return nil, errors.Join(errUnsupported, errors.New("the ACL is larger than the page reads"))
	}
	g, err := rdf.Parse(bytes.NewReader(rec.Body.Bytes()), rdf.MediaTurtle, aclURL, rdf.Limits{})
	if err != nil {
		return nil, errors.Join(errUnsupported, err)
	}
	return readModel(g, aclURL, target, container, from)
}

// inherited walks up from target to the nearest ancestor with an ACL
// (WAC §"ACL Inheritance Algorithm") and reads its acl:default rules. An
// ancestor ACL the person may not read leaves the model nil (d.Hidden).
func (h *Handler) inherited(ctx context.Context, webID, target string, container bool, d *shareData) (*model, error) {
	for anc := parentOf(target); anc != ""; anc = parentOf(anc) {
		head, err := h.asUser(ctx, webID, http.MethodHead, anc, "")
		if err != nil {
			return nil, err
		}
		aclURL := linkRel(head.Hdr, "acl", anc)
		if aclURL == "" {
			aclURL = anc + ".acl"
		}
		rec, err := h.asUser(ctx, webID, http.MethodGet, aclURL, "text/turtle")
		if err != nil {
			return nil, err
		}
		switch rec.Status {
		case http.StatusOK:
			d.From = anc
			return h.modelOf(rec, aclURL, target, container, anc)
		case http.StatusNotFound:
			continue
		default:
			d.Hidden = true
			return nil, nil
		}
	}
	d.Hidden = true
	return nil, nil
}

// parentOf is the container holding u ("" at the root of its origin).
func parentOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	path := strings.TrimSuffix(p.EscapedPath(), "/")
	i := strings.LastIndexByte(path, '/')
	if i < 0 || path == "" {
		return ""
	}
	p.RawPath, p.Path = "", ""
	parent, err := url.Parse(p.Scheme + "://" + p.Host + path[:i+1])
	if err != nil {
		return ""
	}
	return parent.String()
}

// displayName is the last segment of u, or its host at a root.
func displayName(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	path := strings.TrimSuffix(p.Path, "/")
	if i := strings.LastIndexByte(path, '/'); i >= 0 && path[i+1:] != "" {
		name := path[i+1:]
		if strings.HasSuffix(p.Path, "/") {
			name += "/"
		}
		return name
	}
	return p.Host + "/"
}

// userModes is the user="…" part of a WAC-Allow header.
func userModes(h string) string {
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.TrimSpace(k) == "user" {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}

// linkRel is the target of the first Link with rel, resolved against base.
func linkRel(hd http.Header, rel, base string) string {
	for _, v := range hd.Values("Link") {
		for _, l := range strings.Split(v, ",") {
			l = strings.TrimSpace(l)
			if !strings.HasPrefix(l, "<") {
				continue
			}
			end := strings.IndexByte(l, '>')
			if end < 0 {
				continue
			}
			if !strings.Contains(l[end:], `rel="`+rel+`"`) {
				continue
			}
			b, err := url.Parse(base)
			if err != nil {
				return ""
			}
			ref, err := url.Parse(l[1:end])
			if err != nil {
				return ""
			}
			return b.ResolveReference(ref).String()
		}
	}
	return ""
}

// rows turns entries into the table's rows.
func rows(es []Entry, editor, owner string, container bool) []row {
	out := make([]row, 0, len(es))
	for i, e := range es {
		rw := row{Entry: e, Index: i, Has: map[string]bool{}}
		for _, m := range e.Modes {
			rw.Has[m] = true
		}
		switch e.Kind {
		case KindPublic:
			rw.Who = "Everyone (public)"
		case KindAuthenticated:
			rw.Who = "Anyone logged in"
		default:
			rw.Who = e.IRI
			if u, err := url.Parse(e.IRI); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
				rw.Link = e.IRI
			}
		}
		if e.Kind == KindAgent {
			rw.You, rw.Owner = e.IRI == editor, e.IRI == owner
			rw.Locked = (rw.You || rw.Owner) && rw.Has["Control"]
		}
		switch {
		case !container:
			rw.Scope = "this file"
		case e.Self && e.Members:
			rw.Scope = "this folder and everything in it"
		case e.Self:
			rw.Scope = "this folder only"
		default:
			rw.Scope = "everything in it, not the folder itself"
		}
		out = append(out, rw)
	}
	return out
}
