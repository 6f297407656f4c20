package accountapi

import (
	"net/http"
)

// field describes one input field in the answer to a GET on a POST API,
// in the Community Solid Server's {"fields": {...}} form.
type field struct {
	Required bool   `json:"required"`
	Type     string `json:"type"`
}

// route dispatches on the path segments after .account/.
func (h *handler) route(w http.ResponseWriter, r *http.Request, segs []string) (reply, error) {
	p, err := h.authenticate(r)
	if err != nil {
		return nil, err
	}
	if err := h.checkCSRF(r, p); err != nil {
		return nil, err
	}
	m := r.Method
	if m == http.MethodHead {
		m = http.MethodGet
	}
	switch {
	case len(segs) == 0: // controls.main.index
		if m != http.MethodGet {
			return nil, notAllowed("GET, HEAD")
		}
		return h.with(p, reply{"version": apiVersion}), nil
	case len(segs) == 1 && segs[0] == "login": // controls.main.logins
		if m != http.MethodGet {
			return nil, notAllowed("GET, HEAD")
		}
		return h.with(p, reply{"logins": map[string]string{"password": h.passwordLoginURL()}}), nil
	case len(segs) == 2 && segs[0] == "login" && segs[1] == "password": // controls.password.login
		switch m {
		case http.MethodGet:
			return h.with(p, reply{"fields": map[string]field{
				"email": {true, "string"}, "password": {true, "string"}, "remember": {false, "boolean"}}}), nil
		case http.MethodPost:
			return h.passwordLogin(w, r)
		}
		return nil, notAllowed("GET, HEAD, POST")
	case len(segs) == 1 && segs[0] == "account": // controls.account.create
		switch m {
		case http.MethodGet:
			return h.with(p, reply{}), nil
		case http.MethodPost:
			return h.createAccount(w, r)
		}
		return nil, notAllowed("GET, HEAD, POST")
	case len(segs) >= 2 && segs[0] == "account":
		if p == nil {
			return nil, fail(http.StatusUnauthorized, "Not logged in: send Authorization: CSS-Account-Token <token>.")
		}
		if !p.owns(segs[1]) {
			return nil, fail(http.StatusForbidden, "This is not your account.")
		}
		return h.routeAccount(w, r, m, p, segs[2:])
	}
	return nil, fail(http.StatusNotFound, "Not found.")
}

// routeAccount dispatches below .account/account/<handle>/.
func (h *handler) routeAccount(w http.ResponseWriter, r *http.Request, m string, p *principal, segs []string) (reply, error) {
	switch {
	case len(segs) == 0: // controls.account.account
		if m != http.MethodGet {
			return nil, notAllowed("GET, HEAD")
		}
		return h.accountDetails(r, p)
	case len(segs) == 1 && segs[0] == "logout": // controls.account.logout
		if m != http.MethodPost {
			return nil, notAllowed("POST")
		}
		return h.logout(w, r, p)
	case len(segs) == 2 && segs[0] == "login" && segs[1] == "password": // controls.password.create
		switch m {
		case http.MethodGet:
			return h.listPasswordLogins(p)
		case http.MethodPost:
			return h.createPasswordLogin(w, r, p)
		}
		return nil, notAllowed("GET, HEAD, POST")
	case len(segs) == 3 && segs[0] == "login" && segs[1] == "password":
		return h.passwordLoginResource(w, r, m, p, segs[2])
	case len(segs) == 1 && segs[0] == "pod": // controls.account.pod
		switch m {
		case http.MethodGet:
			return h.listPods(p)
		case http.MethodPost:
			return h.createPod(w, r, p)
		}
		return nil, notAllowed("GET, HEAD, POST")
	case len(segs) == 2 && segs[0] == "pod":
		if m != http.MethodGet {
			return nil, notAllowed("GET, HEAD")
		}
		return h.podDetails(p, segs[1])
	case len(segs) == 1 && segs[0] == "webid": // controls.account.webId
		switch m {
		case http.MethodGet:
			return h.listWebIDs(p)
		case http.MethodPost:
			return h.linkWebID(w, r, p)
		}
		return nil, notAllowed("GET, HEAD, POST")
	case len(segs) == 2 && segs[0] == "webid":
		return h.webIDLink(m, p, segs[1])
	case len(segs) == 1 && segs[0] == "client-credentials": // controls.account.clientCredentials
		switch m {
		case http.MethodGet:
			return h.listCredentials(r, p)
		case http.MethodPost:
			return h.createCredentials(w, r, p)
		}
		return nil, notAllowed("GET, HEAD, POST")
	case len(segs) == 2 && segs[0] == "client-credentials":
		switch m {
		case http.MethodGet:
			return h.credentialDetails(r, p, segs[1])
		case http.MethodDelete:
			return h.deleteCredentials(r, p, segs[1])
		}
		return nil, notAllowed("GET, HEAD, DELETE")
	}
	return nil, fail(http.StatusNotFound, "Not found.")
}

// needLogin refuses a pending account that has no login yet: as in CSS,
// such an account can do nothing but add one.
func needLogin(p *principal) error {
	if !p.bound() {
		return fail(http.StatusForbidden, "Add an email/password login first (controls.password.create).")
	}
	return nil
}
