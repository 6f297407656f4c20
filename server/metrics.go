package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/naamio/naamio/federation"
	"github.com/naamio/naamio/idp/op"
	"github.com/naamio/naamio/internal/metrics"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/modules"
	"github.com/naamio/naamio/notify"
)

// Metrics (issue 16 item 4): with --metrics-listen the server keeps a
// Prometheus registry (internal/metrics) and serves it at /metrics on that
// address alone, never on the public listener. Without it the registry is
// never made: every hook below is then nil and costs nothing.

// metricsOf is the registry of cfg (nil: metrics are off).
func metricsOf(cfg Config) *metrics.Metrics { return cfg.metrics }

// observeFetch is the SSRF-safe clients' safehttp.Options.Observe (nil
// when metrics are off).
func observeFetch(cfg Config) func(string) {
	if cfg.metrics == nil {
		return nil
	}
	return cfg.metrics.Fetch
}

// observeDelivery is deliver.Config.Outcome (nil when metrics are off).
func observeDelivery(cfg Config) func(string) {
	if cfg.metrics == nil {
		return nil
	}
	return cfg.metrics.Delivery
}

// observeBatch is badgerstore.Options.OnBatch (nil when metrics are off).
func observeBatch(cfg Config) func(int) {
	if cfg.metrics == nil {
		return nil
	}
	return cfg.metrics.Batch
}

// watch registers the read-on-scrape sources of a built server.
func (s *Server) watch(m *metrics.Metrics) {
	src := metrics.Sources{
		StoreSize: func() (int64, int64) {
			st := s.store.Stats()
			return st.LSMBytes, st.VLogBytes
		},
		ValueLogGC: func() (int64, int64) {
			st := s.store.Stats()
			return st.GCRuns, st.GCRewrites
		},
		ReadOnly:    func() bool { return s.store.CanWrite() != nil },
		Ready:       func() bool { return s.readiness() == readyOK },
		LastSeq:     s.store.LastSeq,
		Consumers:   s.feed.cursors,
		ModuleCalls: s.mods.Tally().Counts,
		NotificationSockets: func() int64 {
			return s.notify.Sockets().Open()
		},
	}
	if s.fed != nil && s.fed.Deliverer() != nil {
		d := s.fed.Deliverer()
		src.DeliveryQueue = func() int64 { return int64(d.Queued()) }
	}
	m.Watch(src)
}

// cursors is each durable consumer's cursor, by name (a KV read each).
func (f *changeFeed) cursors() map[string]uint64 {
	out := make(map[string]uint64, len(f.consumers))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, c := range f.consumers {
		cur, _, err := f.feed.Cursors.Load(ctx, c.Name())
		if err != nil {
			continue
		}
		out[c.Name()] = uint64(cur)
	}
	return out
}

// measure records every request of the public listener: method, status
// class, route class (routeClass: never the path itself) and latency from
// the request's start (requestID's time, so the authentication middleware
// counts too). It sits right inside accessLog and reads the status from
// accessLog's recorder, so it wraps nothing itself; outside that chain it
// wraps. A hijacked connection (a WebSocket upgrade, status 101) is
// counted, and its lifetime observed as its latency would be no request's:
// it is left out of the histogram.
func measure(m *metrics.Metrics, class func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start, ok := r.Context().Value(requestStartKey).(time.Time)
			if !ok {
				start = time.Now()
			}
			ww, ok := w.(middleware.WrapResponseWriter)
			if !ok {
				ww = middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			}
			route := class(r)
			defer func() {
				status := ww.Status()
				if status == 0 {
					status = http.StatusOK
				}
				if v := recover(); v != nil {
					// recoverPanics, outside, answers 500.
					status = http.StatusInternalServerError
					defer panic(v)
				}
				m.Request(r.Method, status, route, time.Since(start))
			}()
			next.ServeHTTP(ww, r)
		})
	}
}

// routeClasser classifies a request by the part of the server that
// answers it, from a fixed list (metrics.RouteClasses): a subdomain pod's
// host and every path outside the reserved "/." namespace are "ldp".
func routeClasser(loc *ldp.Locator, fed *federation.Service) func(*http.Request) string {
	apMount := ""
	if fed != nil {
		apMount = fed.Paths().Mount()
	}
	return func(r *http.Request) string {
		if loc != nil && loc.PodHost(r) {
			return "ldp"
		}
		return routeClass(r.URL.Path, apMount)
	}
}

// routeClass is the class of a path on the base host.
func routeClass(p, apMount string) string {
	under := func(prefix string) bool {
		prefix = strings.TrimSuffix(prefix, "/")
		return p == prefix || strings.HasPrefix(p, prefix+"/")
	}
	switch {
	case !strings.HasPrefix(p, "/.") && !under(federation.NodeInfoPath):
		return "ldp"
	case under("/.idp"), under("/.oidc"), p == op.PathDiscovery:
		return "idp"
	case under("/.account"):
		return "account"
	case under("/.web"):
		return "web"
	case apMount != "" && under(apMount), under(federation.NodeInfoPath), p == federation.WebFingerPath,
		p == federation.HostMetaPath, p == federation.HostMetaJSONPath, p == federation.NodeInfoLinkPath:
		return "federation"
	case under("/.notifications"), under(notify.LegacyPath):
		return "notify"
	case under(modules.StatusPrefix), under("/.modules"):
		return "modules"
	case under("/.well-known"):
		return "well-known"
	default:
		return "other"
	}
}

// serveMetrics listens on cfg.MetricsListen and serves /metrics there
// (nothing else) until stop is called. It returns the listener's address.
func (s *Server) serveMetrics() (addr string, stop func(), err error) {
	m := metricsOf(s.cfg)
	if m == nil {
		return "", func() {}, nil
	}
	ln, err := net.Listen("tcp", s.cfg.MetricsListen)
	if err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: s.cfg.ReadHeaderTimeout, IdleTimeout: idleTimeout,
		MaxHeaderBytes: maxHeaderBytes}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("metrics listener failed", "err", err)
		}
	}()
	s.log.Info("metrics listening", "metrics_listen", ln.Addr().String())
	return ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
	}, nil
}

// Readiness states of /.naamio/ready.
const (
	readyOK       = "ready"
	readyStarting = "starting"
	readyStopping = "stopping"
	readyReadOnly = "read-only"
)

// Server phases (Server.phase).
const (
	phaseStarting int32 = iota
	phaseServing
	phaseStopping
)

// serverPhase is where the process is in its life.
type serverPhase struct{ v atomic.Int32 }

// readiness is the server's state for a load balancer or an operator:
// ready, starting (the listener is up, the background work not yet),
// stopping, or read-only (the store refuses writes for lack of disk: it
// was opened read-only and waits for room to reopen, or the free space is
// below what a write needs plus the reserve; reads are still served).
func (s *Server) readiness() string {
	switch s.phase.v.Load() {
	case phaseStarting:
		return readyStarting
	case phaseStopping:
		return readyStopping
	}
	if s.store.CanWrite() != nil {
		return readyReadOnly
	}
	return readyOK
}

// ready answers /.naamio/ready: 200 {"status":"ready"} or 503 with the
// state. /.naamio/health stays the cheap liveness check (the store reads).
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	st := s.readiness()
	if st != readyOK {
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write([]byte(`{"status":"` + st + `"}` + "\n"))
}
