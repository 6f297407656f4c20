package modules

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/naamio/naamio/ldp"
)

// StatusPrefix is where a module's status document is served: the
// prefix, then the store path of its manifest.
const StatusPrefix = "/.modules/status"

// RelStatus is the Link relation from a manifest to its module's status.
const RelStatus = "https://naamio.org/ns#moduleStatus"

// Links gives the Link header value a manifest's responses carry: its
// module's status document (ldp.Config.ResourceLinks; answered from
// memory). Other resources get none.
func (s *Service) Links(iri string) string {
	p, ok := s.ldp.Locator().PathOf(iri)
	if !ok {
		return ""
	}
	s.mu.RLock()
	_, installed := s.modules[p]
	s.mu.RUnlock()
	if !installed {
		return ""
	}
	return `<` + s.ldp.IRI(StatusPrefix+p) + `>; rel="` + RelStatus + `"`
}

// ServeHTTP serves the status documents: readable by whoever may read
// the manifest (401/403 otherwise, the same whether a module is installed
// there or not).
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.EscapedPath(), StatusPrefix)
	if p == r.URL.EscapedPath() || !strings.HasPrefix(p, "/") {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	ag, err := ldp.RequestAgent(r)
	if err != nil || !s.ldp.MayRead(r.Context(), ag, p) {
		s.ldp.RefuseRead(w, r, p)
		return
	}
	st, ok := s.Status(p)
	if !ok {
		http.Error(w, "no module is installed from "+s.ldp.IRI(p), http.StatusNotFound)
		return
	}
	b, err := json.Marshal(st)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(b)
}
