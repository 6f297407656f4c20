package server

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/naamio/naamio/internal/safehttp"
	"github.com/naamio/naamio/modules"
	"github.com/naamio/naamio/web/modpage"
)

// mountModulesPage routes the modules page (issue 15 item 2):
// /.web/modules?pod=<name> for the owner's session, and its plan
// endpoint /.web/api/modules/plan, authenticated by the middleware like
// any Solid request (DPoP; the session cookie is never read there).
// Binaries named by an https URL are fetched through the SSRF-safe
// client, like the module host's own (--allow-fetch-addr lets it reach
// the listed local servers).
func (s *Server) mountModulesPage(r chi.Router) {
	fetch := safehttp.New(safehttp.Options{Timeout: 30 * time.Second, MaxBody: modules.MaxWasm + 1, AllowAddrPorts: s.cfg.AllowFetch, Observe: observeFetch(s.cfg)})
	h, err := modpage.New(modpage.Config{
		BaseURL: s.cfg.BaseURL,
		Log:     s.log.With("component", "modpage"),
		Session: s.id.pages.SessionWebID,
		LDP:     s.ldp,
		Pod: func(name string) (string, string, bool) {
			owner, ok := s.pods.OwnerWebID(name)
			return s.ldp.IRI("/" + name + "/"), owner, ok
		},
		Status: func(iri string) (modules.Status, bool) {
			p, ok := s.ldp.Locator().PathOf(iri)
			if !ok {
				return modules.Status{}, false
			}
			return s.mods.Status(p)
		},
		Fetch: fetch.HTTPClient(),
	})
	if err != nil {
		s.log.Error("modules page not served", "err", err) // its embedded template is broken
		return
	}
	r.Handle(modpage.PagePath, http.HandlerFunc(h.ServePage))
	r.Handle(modpage.PlanPath, http.HandlerFunc(h.ServePlan))
}
