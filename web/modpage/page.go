package modpage

import (
	"embed"
	"errors"
	"net/http"
	"net/url"

	"github.com/naamio/naamio/web/ui"
)

//go:embed templates
var templates embed.FS

// notices are the words the page shows after the script's writes
// (?done=…); any other value shows nothing.
var notices = map[string]string{
	"installed":   "The module is installed and running with the rights you allowed.",
	"upgraded":    "The module is upgraded.",
	"disabled":    "The module is disabled: it keeps its files and rights but does not run.",
	"enabled":     "The module is enabled again.",
	"uninstalled": "The module is uninstalled and the rights this page gave it are taken away.",
}

// ServePage is GET /.web/modules?pod=<name>: the pod's modules, for its
// owner's session only. It only shows data (it works without JavaScript);
// its script adds the writes.
func (h *Handler) ServePage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	page := &ui.Page{Title: "Modules", Section: "modules"}
	webID, ok := h.cfg.Session(r)
	if !ok {
		page.Error = "Log in to see and manage the modules of your pod."
		h.render(w, r, http.StatusUnauthorized, page)
		return
	}
	page.WebID = webID
	name := r.URL.Query().Get("pod")
	root, st := h.ownedPod(name, webID)
	if st != http.StatusOK {
		page.Error = "You have no pod of that name on this server. Only a pod's owner manages its modules."
		h.render(w, r, st, page)
		return
	}
	v, err := h.collect(h.cfg.AsUser(r.Context(), webID), name, root)
	if err != nil {
		var p *problem
		if !errors.As(err, &p) {
			h.log(r, err)
			p = &problem{http.StatusInternalServerError, "The modules could not be read. Try again later."}
		}
		page.Error = p.msg
		h.render(w, r, p.status, page)
		return
	}
	v.PlanURL = h.pages.Base() + PlanPath
	if o := origin(root); o != origin(h.pages.BaseURL()) {
		// A pod on its own subdomain: the script writes there.
		ui.SecurityHeaders(w, ui.Policy{Connect: []string{o}})
	}
	page.Title = "Modules of " + name
	page.Notice = notices[r.URL.Query().Get("done")]
	page.Scripts = []string{"modules.js"}
	page.Data = v
	h.render(w, r, http.StatusOK, page)
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, p *ui.Page) {
	h.pages.Render(w, r, status, "modules", p)
}

// origin is scheme://host of an IRI the server built.
func origin(iri string) string {
	u, err := url.Parse(iri)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func (h *Handler) log(r *http.Request, err error) {
	if h.cfg.Log != nil {
		h.cfg.Log.ErrorContext(r.Context(), "modules page", "err", err)
	}
}
