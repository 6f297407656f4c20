// Package metrics is the server's Prometheus registry: the metric families
// Naamio exports on its metrics listener (naamio serve --metrics-listen),
// the few methods the server's hooks call to record an event, and the
// read-on-scrape sources for everything that is a state (store size,
// change-log lag, sockets, queues).
//
// It is the only package besides server that imports Prometheus: the lower
// packages (ldp/badgerstore, event, notify, modules, federation/deliver,
// internal/safehttp) expose plain counters, callbacks or methods, and
// server connects them here. Every label has a small fixed set of values
// (Methods, RouteClasses, the result lists below): a label is never taken
// from a URL, a host or anything else a client chooses.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// RouteClasses are the values of the route label of the HTTP metrics.
var RouteClasses = []string{"ldp", "idp", "account", "web", "federation", "notify", "modules", "well-known", "other"}

// RouteClasses ends with "other", and has nRoutes entries; Methods has
// nMethods (New checks both).

// Methods are the values of the method label; any other method counts as
// "other".
var Methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// FetchResults are the values of naamio_outbound_fetches_total's result.
var FetchResults = []string{"ok", "http_error", "refused", "too_large", "error"}

// DeliveryResults are the values of naamio_federation_deliveries_total's
// result.
var DeliveryResults = []string{"delivered", "retry", "dropped"}

// Metrics holds the registry and the families recorded by events.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	batches    prometheus.Histogram
	fetches    *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	// The series of each label combination, made at its first use (a
	// combination never seen exports nothing) and then reused: the request
	// path takes no lock and hashes no labels per request.
	reqs [nRoutes][nMethods + 1][nCodes]counterSlot
	durs [nRoutes]observerSlot
}

const (
	nRoutes  = 9 // len(RouteClasses)
	nMethods = 7 // len(Methods); index nMethods is "other"
	nCodes   = 5 // 1xx … 5xx
)

type counterSlot struct {
	once sync.Once
	c    prometheus.Counter
}

type observerSlot struct {
	once sync.Once
	o    prometheus.Observer
}

// New makes the registry with Naamio's families, the Go runtime's and the
// process's.
func New() *Metrics {
	if len(RouteClasses) != nRoutes || RouteClasses[nRoutes-1] != "other" || len(Methods) != nMethods {
		panic("metrics: RouteClasses or Methods changed without nRoutes or nMethods")
	}
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "naamio_http_requests_total",
		Help: "HTTP requests answered, by method, status class (2xx…5xx) and route class.",
	}, []string{"method", "code", "route"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "naamio_http_request_duration_seconds",
		Help:    "Time from a request's arrival to the end of its handler, by route class.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route"})
	m.batches = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "naamio_store_commit_batch_writes",
		Help:    "Writes committed together by one group commit (one Badger transaction, one sync).",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
	})
	m.fetches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "naamio_outbound_fetches_total",
		Help: "Requests (each redirect hop) made by the SSRF-safe client, by result: ok, http_error (4xx/5xx), refused (forbidden address or scheme), too_large, error.",
	}, []string{"result"})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "naamio_federation_deliveries_total",
		Help: "ActivityPub deliveries tried, by result: delivered, retry (back in the queue), dropped (refused for good, expired or sender gone).",
	}, []string{"result"})
	m.reg.MustRegister(m.requests, m.duration, m.batches, m.fetches, m.deliveries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, r := range FetchResults {
		m.fetches.WithLabelValues(r)
	}
	for _, r := range DeliveryResults {
		m.deliveries.WithLabelValues(r)
	}
	return m
}

// Handler serves the exposition (the metrics listener's /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Request records one answered request. A method or route class outside
// the fixed sets counts as "other", a status outside 100…599 as 5xx. A 1xx
// (a connection taken over by a WebSocket) is counted without latency.
func (m *Metrics) Request(method string, status int, route string, d time.Duration) {
	ri := index(RouteClasses, route, nRoutes-1) // "other" is last
	mi := index(Methods, method, nMethods)
	ci := status/100 - 1
	if ci < 0 || ci >= nCodes {
		ci = nCodes - 1
	}
	rs := &m.reqs[ri][mi][ci]
	rs.once.Do(func() {
		methodLabel := "other"
		if mi < nMethods {
			methodLabel = Methods[mi]
		}
		rs.c = m.requests.WithLabelValues(methodLabel, strconv.Itoa(ci+1)+"xx", RouteClasses[ri])
	})
	rs.c.Inc()
	if ci == 0 {
		return // 1xx: a hijacked connection (WebSocket), its lifetime no latency
	}
	ds := &m.durs[ri]
	ds.once.Do(func() { ds.o = m.duration.WithLabelValues(RouteClasses[ri]) })
	ds.o.Observe(d.Seconds())
}

// index is v's position in set, or otherwise.
func index(set []string, v string, otherwise int) int {
	for i, s := range set {
		if s == v {
			return i
		}
	}
	return otherwise
}

// Batch records the size of one group commit.
func (m *Metrics) Batch(writes int) { m.batches.Observe(float64(writes)) }

// Fetch records one request of the SSRF-safe client by result (one of
// FetchResults; anything else counts as "error").
func (m *Metrics) Fetch(result string) {
	m.fetches.WithLabelValues(oneOf(result, FetchResults, "error")).Inc()
}

// Delivery records one ActivityPub delivery attempt by result (one of
// DeliveryResults; anything else counts as "dropped").
func (m *Metrics) Delivery(result string) {
	m.deliveries.WithLabelValues(oneOf(result, DeliveryResults, "dropped")).Inc()
}

func oneOf(v string, set []string, otherwise string) string {
	for _, s := range set {
		if s == v {
			return v
		}
	}
	return otherwise
}
