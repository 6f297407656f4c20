package modpage

import "net/http"

// ServePage is GET /.web/modules?pod=<name>.
func (h *Handler) ServePage(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not yet", http.StatusNotImplemented)
}
