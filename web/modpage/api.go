package modpage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/modules"
	"github.com/naamio/naamio/rdf"
)

// maxPlanRequest bounds the plan request: a manifest and a few names.
const maxPlanRequest = modules.MaxManifest + 4<<10

// planRequest asks for the plan of an install or upgrade (Manifest, the
// manifest's JSON text) or of an uninstall (Uninstall, the module's name).
type planRequest struct {
	Pod       string `json:"pod"`
	Manifest  string `json:"manifest,omitempty"`
	Uninstall string `json:"uninstall,omitempty"`
}

// Plan is the answer: what the module asks for and the writes that give
// it exactly that (the script makes them, with solidFetch).
type Plan struct {
	Manifest string `json:"manifest"` // the manifest's IRI
	Agent    string `json:"agent"`    // <manifest>#module
	Name     string `json:"name"`
	Version  string `json:"version"`
	// Upgrade: a module is installed there already; Grows: the new
	// version asks for more than the installed one.
	Upgrade     bool           `json:"upgrade"`
	Grows       bool           `json:"grows"`
	Wasm        PlanWasm       `json:"wasm"`
	Permissions []Permission   `json:"permissions"`
	Hosts       []Host         `json:"hosts"`
	Removed     []Permission   `json:"removed,omitempty"`
	Limits      modules.Limits `json:"limits"`
	ACLs        []ACLWrite     `json:"acls"`
}

// PlanWasm is the binary the manifest names.
type PlanWasm struct {
	URL    string `json:"url"`
	SHA256 string `json:"sha256"`
	// Local: in the pod (the script uploads it there, or it is there);
	// otherwise fetched here, and Size is its size.
	Local bool `json:"local"`
	Size  int  `json:"size,omitempty"`
}

// ACLWrite is one ACL document to write: PUT Body (Turtle) to URL with
// If-Match ETag, or If-None-Match: * when Create; when CreateContainer,
// the container is created first.
type ACLWrite struct {
	URL             string `json:"url"`
	Container       string `json:"container"`
	ETag            string `json:"etag,omitempty"`
	Create          bool   `json:"create,omitempty"`
	CreateContainer bool   `json:"createContainer,omitempty"`
	Body            string `json:"body"`
}

// problem is a refusal the person can act on.
type problem struct {
	status int
	msg    string
}

func (p *problem) Error() string { return p.msg }

func refuse(status int, format string, args ...any) error {
	return &problem{status, fmt.Sprintf(format, args...)}
}

// ServePlan is POST /.web/api/modules/plan: authenticated like a Solid
// request (the auth middleware's DPoP agent, never the page's cookie),
// for the owner of the pod only.
func (h *Handler) ServePlan(w http.ResponseWriter, r *http.Request) {
	plan, err := h.plan(r)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		var p *problem
		if !errors.As(err, &p) {
			p = &problem{http.StatusInternalServerError, "internal error"}
		}
		if p.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `DPoP algs="ES256 RS256"`)
		}
		if p.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", "POST")
		}
		w.WriteHeader(p.status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": p.msg})
		return
	}
	_ = json.NewEncoder(w).Encode(plan)
}

func (h *Handler) plan(r *http.Request) (*Plan, error) {
	if r.Method != http.MethodPost {
		return nil, refuse(http.StatusMethodNotAllowed, "use POST")
	}
	ag, err := auth.AgentFrom(r.Context())
	if err != nil || ag.Anonymous() {
		return nil, refuse(http.StatusUnauthorized, "log in: this endpoint needs a DPoP-bound access token")
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return nil, refuse(http.StatusUnsupportedMediaType, "send application/json")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPlanRequest+1))
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "the request body could not be read")
	}
	if len(body) > maxPlanRequest {
		return nil, refuse(http.StatusRequestEntityTooLarge, "the request is larger than %d KiB", maxPlanRequest>>10)
	}
	var req planRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, refuse(http.StatusBadRequest, "the request is not JSON of the expected shape")
	}
	root, st := h.ownedPod(req.Pod, ag.WebID)
	if st != http.StatusOK {
		return nil, refuse(http.StatusForbidden, "only the owner of a pod manages its modules")
	}
	ctx := auth.WithAgent(r.Context(), ag)
	switch {
	case req.Manifest != "" && req.Uninstall == "":
		return h.planInstall(ctx, root, []byte(req.Manifest))
	case req.Uninstall != "" && req.Manifest == "":
		return h.planUninstall(ctx, root, req.Uninstall)
	}
	return nil, refuse(http.StatusBadRequest, "send either manifest or uninstall")
}

