// Package server wires Naamio together: configuration, logging, storage,
// the LDP handler, routes (the only user of chi) and the process lifecycle.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/federation"
	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/op"
	"github.com/naamio/naamio/internal/metrics"
	"github.com/naamio/naamio/internal/safehttp"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/modules"
	"github.com/naamio/naamio/notify"
	"github.com/naamio/naamio/web/solidos"
)

// buildLDP writes the root ACL on first start and builds the access
// control (ACL resolver, Solid-OIDC authenticator, group checker) and the
// LDP handler around the store. The authenticator is the server's
// middleware (routes); the handler reads the agent it establishes from
// the request's context.
func buildLDP(cfg Config, log *slog.Logger, store *badgerstore.Store, caches *derivedCaches, pods *idp.Pods,
	provider *op.Provider, mods *modules.Service, fed *federation.Service) (*ldp.Handler, *auth.Authenticator, error) {
	if err := ensureRootACL(context.Background(), store, cfg.BaseURL, cfg.OwnerWebID, log); err != nil {
		return nil, nil, err
	}
	loc, err := ldp.NewLocator(cfg.BaseURL, pods.Subdomain)
	if err != nil {
		return nil, nil, err
	}
	resolver, err := ldp.NewACLResolver(store, loc, 0)
	if err != nil {
		return nil, nil, err
	}
	fetch := safehttp.New(safehttp.Options{AllowAddrPorts: cfg.AllowFetch, Observe: observeFetch(cfg)})
	groups := newGroupChecker(store, loc, fetch)
	caches.set(loc, resolver, groups)
	lh, err := ldp.NewHandler(store, ldp.Config{
		BaseURL:       cfg.BaseURL,
		Locator:       loc,
		MaxRDFBody:    cfg.MaxRDFBody,
		MaxRDFTriples: cfg.MaxRDFTriples,
		RDFMemory:     cfg.RDFMemory,
		MaxBody:       cfg.MaxBody,
		Problems:      logProblems(log.With("component", "ldp")),
		ACL:           resolver,
		Groups:        groups,
		StorageRoot:   pods.IsRoot,
		Subscriptions: notify.Services(cfg.BaseURL),
		// Inrupt's notifications client discovers this (notify/gateway.go).
		NotificationGateway: notify.GatewayIRI(cfg.BaseURL),
		// Module manifests and validators are checked before a write
		// commits (modules/).
		NewGuard: mods.GuardFor,
		// Every resource links to its streaming notification channel; a
		// module's manifest also to the module's status; a WebID profile
		// to its ActivityPub actor.
		ResourceLinks: resourceLinks(notify.StreamLinks(cfg.BaseURL), mods.Links, profileLinks(fed)),
		// The SolidOS shell holds the person's session on a subdomain
		// pod's own origin: stored pages there are sandboxed too.
		SandboxPodHosts: cfg.DataBrowser == "solidos",
		// An ACL written by the pages' own scripts never takes Control
		// away from the person writing it (web/share, issue 15).
		KeepsControl: pagesClient(cfg.BaseURL),
	})
	if err != nil {
		return nil, nil, err
	}
	authn := auth.NewAuthenticator(auth.AuthOptions{
		BaseURL: cfg.BaseURL, Locator: loc, Client: fetch, Local: localRoutes(lh, provider),
		OptionalATH: !cfg.RequireATH, Revoked: ownRevoked(provider),
	})
	return lh, authn, nil
}

// localRoutes serves the server's own documents to its authenticator
// in-process (auth.AuthOptions.Local): WebID profiles from the LDP handler
// (a subdomain pod's on its own host), discovery and JWKS from the
// provider. It has no middleware: such a request carries no credentials,
// so the LDP handler reads it as anonymous, exactly as a fetch over the
// network would be.
func localRoutes(lh *ldp.Handler, provider *op.Provider) http.Handler {
	r := chi.NewRouter()
	r.Use(podHosts(lh.Locator(), lh))
	for _, p := range op.Paths {
		r.Handle(p, provider)
	}
	r.Handle("/*", lh)
	r.Handle("/", lh)
	return r
}

