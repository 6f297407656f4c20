package server

import (
	"github.com/go-chi/chi/v5"

	"github.com/naamio/naamio/web/fedpage"
)

// mountFediverse routes the Fediverse page (issue 15 item 3) and its JSON
// API: <base>/.web/fediverse?pod=<name> for the browser's session, and
// <base>/.web/api/fediverse/… for the page's script (Solid-OIDC DPoP
// credentials, read by the server's auth middleware). Without federation
// (--federation=false) neither exists.
func (s *Server) mountFediverse(r chi.Router) {
	if s.fed == nil {
		return
	}
	h, err := fedpage.New(fedpage.Options{BaseURL: s.cfg.BaseURL, Session: s.id.pages.SessionWebID, LDP: s.ldp,
		Fed: s.fed, Logger: s.log.With("component", "fedpage")})
	if err != nil {
		s.log.Error("the Fediverse page is not served", "err", err)
		return
	}
	r.Handle(fedpage.PagePath, h)
	r.Handle(fedpage.APIPrefix+"*", h.API())
}
