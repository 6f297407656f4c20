package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/federation"
	"github.com/naamio/naamio/federation/deliver"
	"github.com/naamio/naamio/federation/httpsig"
	"github.com/naamio/naamio/federation/remote"
	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/internal/safehttp"
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
	queue, err := store.KV(kv.DeliveryQueue)
	if err != nil {
		return nil, err
	}
	keys := federation.NewKeyStore(records)
	// Every fetch and delivery goes through the SSRF-safe client: https,
	// or a loopback destination the operator allowed (--allow-fetch-addr,
	// over http too), as notify's webhook does. Every fetch is signed as the server's instance actor, for peers that
	// refuse unsigned GETs ("authorized fetch").
	fetcher := &remote.Fetcher{Client: safehttp.New(safehttp.Options{
		Timeout: fedFetchTimeout, AllowAddrPorts: cfg.AllowFetch, UserAgent: "naamio-federation",
		Observe: observeFetch(cfg)}),
		Sign: federation.InstanceSigner(paths, keys)}
	verifier, err := httpsig.NewVerifier(remote.NewKeyCache(fetcher, remote.KeyCacheOptions{Now: cfg.fedKeyClock}), cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	// A subdomain pod's inbox is on its own host, one label below the base.
	verifier.Subdomains = true
	dlv, err := deliver.New(context.Background(), deliver.Config{
		Queue: queue,
		Client: safehttp.New(safehttp.Options{Timeout: deliver.DefaultTimeout, MaxRedirects: -1,
			AllowAddrPorts: cfg.AllowFetch, UserAgent: "naamio-federation", Observe: observeFetch(cfg)}),
		SignerFor: podSigner(paths, keys, pods),
		Outcome:   observeDelivery(cfg),
		Log:       log.With("component", "federation-deliver"),
	})
	if err != nil {
		return nil, err
	}
	rel := federation.NewRelations(records)
	// The reverse indexes of followers and waiting Follows, for records an
	// older server wrote (once; later starts skip it).
	if err := rel.EnsureReverse(context.Background()); err != nil {
		return nil, fmt.Errorf("federation: building the reverse relations: %w", err)
	}
	return federation.New(federation.Config{
		Paths: paths, Locator: loc, Store: store, Pods: pods,
		Keys: keys, Records: records,
		Relations: rel,
		Deliver:   dlv, Verifier: verifier, Fetch: fetcher,
		InboxRate: float64(cfg.InboxRate), InboxBurst: cfg.InboxBurst,
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

// fedFetchTimeout bounds one fetch of a remote actor, key or object.
const fedFetchTimeout = 10 * time.Second

// podSigner is the deliveries' deliver.Config.SignerFor: a pod's actor
// signs with its own key (draft-cavage rsa-sha256, the form every peer
// verifies), named by Paths.KeyID. A pod that no longer exists has no
// signer, and its deliveries are dropped.
func podSigner(paths *federation.Paths, keys federation.Keys, pods *idp.Pods) func(context.Context, string) (deliver.Signer, error) {
	return func(ctx context.Context, pod string) (deliver.Signer, error) {
		if _, ok := pods.OwnerWebID(pod); !ok {
			return nil, fmt.Errorf("%w: pod %q", deliver.ErrUnknownSender, pod)
		}
		k, err := keys.Key(ctx, pod)
		if err != nil {
			return nil, err
		}
		keyID := paths.KeyID(pod)
		return func(req *http.Request, body []byte) error {
			return httpsig.Sign(req, keyID, k.Private, body)
		}, nil
	}
}

// fedWorkers is the federation's background work: the delivery senders.
func fedWorkers(fed *federation.Service) []worker {
	if fed == nil || fed.Deliverer() == nil {
		return nil
	}
	return []worker{{"federation delivery", fed.Deliverer().Run}}
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
	r.Handle(fed.Paths().Mount()+"/actors/{pod}/followers", h)
	r.Handle(fed.Paths().Mount()+"/actors/{pod}/following", h)
	r.Handle(fed.Paths().Mount()+"/inbox", h)
	r.Handle(fed.Paths().Mount()+"/instance", h)
	oh := fed.OutboxHandler()
	for _, p := range []string{"/outbox", "/objects/{id}", "/activities/{id}"} {
		r.Handle(fed.Paths().Mount()+"/actors/{pod}"+p, oh)
	}
}

// fedConsumers are the federation's change-log consumers: delivery of
// the owners' activities, and Updates of the actor when a WebID profile
// changes.
func fedConsumers(fed *federation.Service) []event.Consumer {
	if fed == nil {
		return nil
	}
	return []event.Consumer{fed.OutboxConsumer(), fed.ProfileConsumer()}
}

// fedInbox sends the requests for a pod's inbox that are federation's
// (signed or AS2 POSTs, GETs asking for AS2: federation.InboxRequest) to
// it, and everything else to the LDP handler, which keeps serving the
// container as the pod's Linked Data Notifications inbox.
func fedInbox(fed *federation.Service, lh *ldp.Handler) http.Handler {
	if fed == nil {
		return lh
	}
	fed.SetAccess(ldpAccess{lh})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if pod, ok := fed.InboxRequest(r); ok {
			fed.ServeInbox(w, r, pod)
			return
		}
		lh.ServeHTTP(w, r)
	})
}

// ldpAccess gives federation the LDP handler's access decisions.
type ldpAccess struct{ lh *ldp.Handler }

func (a ldpAccess) MayReadRequest(r *http.Request, p string) bool {
	ag, err := ldp.RequestAgent(r)
	return err == nil && a.lh.MayRead(r.Context(), ag, p)
}

func (a ldpAccess) RefuseRead(w http.ResponseWriter, r *http.Request, p string) {
	a.lh.RefuseRead(w, r, p)
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
