package share

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/naamio/naamio/rdf"
	"github.com/naamio/naamio/web/ui"
)

// Profile vocabularies: what the page reads and writes, and what
// federation/profile.go takes for the actor (name, summary, icon).
const (
	nsFOAF      = "http://xmlns.com/foaf/0.1/"
	nsVCard     = "http://www.w3.org/2006/vcard/ns#"
	iriName     = nsFOAF + "name"
	iriFN       = nsVCard + "fn"
	iriNote     = nsVCard + "note"
	iriHasPhoto = nsVCard + "hasPhoto"
	iriImg      = nsFOAF + "img"
)

// profileData is the profile page's data.
type profileData struct {
	Pod, WebID, Doc string
	Name, Note      string
	Photo           string // shown when it is on this server
	PhotoLink       string // any other photo address, shown as a link
	CanEdit         bool
	// Public is what any app reads of the WebID without logging in.
	Public []statement
	// Actor is what Fediverse peers see (nil: federation is off).
	Actor  *ActorView
	Editor string
}

// statement is one triple about the WebID, in words.
type statement struct {
	Pred, PredIRI string
	Value         string
	Link          string
}

// profileModel is what profile.js edits.
type profileModel struct {
	Doc   string `json:"doc"`
	WebID string `json:"webid"`
	Pod   string `json:"pod"`
	// The current statements the edit replaces, as N-Triples (deleted by
	// the N3 Patch exactly as they are).
	Name  string `json:"name"`
	Note  string `json:"note"`
	Photo string `json:"photo"`
}

// ServeProfile serves GET /.web/profile?pod=<name>.
func (h *Handler) ServeProfile(w http.ResponseWriter, r *http.Request) {
	webID, ok := h.session(w, r)
	if !ok {
		return
	}
	name := r.URL.Query().Get("pod")
	var podURL, owner string
	found := false
	if h.opts.Pod != nil && len(name) <= 63 {
		podURL, owner, found = h.opts.Pod(name)
	}
	if !found {
		h.fail(w, r, http.StatusNotFound, webID, "No such pod", "There is no pod of that name on this server.")
		return
	}
	d, err := h.profileData(r.Context(), webID, name, podURL, owner)
	if err != nil {
		h.log.ErrorContext(r.Context(), "profile page", "err", err)
		h.fail(w, r, http.StatusInternalServerError, webID, "Something went wrong", "The profile could not be read. Try again later.")
		return
	}
	var media []string
	if u, err := url.Parse(podURL); err == nil && !strings.EqualFold(u.Host, h.base.Host) {
		media = append(media, u.Scheme+"://"+u.Host) // a subdomain pod's photo
	}
	if len(media) > 0 {
		ui.SecurityHeaders(w, ui.Policy{Media: media, Connect: media})
	}
	h.pages.Render(w, r, http.StatusOK, "profile", &ui.Page{Title: "Profile", WebID: webID, Section: "profile",
		Scripts: []string{"profile.js"}, Data: d})
}

func (h *Handler) profileData(ctx context.Context, webID, pod, podURL, owner string) (*profileData, error) {
	doc, _, _ := strings.Cut(owner, "#")
	d := &profileData{Pod: pod, WebID: owner, Doc: doc}
	rec, err := h.asUser(ctx, webID, http.MethodGet, doc, "text/turtle")
	if err != nil {
		return nil, err
	}
	me := rdf.NewIRI(owner)
	ed := profileModel{Doc: doc, WebID: owner, Pod: podURL}
	if g := parseProfile(rec, doc); g != nil {
		d.Name = firstLiteral(g, me, iriName, iriFN)
		d.Note = firstLiteral(g, me, iriNote)
		if p := firstIRI(g, me, iriHasPhoto, iriImg); p != "" {
			if u, err := url.Parse(p); err == nil && h.ours(u) {
				d.Photo = p
			} else if webURL(p) {
				d.PhotoLink = p
			}
		}
		ed.Name = ntriples(g, me, iriName)
		ed.Note = ntriples(g, me, iriNote)
		ed.Photo = ntriples(g, me, iriHasPhoto, iriImg)
	}
	d.CanEdit = rec.Status == http.StatusOK && strings.Contains(userModes(rec.Hdr.Get("WAC-Allow")), "write")
	pub, err := h.asUser(ctx, "", http.MethodGet, doc, "text/turtle")
	if err != nil {
		return nil, err
	}
	if g := parseProfile(pub, doc); g != nil {
		d.Public = statements(g, me)
	}
	if h.opts.Actor != nil {
		if a, ok := h.opts.Actor(ctx, pod); ok {
			d.Actor = &a
		}
	}
	b, err := json.Marshal(ed)
	if err != nil {
		return nil, err
	}
	d.Editor = string(b)
	return d, nil
}

func parseProfile(rec *recorder, base string) *rdf.Graph {
	if rec.Status != http.StatusOK || rec.Truncated {
		return nil
	}
	g, err := rdf.Parse(bytes.NewReader(rec.Body.Bytes()), rdf.MediaTurtle, base, rdf.Limits{})
	if err != nil {
		return nil
	}
	return g
}

func firstLiteral(g *rdf.Graph, s rdf.Term, preds ...string) string {
	for _, p := range preds {
		for _, t := range g.Match(s, rdf.NewIRI(p), rdf.Term{}) {
			if t.O.Kind == rdf.Literal && t.O.Value != "" {
				return t.O.Value
			}
		}
	}
	return ""
}

func firstIRI(g *rdf.Graph, s rdf.Term, preds ...string) string {
	for _, p := range preds {
		for _, t := range g.Match(s, rdf.NewIRI(p), rdf.Term{}) {
			if t.O.Kind == rdf.IRI {
				return t.O.Value
			}
		}
	}
	return ""
}

// ntriples is the N-Triples of the statements (s, p, *) for preds.
func ntriples(g *rdf.Graph, s rdf.Term, preds ...string) string {
	sub := rdf.NewGraph()
	for _, p := range preds {
		for _, t := range g.Match(s, rdf.NewIRI(p), rdf.Term{}) {
			if t.O.Kind != rdf.Blank {
				sub.Add(t)
			}
		}
	}
	var buf bytes.Buffer
	_ = rdf.Write(&buf, sub, rdf.MediaNTriples)
	return buf.String()
}

// predLabels names the profile predicates people recognise.
var predLabels = map[string]string{
	iriName: "Name", iriFN: "Name (vCard)", iriNote: "About", iriHasPhoto: "Photo", iriImg: "Photo (FOAF)",
	rdf.RDFType: "Type", rdf.SolidNS + "oidcIssuer": "Logs in with", "http://www.w3.org/ns/pim/space#storage": "Storage",
	"http://www.w3.org/ns/ldp#inbox": "Inbox", rdf.SolidNS + "publicTypeIndex": "Public type index",
	rdf.SolidNS + "privateTypeIndex": "Private type index", "http://www.w3.org/ns/pim/space#preferencesFile": "Preferences file",
	nsFOAF + "knows": "Knows",
}

func statements(g *rdf.Graph, me rdf.Term) []statement {
	var out []statement
	for _, t := range g.Match(me, rdf.Term{}, rdf.Term{}) {
		st := statement{PredIRI: t.P.Value, Pred: predLabels[t.P.Value], Value: t.O.Value}
		if st.Pred == "" {
			st.Pred = t.P.Value
		}
		if t.O.Kind == rdf.IRI && webURL(t.O.Value) {
			st.Link = t.O.Value
		}
		if t.O.Kind == rdf.Blank {
			st.Value = "(a node without a name)"
		}
		out = append(out, st)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pred < out[j].Pred })
	return out
}
