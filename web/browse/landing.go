package browse

import (
	"net/http"

	"github.com/naamio/naamio/web/ui"
)

type landingData struct {
	Signup bool
	Login  string
}

// serveLanding is the page an anonymous visitor of the server's root
// gets (issue 15 item 0): what this server is, sign up, log in.
func (h *Handler) serveLanding(w http.ResponseWriter, r *http.Request) {
	h.pages.Render(w, r, http.StatusOK, "landing", &ui.Page{Title: "A Solid pod server", HideLogin: true,
		Data: &landingData{Signup: h.signup, Login: h.base + "/.idp/login"}})
}
