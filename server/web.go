package server

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/naamio/naamio/web/browse"
	"github.com/naamio/naamio/web/ui"
)

// webPages are the pages for people outside the account pages (issue 15):
// the shared assets and the pages' own Solid-OIDC client under /.web/, and
// the pages of pod data at the resources' own URLs (web/browse).
type webPages struct {
	client *ui.ClientPages
	browse *browse.Handler
}

func newWebPages(cfg Config, id *identity, lh http.Handler, log *slog.Logger) (*webPages, error) {
	client, err := ui.NewClientPages(cfg.BaseURL, log.With("component", "web"))
	if err != nil {
		return nil, err
	}
	b, err := browse.New(browse.Options{BaseURL: cfg.BaseURL, Session: id.pages.SessionWebID, LDP: lh,
		Logger: log.With("component", "browse"), Registration: cfg.Registration})
	if err != nil {
		return nil, err
	}
	return &webPages{client: client, browse: b}, nil
}

// mountWeb routes /.web/: the assets (ui.Static) and the client's
// document and redirect page. /.web is in the server's reserved "/."
// namespace (ldp.Locator), so no pod resource can shadow it. The pages of
// other packages mount their own routes beside these (server/web_*.go).
func (s *Server) mountWeb(r chi.Router) {
	r.HandleFunc(ui.StaticPath+"*", ui.Static)
	r.Handle(ui.ClientPath, s.web.client)
	r.Handle(ui.CallbackPath, s.web.client)
}

// htmlPages sends a browser's navigation that prefers HTML over RDF to the
// page of the resource (browse.Wants), and every other request to next
// (the LDP handler) unchanged.
func htmlPages(b *browse.Handler, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if browse.Wants(r) {
			b.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