// openPods loads the registry of the store's pods.
func openPods(store *badgerstore.Store) (*idp.Pods, error) {
	records, err := store.KV(kv.Pods)
	if err != nil {
		return nil, err
	}
	return idp.LoadPods(context.Background(), records)
}

// ownRevoked reports the access tokens the server's own provider revoked
// before their expiry (auth.AuthOptions.Revoked).
func ownRevoked(p *op.Provider) func(iss, jti string) bool {
	return func(iss, jti string) bool { return iss == p.Issuer() && p.Revoked(jti) }
}

// signingKeyCheck is how often the running server checks the age of the
// OpenID Provider's signing key (Config.SigningKeyMaxAge).
const signingKeyCheck = time.Hour

// Server is one running Naamio.
type Server struct {
	cfg   Config
	log   *slog.Logger
	store *badgerstore.Store
	ldp   *ldp.Handler
	authn *auth.Authenticator
	pods  *idp.Pods
	id    *identity
	http  *http.Server
	// workers run in the background while the server serves (Serve).
	workers []worker
	// feed is the change-log feed, woken by every commit of store.
	feed *changeFeed
	// legacy serves the solid-0.1 notification sockets (a feed consumer).
	legacy *notify.Legacy
	// notify serves Solid Notifications (WebSocketChannel2023).
	notify *notify.Service
	// mods runs the pods' Wasm modules.
	mods *modules.Service
	// webhook serves WebhookChannel2023 and sends its deliveries (a feed
	// consumer and a worker).
	webhook *notify.Webhook
	// fed serves the ActivityPub actors and discovery (nil when
	// Config.Federation is off).
	fed *federation.Service
	// web serves the pages for people at /.web/ and at pod URLs.
	web *webPages
	// shell is the SolidOS data browser's page (nil: Naamio's own pages).
	shell *solidos.Shell
	// phase is starting, serving or stopping (/.naamio/ready); metricsAddr
	// the metrics listener's address once it listens (server/metrics.go).
	phase       serverPhase
	metricsAddr atomic.Value
}

