package server

import (
	"net/http"

	"github.com/naamio/naamio/web/browse"
	"github.com/naamio/naamio/web/solidos"
)

// newShell builds the SolidOS shell for --data-browser solidos (nil for
// Naamio's own pages). Issue 15 item 4.
func newShell(cfg Config) (*solidos.Shell, error) {
	if cfg.DataBrowser != "solidos" {
		return nil, nil
	}
	return solidos.New(cfg.MashlibURL, cfg.BaseURL)
}

// withShell puts the SolidOS shell, when configured, in front of the pod
// handler (Naamio's own pages included): a browser's HTML navigation to any
// pod resource (browse.Wants) gets it, every other request reaches pod
// unchanged.
func (s *Server) withShell(pod http.Handler) http.Handler {
	if s.shell == nil {
		return pod
	}
	return s.shell.Wrap(pod, browse.Wants)
}
