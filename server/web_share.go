package server

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/naamio/naamio/federation"
	"github.com/naamio/naamio/internal/safehttp"
	"github.com/naamio/naamio/web/share"
	"github.com/naamio/naamio/web/ui"
)

// mountShare routes the sharing and profile pages and the handle
// resolver of their scripts (web/share, issue 15 item 1). The resolver is
// authenticated like the Solid API (the auth middleware's agent, from a
// DPoP-bound token), never by the page cookie.
func (s *Server) mountShare(r chi.Router) {
	h, err := s.newShare()
	if err != nil { // embedded templates: a build defect, caught by the tests
		s.log.Error("sharing pages disabled", "err", err)
		return
	}
	r.Get(share.SharePath, h.ServeShare)
	r.Get(share.ProfilePath, h.ServeProfile)
	r.Get(share.ResolvePath, h.ServeResolve)
}

func (s *Server) newShare() (*share.Handler, error) {
	loc := s.ldp.Locator()
	podOf := func(name string) (string, string, bool) {
		webID, ok := s.pods.OwnerWebID(name)
		if !ok || s.pods.Retired(name) {
			return "", "", false
		}
		return loc.IRI("/" + name + "/"), webID, true
	}
	// WebFinger lookups of other servers' handles go through the SSRF-safe
	// client (https, public addresses; --allow-fetch-addr for development).
	fetch := safehttp.New(safehttp.Options{Timeout: 5 * time.Second, MaxBody: 256 << 10, AllowAddrPorts: s.cfg.AllowFetch, Observe: observeFetch(s.cfg)})
	return share.New(share.Options{
		BaseURL: s.cfg.BaseURL,
		Session: s.id.pages.SessionWebID,
		LDP:     s.ldp,
		Owner: func(resource string) (string, bool) {
			p, ok := loc.PathOf(resource)
			if !ok {
				return "", false
			}
			name, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
			if _, webID, ok := podOf(name); ok {
				return webID, true
			}
			return s.cfg.OwnerWebID, s.cfg.OwnerWebID != ""
		},
		Pod:   podOf,
		Actor: s.actorView,
		WebFinger: func(ctx context.Context, url string) (int, []byte, error) {
			resp, err := fetch.Get(ctx, url, "application/jrd+json, application/json")
			if err != nil {
				return 0, nil, err
			}
			return resp.StatusCode, resp.Body, nil
		},
		Log: s.log.With("component", "share"),
	})
}

// actorView is what Fediverse peers see of pod: the actor document the
// federation service builds from the profile, read in process.
func (s *Server) actorView(ctx context.Context, pod string) (share.ActorView, bool) {
	if s.fed == nil {
		return share.ActorView{}, false
	}
	paths := s.fed.Paths()
	actor := paths.Actor(pod)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, actor, nil)
	if err != nil {
		return share.ActorView{}, false
	}
	req.Header.Set("Accept", federation.MediaActivityJSON)
	rec := &memResponse{hd: http.Header{}}
	s.fed.Handler().ServeHTTP(rec, req)
	if rec.status != 0 && rec.status != http.StatusOK {
		return share.ActorView{}, false
	}
	var doc struct {
		Name    string `json:"name"`
		Summary string `json:"summary"`
		Icon    struct {
			URL string `json:"url"`
		} `json:"icon"`
	}
	if json.Unmarshal(rec.body.Bytes(), &doc) != nil {
		return share.ActorView{}, false
	}
	return share.ActorView{Handle: paths.Handle(pod), Actor: actor, Name: doc.Name, Summary: plainSummary(doc.Summary),
		Icon: doc.Icon.URL}, true
}

var tagRe = regexp.MustCompile(`<[^>]*>`)

// plainSummary is the actor's HTML summary as the text it shows (the page
// renders it escaped again).
func plainSummary(s string) string {
	s = strings.ReplaceAll(s, "<br>", "\n")
	return strings.TrimSpace(html.UnescapeString(tagRe.ReplaceAllString(s, "")))
}

// memResponse is the response of an in-process request.
type memResponse struct {
	hd     http.Header
	status int
	body   bytes.Buffer
}

func (m *memResponse) Header() http.Header { return m.hd }

func (m *memResponse) WriteHeader(status int) {
	if m.status == 0 {
		m.status = status
	}
}

func (m *memResponse) Write(b []byte) (int, error) {
	if m.body.Len()+len(b) > 1<<20 {
		return len(b), nil
	}
	return m.body.Write(b)
}

// pagesClient reports whether a client id is the pages' own client (its
// Client Identifier Document, or the in-process client of ui.AsUser).
func pagesClient(baseURL string) func(clientID string) bool {
	own := ui.ClientID(baseURL)
	return func(c string) bool { return c == own || c == ui.ClientPath }
}