// New opens the store and builds the HTTP stack. It does not listen yet.
func New(cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MetricsListen != "" {
		cfg.metrics = metrics.New()
	}
	reserve := cfg.DiskReserve
	if reserve == 0 {
		reserve = -1 // the store reads 0 as "default"; the operator asked for no reserve
	}
	caches := &derivedCaches{}
	feed := &changeFeed{}
	store, err := badgerstore.Open(cfg.DataDir, badgerstore.Options{
		Logger:      log.With("component", "store"),
		DiskReserve: reserve,
		Quota:       cfg.Quota,
		OnBatch:     observeBatch(cfg),
		// A newer format is migrated only after a backup (issue 16 item 7).
		BeforeMigrate: migrationBackup(cfg.DataDir),
		OnCommit: func(cs []event.Change) {
			caches.changed(cs)
			feed.committed(cs)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("open data directory %s: %w", cfg.DataDir, err)
	}
	if err := feed.open(store, cfg.ChangeLogRetention, log.With("component", "feed")); err != nil {
		_ = store.Close()
		return nil, err
	}
	if err := loadPodQuotas(context.Background(), store, cfg.PodQuotaDefault); err != nil {
		_ = store.Close()
		return nil, err
	}
	pods, err := openPods(store)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	id, err := newIdentity(context.Background(), cfg, store, pods, log)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	mods, err := newModules(cfg, store, pods, log)
	if err != nil {
		id.pages.Close()
		_ = store.Close()
		return nil, err
	}
	fed, err := newFederation(cfg, store, pods, log)
	if err != nil {
		mods.Close(context.Background())
		id.pages.Close()
		_ = store.Close()
		return nil, err
	}
	lh, authn, err := buildLDP(cfg, log, store, caches, pods, id.op, mods, fed)
	if err == nil {
		err = mods.Start(context.Background())
	}
	if err != nil {
		mods.Close(context.Background())
		id.pages.Close()
		_ = store.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, store: store, ldp: lh, authn: authn, pods: pods, id: id, feed: feed, mods: mods, fed: fed}
	if s.web, err = newWebPages(cfg, id, lh, log); err == nil {
		s.shell, err = newShell(cfg)
	}
	if err != nil {
		mods.Close(context.Background())
		lh.Close()
		id.pages.Close()
		_ = store.Close()
		return nil, err
	}
	feed.consumers = append(feed.consumers, mods.Installer(), mods.Reactors())
	feed.consumers = append(feed.consumers, fedConsumers(fed)...)
	if s.notify, s.webhook, s.legacy, err = newNotify(cfg, store, lh, id.op, feed, log); err != nil {
		mods.Close(context.Background())
		lh.Close()
		id.pages.Close()
		_ = store.Close()
		return nil, err
	}
	s.workers = []worker{
		{"signing-key rotation", func(ctx context.Context) {
			id.op.RotateEvery(ctx, cfg.SigningKeyMaxAge, signingKeyCheck)
		}},
		{"module reactors", func(ctx context.Context) { _ = mods.Run(ctx) }},
	}
	s.workers = append(s.workers, feed.workers()...)
	s.workers = append(s.workers, worker{"webhook senders", s.webhook.Run})
	s.workers = append(s.workers, fedWorkers(fed)...)
	if m := metricsOf(cfg); m != nil {
		s.watch(m)
	}
	s.http = &http.Server{
		Handler:           s.routes(lh),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	s.http.RegisterOnShutdown(s.legacy.Shutdown)
	s.http.RegisterOnShutdown(s.notify.Close)
	s.http.RegisterOnShutdown(s.notify.CloseStreams)
	return s, nil
}

func (s *Server) routes(lh *ldp.Handler) http.Handler {
	r := chi.NewRouter()
	// bodyDeadline first, so that every answer (a recovered panic's too)
	// goes through its rule for unread bodies. Who is calling is decided
	// once, here, for every request (after clientAddr, whose address the
	// authenticator's fetch limits count, and with the request's ID), and
	// travels in its context: the LDP handler and the access log read it
	// there (auth.AgentFrom). A failure is not answered here: the handler
	// decides what it means (401 or 503, or anonymous for OPTIONS); the
	// identity provider's endpoints ignore it.
	r.Use(bodyDeadline(s.cfg.BodyIdleTimeout), recoverPanics(s.log), clientAddr(s.cfg.TrustedProxies),
		requestID, s.authn.Middleware, accessLog(s.log))
	if m := metricsOf(s.cfg); m != nil {
		// Right inside accessLog, whose status recorder it reads; a
		// recovered panic is counted as the 500 it becomes.
		r.Use(measure(m, routeClasser(lh.Locator(), s.fed)))
	}
	// A subdomain pod's host serves that pod's resources and nothing else:
	// the identity provider, its cookies and the account API stay on the
	// base host, out of reach of the pod's own pages and scripts.
	// Every answer names the legacy solid-0.1 socket (Updates-Via), which
	// is served on the base host.
	r.Use(s.legacy.Advertise)
	pods := s.withShell(htmlPages(s.web.browse, fedInbox(s.fed, lh)))
	r.Use(podHosts(lh.Locator(), cors(pods)))
	r.Handle(notify.LegacyPath, s.legacy)
	// The OpenID Provider (Solid-OIDC): discovery, JWKS, authorization,
	// token, registration, revocation, logout. It answers CORS itself
	// (Access-Control-Allow-Origin: *) on the endpoints apps fetch;
	// providerCORS makes that answer fit credentialed fetches too.
	for _, p := range op.Paths {
		r.Handle(p, providerCORS(s.id.op))
	}
	// The account API (compatible with the Community Solid Server's) also
	// answers CORS itself, without credentials.
	r.Handle("/.account/*", s.id.api)
	r.Handle("/.account", s.id.api)
	// The pages for people (sign-up, log-in, consent, account): cookies,
	// so never the pod's credentialed CORS.
	r.Handle("/.idp/*", s.id.pages)
	r.Handle("/.idp", s.id.pages)
	pod := r.With(cors)
	pod.Get("/.naamio/health", s.health)
	pod.Get("/.naamio/ready", s.ready)
	pod.Handle(notify.ServicePath+"*", s.notify)
	pod.Handle(notify.WebhookPath+"*", s.webhook)
	pod.Handle(notify.GatewayPath+"*", s.notify)
	pod.Handle(notify.StreamPath+"*", s.notify)
	pod.Handle(modules.StatusPrefix+"/*", s.mods)
	mountFederation(pod, s.fed)
	s.mountWeb(r)
	s.mountShare(r)
	s.mountModulesPage(r)
	s.mountFediverse(r)
	r.Get(ExportZipPath, s.serveExportZip) // the owner's pod as a zip (export_web.go)
	pod.Handle("/*", pods)
	pod.Handle("/", pods)
	return r
}

// podHosts sends requests for a subdomain pod's host to pod.
func podHosts(loc *ldp.Locator, pod http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if loc.PodHost(r) {
				pod.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// health answers 200 while the store can read its root.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if _, err := s.store.Stat(r.Context(), "/"); err != nil {
		s.log.ErrorContext(r.Context(), "health check failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"unavailable"}` + "\n"))
		return
	}
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// Serve listens and serves until ctx is done, then shuts down gracefully:
// in-flight requests get shutdownGrace to finish, then the store is closed.
func (s *Server) Serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		s.mods.Close(context.Background())
		s.ldp.Close()
		_ = s.store.Close()
		return err
	}
	return s.ServeListener(ctx, ln)
}

// ServeListener is Serve on a listener already open (its address is the
// configured one); it closes ln.
func (s *Server) ServeListener(ctx context.Context, ln net.Listener) error {
	var err error
	stopRedirect := func() {}
	if ts, err := s.newTLSSetup(); err != nil || ts != nil {
		if err == nil {
			stopRedirect, err = s.serveTLSRedirect(ts.http)
		}
		if err != nil {
			_ = ln.Close()
			s.mods.Close(context.Background())
			s.ldp.Close()
			_ = s.store.Close()
			return fmt.Errorf("tls: %w", err)
		}
		ln = tls.NewListener(ln, ts.config) // tls.go
	}
	defer stopRedirect()
	maddr, stopMetrics, err := s.serveMetrics()
	if err != nil {
		_ = ln.Close()
		s.mods.Close(context.Background())
		s.ldp.Close()
		_ = s.store.Close()
		return fmt.Errorf("metrics listener: %w", err)
	}
	s.metricsAddr.Store(maddr)
	s.log.Info("naamio listening", "listen", ln.Addr().String(), "base_url", s.cfg.BaseURL, "data", s.cfg.DataDir)
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(ln) }()
	// Background work runs while the server serves and has stopped before
	// the store is closed.
	background := startWorkers(ctx, s.workers...)
	stopAdmin := s.serveAdmin(context.WithoutCancel(ctx))
	s.phase.v.Store(phaseServing)
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.log.Info("shutting down")
		s.phase.v.Store(phaseStopping)
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		err = s.http.Shutdown(sctx)
		cancel()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	s.phase.v.Store(phaseStopping)
	stopAdmin()
	stopMetrics()
	background.stop()
	s.mods.Close(context.Background())
	s.ldp.Close()
	s.id.pages.Close() // waits for reset mails being sent
	if cerr := s.store.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}
