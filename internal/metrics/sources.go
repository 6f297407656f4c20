package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Sources are read when the metrics are scraped; a nil field exports
// nothing. Each must be cheap (no scan of the store) and safe to call from
// any goroutine.
type Sources struct {
	// StoreSize is the bytes of the store's LSM tree and value log.
	StoreSize func() (lsm, vlog int64)
	// ValueLogGC is the value-log GC runs and the files they rewrote.
	ValueLogGC func() (runs, rewrites int64)
	// ReadOnly is true while the store refuses every write (opened
	// read-only for lack of disk, or out of room now).
	ReadOnly func() bool
	// Ready is true while the server is ready for traffic (Readiness).
	Ready func() bool
	// LastSeq is the change log's newest sequence number.
	LastSeq func() uint64
	// Consumers is each change-log consumer's cursor (the last entry it
	// handled), by consumer name; the names are the server's fixed list.
	Consumers func() map[string]uint64
	// NotificationSockets is the notification sockets open now.
	NotificationSockets func() int64
	// ModuleCalls is the module calls made since start and how many failed.
	ModuleCalls func() (calls, failures int64)
	// DeliveryQueue is the ActivityPub deliveries queued now.
	DeliveryQueue func() int64
}

// Watch registers the collectors that read src on every scrape.
func (m *Metrics) Watch(src Sources) {
	m.reg.MustRegister(sourceCollector{src})
}

var (
	descStore = prometheus.NewDesc("naamio_store_size_bytes",
		"Bytes of the store's files, by part: lsm (the key tree) and vlog (the value log).", []string{"part"}, nil)
	descGCRuns = prometheus.NewDesc("naamio_store_value_log_gc_runs_total",
		"Value-log garbage-collection passes run by the store.", nil, nil)
	descGCRewrites = prometheus.NewDesc("naamio_store_value_log_gc_rewrites_total",
		"Value-log files rewritten (space reclaimed) by garbage collection.", nil, nil)
	descReadOnly = prometheus.NewDesc("naamio_store_read_only",
		"1 while the store refuses every write for lack of disk space (507), else 0.", nil, nil)
	descReady = prometheus.NewDesc("naamio_ready",
		"1 while the server is ready (started, store writable), else 0: the state of /.naamio/ready.", nil, nil)
	descLastSeq = prometheus.NewDesc("naamio_changelog_last_seq",
		"Sequence number of the newest change-log entry.", nil, nil)
	descLag = prometheus.NewDesc("naamio_changelog_consumer_lag_entries",
		"Change-log entries committed but not yet handled, by consumer.", []string{"consumer"}, nil)
	descSockets = prometheus.NewDesc("naamio_notification_sockets_open",
		"Notification sockets open now (WebSocketChannel2023, streaming HTTP and solid-0.1).", nil, nil)
	descModCalls = prometheus.NewDesc("naamio_module_calls_total",
		"Calls into Wasm modules (reactors and validators) since start.", nil, nil)
	descModFails = prometheus.NewDesc("naamio_module_call_failures_total",
		"Calls into Wasm modules that failed (trap, timeout, memory cap, error result) since start.", nil, nil)
	descQueue = prometheus.NewDesc("naamio_federation_delivery_queue",
		"ActivityPub deliveries waiting in the durable queue (retries included).", nil, nil)
)

type sourceCollector struct{ s Sources }

func (c sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descStore, descGCRuns, descGCRewrites, descReadOnly, descReady,
		descLastSeq, descLag, descSockets, descModCalls, descModFails, descQueue} {
		ch <- d
	}
}

func (c sourceCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	if s.StoreSize != nil {
		lsm, vlog := s.StoreSize()
		gauge(descStore, float64(lsm), "lsm")
		gauge(descStore, float64(vlog), "vlog")
	}
	if s.ValueLogGC != nil {
		runs, rewrites := s.ValueLogGC()
		counter(descGCRuns, float64(runs))
		counter(descGCRewrites, float64(rewrites))
	}
	if s.ReadOnly != nil {
		gauge(descReadOnly, b2f(s.ReadOnly()))
	}
	if s.Ready != nil {
		gauge(descReady, b2f(s.Ready()))
	}
	if s.LastSeq != nil {
		last := s.LastSeq()
		gauge(descLastSeq, float64(last))
		if s.Consumers != nil {
			for name, cur := range s.Consumers() {
				lag := uint64(0)
				if last > cur {
					lag = last - cur
				}
				gauge(descLag, float64(lag), name)
			}
		}
	}
	if s.NotificationSockets != nil {
		gauge(descSockets, float64(s.NotificationSockets()))
	}
	if s.ModuleCalls != nil {
		calls, fails := s.ModuleCalls()
		counter(descModCalls, float64(calls))
		counter(descModFails, float64(fails))
	}
	if s.DeliveryQueue != nil {
		gauge(descQueue, float64(s.DeliveryQueue()))
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
