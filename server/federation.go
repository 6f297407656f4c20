package server

import (
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/go-chi/chi/v5"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/federation"
	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
)

// newFederation builds the ActivityPub endpoints (issue 14): actors,
// WebFinger, NodeInfo, host-meta. Nil when Config.Federation is off.
func newFederation(cfg Config, store *badgerstore.Store, pods *idp.Pods, log *slog.Logger) (*federation.Service, error) {
	if !cfg.Federation {
		return nil, nil
	}
	loc, err := ldp.NewLocator(cfg.BaseURL, pods.Subdomain)
	if err != nil {
		return nil, err
	}
	paths, err := federation.NewPaths(cfg.BaseURL, func(name string) string { return loc.IRI("/" + name + "/") })
	if err != nil {
		return nil, err
	}
	records, err := store.KV(kv.Federation)
	if err != nil {
		return nil, err
	}
	return federation.New(federation.Config{
		Paths: paths, Locator: loc, Store: store, Pods: pods,
		Keys: federation.NewKeyStore(records), Records: records,
		Software: federation.Software{Name: "naamio", Version: buildVersion(),
			Repository: "https://github.com/naamio/naamio"},
		OpenRegistrations: cfg.Registration == "open",
		Log:               log.With("component", "federation"),
		Agent: func(r *http.Request) (string, error) {
			a, err := auth.AgentFrom(r.Context())
			return a.WebID, err
		},
	})
}

// profileLinks is the Link to the actor on WebID profiles
// (ldp.Config.ResourceLinks); none when federation is off.
func profileLinks(fed *federation.Service) func(string) string {
	if fed == nil {
		return func(string) string { return "" }
	}
	return fed.ProfileLinks
}

// mountFederation routes the federation endpoints on the base host, with
// the pod routes' CORS (discovery also answers "*" itself, RFC 7033 §5).
// The actor IRIs are under /.ap/ (after the base URL's path), a root
// segment no pod resource can take (ldp.Locator reserves every first
// segment starting with ".").
func mountFederation(r chi.Router, fed *federation.Service) {
	if fed == nil {
		return
	}
	h := fed.Handler()
	for _, p := range []string{federation.WebFingerPath, federation.HostMetaPath, federation.HostMetaJSONPath,
		federation.NodeInfoLinkPath, federation.NodeInfoPath} {
		r.Handle(p, h)
	}
	r.Handle(fed.Paths().Mount()+"/actors/{pod}", h)
	oh := fed.OutboxHandler()
	for _, p := range []string{"/outbox", "/objects/{id}", "/activities/{id}"} {
		r.Handle(fed.Paths().Mount()+"/actors/{pod}"+p, oh)
	}
}

// buildVersion is the module version this binary was built as, or its
// VCS revision, for NodeInfo's software.version.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "0.0.0-" + s.Value[:12]
		}
	}
	return "dev"
}
