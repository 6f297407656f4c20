package accountapi

import (
	"net/http"
	"slices"
	"strings"
)

// listWebIDs answers GET controls.account.webId: {"webIdLinks": {<WebID>: <resource>}}.
func (h *handler) listWebIDs(p *principal) (reply, error) {
	links := map[string]string{}
	if p.bound() {
		for _, webID := range p.acct.WebIDs {
			links[webID] = h.webIDResource(p.handle, webID)
		}
	}
	return h.with(p, reply{"fields": map[string]field{"webId": {true, "string"}}, "webIdLinks": links}), nil
}

// linkWebID answers POST controls.account.webId ({"webId"}). An account's
// WebIDs are those of its pods, linked when the pod is made; linking
// outside WebIDs (CSS's ownership check by a triple in the profile) is
// not offered, so only an already linked WebID succeeds (idempotently).
func (h *handler) linkWebID(w http.ResponseWriter, r *http.Request, p *principal) (reply, error) {
	var in struct {
		WebID string `json:"webId"`
	}
	if err := readBody(w, r, &in); err != nil {
		return nil, err
	}
	if err := needLogin(p); err != nil {
		return nil, err
	}
	webID := strings.TrimSpace(in.WebID)
	if webID == "" {
		return nil, fail(http.StatusBadRequest, "webId is required.")
	}
	if !slices.Contains(p.acct.WebIDs, webID) {
		return nil, fail(http.StatusBadRequest, "Linking a WebID from outside this account's pods is not supported.")
	}
	return h.with(p, reply{"resource": h.webIDResource(p.handle, webID)}), nil
}

// webIDLink serves a WebID link: GET shows the WebID; DELETE is
// refused (the WebID of one of the account's pods stays linked).
func (h *handler) webIDLink(m string, p *principal, id string) (reply, error) {
	if err := needLogin(p); err != nil {
		return nil, err
	}
	i := slices.IndexFunc(p.acct.WebIDs, func(w string) bool { return shortHash(w) == id })
	if i < 0 {
		return nil, fail(http.StatusNotFound, "Not found.")
	}
	switch m {
	case http.MethodGet:
		return h.with(p, reply{"webId": p.acct.WebIDs[i]}), nil
	case http.MethodDelete:
		return nil, fail(http.StatusForbidden, "The WebID of one of the account's pods cannot be unlinked.")
	}
	return nil, notAllowed("GET, HEAD, DELETE")
}
