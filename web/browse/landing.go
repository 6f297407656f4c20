package browse

import (
	"net/http"

	"github.com/naamio/naamio/web/ui"
)

type landingData struct {
	Signup bool
	Login  string
	// Pod is the logged-in person's pod ("" for a visitor).
	Pod string
}

// serveLanding is the page an anonymous visitor of the server's root
// gets (issue 15 item 0): what this server is, sign up, log in.
func (h *Handler) serveLanding(w http.ResponseWriter, r *http.Request, webID string) {
	pod, _ := ui.PodOf(webID)
	h.pages.Render(w, r, http.StatusOK, "landing", &ui.Page{Title: "A Solid pod server", HideLogin: true, WebID: webID,
		Data: &landingData{Signup: h.signup && webID == "", Login: h.base + "/.idp/login", Pod: pod}})
}
