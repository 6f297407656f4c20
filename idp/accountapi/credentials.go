package accountapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/naamio/naamio/idp/account"
)

// defaultCredentialName names a credential created without a name.
const defaultCredentialName = "client-credentials"

// listCredentials answers GET controls.account.clientCredentials:
// {"clientCredentials": {<id>: <resource>}}. CSS keys this map by the
// token's label, which is also its client id; here the key is the client
// id (what the token endpoint wants), the name being a mere label.
func (h *handler) listCredentials(r *http.Request, p *principal) (reply, error) {
	creds := map[string]string{}
	if p.bound() {
		list, err := h.accounts.ListClientCredentials(r.Context(), p.acct.ID)
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			creds[c.ID] = h.credentialResource(p.handle, c.ID)
		}
	}
	return h.with(p, reply{
		"fields":            map[string]field{"name": {false, "string"}, "webId": {true, "string"}},
		"clientCredentials": creds,
	}), nil
}

// createCredentials answers POST controls.account.clientCredentials
// ({"name", "webId"}): {"id", "secret", "resource"}. The secret is shown
// this once; it is stored only hashed. The WebID must be one of the
// account's (400 otherwise, as in CSS).
func (h *handler) createCredentials(w http.ResponseWriter, r *http.Request, p *principal) (reply, error) {
	var in struct {
		Name  string `json:"name"`
		WebID string `json:"webId"`
	}
	if err := readBody(w, r, &in); err != nil {
		return nil, err
	}
	if err := needLogin(p); err != nil {
		return nil, err
	}
	name, webID := strings.TrimSpace(in.Name), strings.TrimSpace(in.WebID)
	if webID == "" {
		return nil, fail(http.StatusBadRequest, "webId is required.")
	}
	if name == "" {
		name = defaultCredentialName
	}
	id, secret, err := h.accounts.NewClientCredentials(r.Context(), p.acct.ID, name, webID)
	if err != nil {
		return nil, err
	}
	return h.with(p, reply{"id": id, "secret": secret, "resource": h.credentialResource(p.handle, id)}), nil
}

// credential returns the account's credential id, or 404.
func (h *handler) credential(r *http.Request, p *principal, id string) (*account.ClientCredential, error) {
	if err := needLogin(p); err != nil {
		return nil, err
	}
	list, err := h.accounts.ListClientCredentials(r.Context(), p.acct.ID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].ID == id {
			return &list[i], nil
		}
	}
	return nil, fail(http.StatusNotFound, "Not found.")
}

// credentialDetails answers GET on a credential's resource: {"id", "webId"}.
func (h *handler) credentialDetails(r *http.Request, p *principal, id string) (reply, error) {
	c, err := h.credential(r, p, id)
	if err != nil {
		return nil, err
	}
	return h.with(p, reply{"id": c.ID, "name": c.Name, "webId": c.WebID}), nil
}

// deleteCredentials answers DELETE on a credential's resource.
func (h *handler) deleteCredentials(r *http.Request, p *principal, id string) (reply, error) {
	if err := needLogin(p); err != nil {
		return nil, err
	}
	err := h.accounts.DeleteClientCredentials(r.Context(), p.acct.ID, id)
	if errors.Is(err, account.ErrNotFound) {
		return nil, fail(http.StatusNotFound, "Not found.")
	}
	if err != nil {
		return nil, err
	}
	return h.with(p, reply{}), nil
}