// planInstall reads the manifest as the server will when it is written
// at <pod>/settings/modules/<name>.json, checks the binary it names, and
// plans the ACLs that grant exactly what it asks for.
func (h *Handler) planInstall(ctx context.Context, root string, raw []byte) (*Plan, error) {
	dir := moduleContainer(root)
	// Every manifest in the container resolves its IRIs alike: read it
	// once to learn its name, then at its own IRI.
	m, err := modules.ParseManifest(raw, dir+"manifest.json")
	if err != nil {
		return nil, invalidManifest(err)
	}
	self := dir + m.Name + ".json"
	if m, err = modules.ParseManifest(raw, self); err != nil {
		return nil, invalidManifest(err)
	}
	for _, p := range permissions(m) {
		if !inPod(p.Container, root) {
			return nil, refuse(http.StatusUnprocessableEntity, "%s is not a container of this pod: a module watches and writes its own pod only", p.Container)
		}
	}
	plan := &Plan{Manifest: self, Agent: self + "#module", Name: m.Name, Version: m.Version,
		Permissions: permissions(m), Hosts: hostsOf(m), Limits: m.Limits,
		Wasm: PlanWasm{URL: m.Wasm.URL, SHA256: m.Wasm.SHA256, Local: inPod(m.Wasm.URL, root)}}
	if !plan.Wasm.Local && h.onThisServer(m.Wasm.URL) {
		return nil, refuse(http.StatusUnprocessableEntity, "wasm.url: a binary on this server must be in the same pod as the manifest; upload it")
	}
	if !plan.Wasm.Local {
		if plan.Wasm.Size, err = h.fetchWasm(ctx, m.Wasm.URL, m.Wasm.SHA256); err != nil {
			return nil, err
		}
	}
	var prev []Permission
	var prevHosts []string
	old, err := h.installed(ctx, self)
	if err != nil {
		return nil, err
	}
	if old != nil {
		plan.Upgrade = true
		prev, prevHosts = permissions(old), old.AllowedHosts
	}
	plan.Removed, plan.Grows = compare(plan.Permissions, plan.Hosts, prev, prevHosts)
	want := map[string][]string{}
	for _, p := range plan.Permissions {
		want[p.Container] = p.Modes
	}
	for _, p := range plan.Removed {
		want[p.Container] = nil
	}
	plan.ACLs, err = h.aclWrites(ctx, root, plan.Agent, m.Name, want)
	return plan, err
}

