package accountapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/naamio/naamio/idp/pod"
)

// listPods answers GET controls.account.pod: {"pods": {<pod URL>: <resource>}}.
func (h *handler) listPods(p *principal) (reply, error) {
	pods := map[string]string{}
	if p.bound() {
		for _, name := range p.acct.Pods {
			podURL := h.prov.PodURL(name)
			pods[podURL] = h.podResource(p.handle, name)
		}
	}
	return h.with(p, reply{
		"fields": map[string]any{
			"name":     field{true, "string"},
			"settings": map[string]any{"required": false, "type": "object", "fields": map[string]field{"webId": {false, "string"}}},
		},
		"pods": pods,
	}), nil
}

// createPod answers POST controls.account.pod ({"name"}): a pod with a
// WebID of its own, linked to the account, answered as CSS does:
// {"pod", "webId", "podResource", "webIdResource"}. CSS's
// settings.webId (a pod for an outside WebID) is not offered: the pod's
// WebID is always the one made in it.
func (h *handler) createPod(w http.ResponseWriter, r *http.Request, p *principal) (reply, error) {
	var in struct {
		Name     string `json:"name"`
		Settings struct {
			WebID string `json:"webId"`
		} `json:"settings"`
	}
	if err := readBody(w, r, &in); err != nil {
		return nil, err
	}
	if err := needLogin(p); err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return nil, fail(http.StatusBadRequest, "name is required.")
	}
	if in.Settings.WebID != "" {
		return nil, fail(http.StatusBadRequest, "settings.webId is not supported: a pod's WebID is made in the pod.")
	}
	if err := pod.ValidName(name); err != nil {
		return nil, err
	}
	webID, err := h.prov.CreatePod(r.Context(), p.acct.ID, name)
	if err != nil {
		return nil, err
	}
	podURL := h.prov.PodURL(name)
	return h.with(p, reply{
		"pod":           podURL,
		"webId":         webID,
		"podResource":   h.podResource(p.handle, name),
		"webIdResource": h.webIDResource(p.handle, webID),
	}), nil
}

// podDetails answers GET on a pod's resource: {"baseUrl", "owners"}.
func (h *handler) podDetails(p *principal, name string) (reply, error) {
	if err := needLogin(p); err != nil {
		return nil, err
	}
	if !slices.Contains(p.acct.Pods, name) {
		return nil, fail(http.StatusNotFound, "Not found.")
	}
	podURL := h.prov.PodURL(name)
	owners := []map[string]any{}
	for _, webID := range p.acct.WebIDs {
		if strings.HasPrefix(webID, podURL) {
			owners = append(owners, map[string]any{"webId": webID, "visible": false})
		}
	}
	return h.with(p, reply{"baseUrl": podURL, "owners": owners}), nil
}