// fileBase is the name of a manifest file without ".json" as uninstall
// takes it: one path segment that needs no escaping.
var fileBase = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$`)

// planUninstall plans taking the module's grants away from the containers
// its manifest asks for (the manifest itself the script deletes).
func (h *Handler) planUninstall(ctx context.Context, root, name string) (*Plan, error) {
	if !fileBase.MatchString(name) {
		return nil, refuse(http.StatusBadRequest, "not a module name")
	}
	self := moduleContainer(root) + name + ".json"
	m, err := h.installed(ctx, self)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, refuse(http.StatusNotFound, "no module %q is installed in this pod", name)
	}
	plan := &Plan{Manifest: self, Agent: self + "#module", Name: m.Name, Version: m.Version,
		Permissions: []Permission{}, Hosts: []Host{}, Limits: m.Limits, Removed: permissions(m),
		Wasm: PlanWasm{URL: m.Wasm.URL, SHA256: m.Wasm.SHA256, Local: inPod(m.Wasm.URL, root)}}
	want := map[string][]string{}
	for _, p := range plan.Removed {
		if inPod(p.Container, root) {
			want[p.Container] = nil
		}
	}
	plan.ACLs, err = h.aclWrites(ctx, root, plan.Agent, name, want)
	return plan, err
}

// installed reads the manifest stored at self as the caller (nil when
// there is none, or it is not a valid manifest any more).
func (h *Handler) installed(ctx context.Context, self string) (*modules.Manifest, error) {
	rep, err := h.get(ctx, self, "application/json")
	if err != nil {
		return nil, err
	}
	switch rep.Status {
	case http.StatusOK:
	case http.StatusNotFound:
		return nil, nil
	default:
		return nil, refuse(http.StatusForbidden, "reading %s answered %d", self, rep.Status)
	}
	m, err := modules.ParseManifest(rep.Body.Bytes(), self)
	if err != nil {
		return nil, nil
	}
	return m, nil
}

// onThisServer reports whether iri is on the server's host or a pod's
// host below it (it is never fetched over the network).
func (h *Handler) onThisServer(iri string) bool {
	u, err := url.Parse(iri)
	b, berr := url.Parse(h.cfg.BaseURL)
	if err != nil || berr != nil {
		return false
	}
	host, base := strings.ToLower(u.Host), strings.ToLower(b.Host)
	return host == base || strings.HasSuffix(host, "."+base)
}

func invalidManifest(err error) error {
	return refuse(http.StatusUnprocessableEntity, "%s", strings.TrimPrefix(err.Error(), modules.ErrInvalid.Error()+": "))
}

// aclWrites plans, for each container, the ACL in which the agent holds
// exactly the wanted modes (none: its grants removed); unchanged ACLs are
// left out.
func (h *Handler) aclWrites(ctx context.Context, root, agent, name string, want map[string][]string) ([]ACLWrite, error) {
	cs := make([]string, 0, len(want))
	for c := range want {
		cs = append(cs, c)
	}
	sortStrings(cs)
	out := []ACLWrite{}
	for _, c := range cs {
		wr, err := h.aclWrite(ctx, root, c, agent, name, want[c])
		if err != nil {
			return nil, err
		}
		if wr != nil {
			out = append(out, *wr)
		}
	}
	return out, nil
}

func (h *Handler) aclWrite(ctx context.Context, root, container, agent, name string, modes []string) (*ACLWrite, error) {
	aclIRI := container + ".acl"
	cur, rep, err := h.graph(ctx, aclIRI)
	if err != nil {
		return nil, refuse(http.StatusUnprocessableEntity, "the ACL %s could not be read: %v", aclIRI, err)
	}
	wr := &ACLWrite{URL: aclIRI, Container: container}
	switch {
	case cur != nil:
		wr.ETag = rep.Hdr.Get("ETag")
	case rep.Status == http.StatusNotFound:
		if len(modes) == 0 {
			return nil, nil // no ACL of its own: nothing granted here
		}
		wr.Create = true
		if wr.CreateContainer, err = h.missing(ctx, container); err != nil {
			return nil, err
		}
		if cur, err = h.inherited(ctx, root, container, aclIRI); err != nil {
			return nil, err
		}
	default:
		return nil, refuse(http.StatusForbidden, "reading the ACL %s answered %d: you need Control there", aclIRI, rep.Status)
	}
	next := regrant(cur, aclIRI, container, agent, name, modes)
	if !wr.Create {
		if same, _ := rdf.Isomorphic(cur, next); same {
			return nil, nil
		}
	}
	var b strings.Builder
	if err := rdf.Write(&b, next, rdf.MediaTurtle); err != nil {
		return nil, err
	}
	wr.Body = b.String()
	return wr, nil
}

// missing reports whether the container does not exist yet.
func (h *Handler) missing(ctx context.Context, container string) (bool, error) {
	rep, err := h.get(ctx, container, rdf.MediaTurtle)
	if err != nil {
		return false, err
	}
	return rep.Status == http.StatusNotFound, nil
}

// inherited builds the ACL container gets in place of the one it inherits
// from its nearest ancestor with an ACL (up to the pod's root).
func (h *Handler) inherited(ctx context.Context, root, container, aclIRI string) (*rdf.Graph, error) {
	for c := parentOf(container); c != "" && inPod(c, root); c = parentOf(c) {
		g, rep, err := h.graph(ctx, c+".acl")
		if err != nil {
			return nil, refuse(http.StatusUnprocessableEntity, "the ACL %s.acl could not be read: %v", c, err)
		}
		if g != nil {
			return inherit(g, c, aclIRI, container), nil
		}
		if rep.Status != http.StatusNotFound {
			return nil, refuse(http.StatusForbidden, "reading the ACL %s.acl answered %d", c, rep.Status)
		}
	}
	return nil, refuse(http.StatusUnprocessableEntity, "no ACL found above %s in this pod", container)
}

// parentOf is the container holding the container c ("" at a host's root).
func parentOf(c string) string {
	t := strings.TrimSuffix(c, "/")
	i := strings.LastIndex(t, "/")
	if i < 0 || strings.HasSuffix(t[:i+1], "//") {
		return ""
	}
	return t[:i+1]
}
