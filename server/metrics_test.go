package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/naamio/naamio/internal/metrics"
	"github.com/naamio/naamio/internal/testdeps"
	"github.com/naamio/naamio/notify"
)

// freeAddr is a free loopback address for a listener.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startMetricsServer runs a real server with its metrics listener on a
// free loopback port; it returns the public URL and the metrics URL.
func startMetricsServer(t *testing.T, mod func(*Config)) (string, string) {
	t.Helper()
	maddr := freeAddr(t)
	url, _ := startServer(t, func(c *Config) {
		c.MetricsListen = maddr
		if mod != nil {
			mod(c)
		}
	})
	return url, "http://" + maddr + "/metrics"
}

// scrape fetches and parses the exposition text of u.
func scrape(t *testing.T, u string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	return fams
}

// labels of m as a map.
func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// value of the family's sample whose labels include want (the sum over
// every match; counters, gauges and the histograms' counts).
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	var sum float64
	found := false
	for _, m := range f.GetMetric() {
		ls := labelsOf(m)
		match := true
		for k, v := range want {
			if ls[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum, found
}

func mdo(t *testing.T, method, u, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "text/plain")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// Issue 16 item 4: after real traffic the metrics listener serves every
// family, with the traffic counted by method, status class and route
// class; the public listener has no /metrics.
func TestMetricsListenerServesFamilies(t *testing.T) {
	url, murl := startMetricsServer(t, nil)
	for i := range 5 {
		if r := mdo(t, "PUT", fmt.Sprintf("%s/notes/n%d.txt", url, i), "hello"); r.StatusCode/100 != 2 {
			t.Fatalf("PUT: %d", r.StatusCode)
		}
	}
	mdo(t, "GET", url+"/notes/n1.txt", "")
	mdo(t, "GET", url+"/notes/missing.txt", "")
	mdo(t, "GET", url+"/.well-known/openid-configuration", "")
	mdo(t, "GET", url+"/.well-known/webfinger?resource=acct:nobody@example", "")
	mdo(t, "GET", url+"/.naamio/health", "")
	// An authorization request naming a Client Identifier Document on a
	// loopback address makes the provider fetch it through the SSRF-safe
	// client, which refuses it: one outbound fetch, "refused".
	mdo(t, "GET", url+"/.oidc/auth?response_type=code&scope=openid+webid&client_id="+
		"https%3A%2F%2F127.0.0.1%3A1%2Fclient.jsonld&redirect_uri=https%3A%2F%2F127.0.0.1%3A1%2Fcb&code_challenge="+
		"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256", "")

	// The public listener has no /metrics, under any spelling.
	for _, p := range []string{"/metrics", "/metrics/", "/.naamio/metrics", "//metrics"} {
		req, _ := http.NewRequest("GET", url+p, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 || bytes.Contains(b, []byte("naamio_http_requests_total")) {
			t.Errorf("public GET %s: %d, %d bytes: the exposition leaked", p, resp.StatusCode, len(b))
		}
	}
	// The metrics listener serves /metrics and nothing else.
	if r := mdo(t, "GET", strings.TrimSuffix(murl, "/metrics")+"/.naamio/health", ""); r.StatusCode != 404 {
		t.Errorf("metrics listener GET /.naamio/health: %d, want 404", r.StatusCode)
	}

	// A notification socket (solid-0.1), open while the metrics are read:
	// counted as a 1xx notify request and as an open socket.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+notify.LegacyPath,
		&websocket.DialOptions{Subprotocols: []string{"solid-0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	// The upgrade is counted when its handler returns, which may be just
	// after the client has its 101: scrape until it is (a loaded CI
	// machine scraped first once).
	var fams map[string]*dto.MetricFamily
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		fams = scrape(t, murl)
		if v, ok := value(t, fams, "naamio_http_requests_total", map[string]string{"method": "GET", "code": "1xx", "route": "notify"}); ok && v >= 1 || time.Now().After(deadline) {
			break
		}
	}
	atLeast := func(name string, labels map[string]string, min float64) {
		t.Helper()
		v, ok := value(t, fams, name, labels)
		if !ok || v < min {
			t.Errorf("%s%v = %v (present %v), want >= %v", name, labels, v, ok, min)
		}
	}
	atLeast("naamio_http_requests_total", map[string]string{"method": "PUT", "code": "2xx", "route": "ldp"}, 5)
	atLeast("naamio_http_requests_total", map[string]string{"method": "GET", "code": "4xx", "route": "ldp"}, 1)
	atLeast("naamio_http_requests_total", map[string]string{"method": "GET", "code": "2xx", "route": "idp"}, 1)
	atLeast("naamio_http_requests_total", map[string]string{"method": "GET", "route": "federation"}, 1)
	atLeast("naamio_http_requests_total", map[string]string{"method": "GET", "code": "2xx", "route": "other"}, 1) // health
	atLeast("naamio_http_request_duration_seconds", map[string]string{"route": "ldp"}, 7)
	atLeast("naamio_store_commit_batch_writes", nil, 1)
	atLeast("naamio_store_size_bytes", map[string]string{"part": "lsm"}, 0)
	atLeast("naamio_store_size_bytes", map[string]string{"part": "vlog"}, 0)
	atLeast("naamio_store_value_log_gc_runs_total", nil, 0)
	atLeast("naamio_store_value_log_gc_rewrites_total", nil, 0)
	atLeast("naamio_store_read_only", nil, 0)
	atLeast("naamio_ready", nil, 1)
	atLeast("naamio_changelog_last_seq", nil, 5)
	for _, c := range []string{"notify", "webhook"} {
		found := false
		for _, m := range fams["naamio_changelog_consumer_lag_entries"].GetMetric() {
			if strings.Contains(labelsOf(m)["consumer"], c) {
				found = true
			}
		}
		if !found {
			t.Errorf("no change-log lag for a %s consumer: %v", c, fams["naamio_changelog_consumer_lag_entries"])
		}
	}
	atLeast("naamio_notification_sockets_open", nil, 1)
	atLeast("naamio_http_requests_total", map[string]string{"method": "GET", "code": "1xx", "route": "notify"}, 1)
	atLeast("naamio_module_calls_total", nil, 0)
	atLeast("naamio_module_call_failures_total", nil, 0)
	atLeast("naamio_federation_delivery_queue", nil, 0)
	atLeast("naamio_outbound_fetches_total", map[string]string{"result": "refused"}, 1)
	for _, r := range metrics.FetchResults {
		atLeast("naamio_outbound_fetches_total", map[string]string{"result": r}, 0)
	}
	for _, r := range metrics.DeliveryResults {
		atLeast("naamio_federation_deliveries_total", map[string]string{"result": r}, 0)
	}
	atLeast("go_goroutines", nil, 1)
	if v, _ := value(t, fams, "naamio_store_read_only", nil); v != 0 {
		t.Errorf("naamio_store_read_only = %v on a writable store", v)
	}
}

// Without --metrics-listen nothing is measured and nothing listens.
func TestMetricsOffByDefault(t *testing.T) {
	if defaults().MetricsListen != "" {
		t.Fatal("metrics are on by default")
	}
	url, _ := startServer(t, nil)
	if r := mdo(t, "GET", url+"/metrics", ""); r.StatusCode == 200 {
		t.Errorf("public /metrics without --metrics-listen: %d", r.StatusCode)
	}
}

// Issue 16 item 4: a flood of random paths and methods (hostile
// spellings, long and encoded paths) adds no label value: every series
// has a route class, method and status class from the fixed sets.
func TestMetricsRouteClassesBounded(t *testing.T) {
	url, murl := startMetricsServer(t, nil)
	rng := rand.New(rand.NewPCG(16, 4))
	word := func() string {
		const a = "abcdefghijklmnopqrstuvwxyz0123456789-._~%"
		b := make([]byte, 1+rng.IntN(40))
		for i := range b {
			b[i] = a[rng.IntN(len(a))]
		}
		return strings.ReplaceAll(string(b), "%", "%25")
	}
	prefixes := []string{"/", "/.", "/.web/", "/.idp/", "/.well-known/", "/.ap/actors/", "/.notifications/", "/.modules/",
		"/.account/", "/.oidc/", "/nodeinfo/", "/%2e", "/.%2e/", "//"}
	methods := []string{"GET", "HEAD", "POST", "OPTIONS", "DELETE", "PROPFIND", "X" + strings.ToUpper(word()[:1])}
	seen := []string{}
	for range 400 {
		w := word()
		seen = append(seen, w)
		p := prefixes[rng.IntN(len(prefixes))] + w
		if rng.IntN(10) == 0 {
			p += "/" + strings.Repeat(word(), 50)
		}
		req, err := http.NewRequest(methods[rng.IntN(len(methods))], url+p, nil)
		if err != nil {
			continue
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	fams := scrape(t, murl)
	reqs := fams["naamio_http_requests_total"].GetMetric()
	if len(reqs) == 0 {
		t.Fatal("no naamio_http_requests_total after the flood")
	}
	maxSeries := len(metrics.RouteClasses) * (len(metrics.Methods) + 1) * 5
	if len(reqs) > maxSeries {
		t.Errorf("%d request series, more than the %d the fixed label sets allow", len(reqs), maxSeries)
	}
	codes := []string{"1xx", "2xx", "3xx", "4xx", "5xx"}
	var total float64
	for _, m := range reqs {
		ls := labelsOf(m)
		if !slices.Contains(metrics.RouteClasses, ls["route"]) || !slices.Contains(append(slices.Clone(metrics.Methods), "other"), ls["method"]) ||
			!slices.Contains(codes, ls["code"]) || len(ls) != 3 {
			t.Errorf("series outside the fixed label sets: %v", ls)
		}
		total += m.GetCounter().GetValue()
	}
	if total < 400 {
		t.Errorf("%v requests counted, want the 400 sent", total)
	}
	if n := len(fams["naamio_http_request_duration_seconds"].GetMetric()); n > len(metrics.RouteClasses) {
		t.Errorf("%d latency series, more than the %d route classes", n, len(metrics.RouteClasses))
	}
	resp, err := http.Get(murl)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, w := range seen {
		if len(w) >= 8 && bytes.Contains(text, []byte(w)) {
			t.Fatalf("a requested path segment %q reached the exposition", w)
		}
	}
}

// Route classes, with hostile and edge spellings (issue 16 item 4).
func TestRouteClass(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"/", "ldp"},
		{"/alice/notes/a.ttl", "ldp"},
		{"/alice/.acl", "ldp"},
		{"/.idp/login", "idp"},
		{"/.idp", "idp"},
		{"/.idpx", "other"},
		{"/.oidc/token", "idp"},
		{"/.well-known/openid-configuration", "idp"},
		{"/.account/", "account"},
		{"/.web/static/style.css", "web"},
		{"/.ap/actors/alice", "federation"},
		{"/.ap/inbox", "federation"},
		{"/.well-known/webfinger", "federation"},
		{"/.well-known/nodeinfo", "federation"},
		{"/nodeinfo/2.1", "federation"},
		{"/nodeinfo/2.1x", "ldp"},
		{"/.notifications/WebSocketChannel2023/", "notify"},
		{"/.notifications/solid-0.1", "notify"},
		{"/.modules/status/x", "modules"},
		{"/.well-known/solid", "well-known"},
		{"/.well-known", "well-known"},
		{"/.naamio/health", "other"},
		{"/.", "other"},
		{"/.<script>alert(1)</script>", "other"},
		{"", "ldp"},
		{"/" + strings.Repeat("a", 1<<16), "ldp"},
	} {
		if got := routeClass(tc.path, "/.ap"); got != tc.want {
			t.Errorf("routeClass(%.40q) = %q, want %q", tc.path, got, tc.want)
		}
		if !slices.Contains(metrics.RouteClasses, routeClass(tc.path, "/.ap")) {
			t.Errorf("routeClass(%.40q) not a route class", tc.path)
		}
	}
}

// --metrics-listen / NAAMIO_METRICS_LISTEN: a bad-input table.
func TestMetricsListenConfig(t *testing.T) {
	for _, tc := range []struct {
		flag, env string
		ok        bool
		want      string
	}{
		{"", "", true, ""},
		{"127.0.0.1:9464", "", true, "127.0.0.1:9464"},
		{"", "[::1]:9464", true, "[::1]:9464"},
		{"127.0.0.1:9464", "127.0.0.1:1", true, "127.0.0.1:9464"}, // flag beats env
		{"localhost:0", "", true, "localhost:0"},
		{"127.0.0.1:8080", "", false, ""}, // the public listener's own address
		{"9464", "", false, ""},
		{"127.0.0.1:99999", "", false, ""},
		{"127.0.0.1:http", "", false, ""},
		{"127.0.0.1:-1", "", false, ""},
		{"http://127.0.0.1:9464/metrics", "", false, ""},
		{"<script>:1", "", false, ""},
		{"a b:1", "", false, ""},
		{strings.Repeat("x", 5000), "", false, ""},
		{"", "not an address", false, ""},
	} {
		var args []string
		if tc.flag != "" {
			args = []string{"--metrics-listen", tc.flag}
		}
		env := map[string]string{"NAAMIO_METRICS_LISTEN": tc.env}
		c, err := parseServeConfig(args, func(k string) string { return env[k] })
		if (err == nil) != tc.ok {
			t.Errorf("flag %.30q env %q: err %v, want ok %v", tc.flag, tc.env, err, tc.ok)
			continue
		}
		if tc.ok && c.MetricsListen != tc.want {
			t.Errorf("flag %q env %q: MetricsListen %q, want %q", tc.flag, tc.env, c.MetricsListen, tc.want)
		}
	}
}

// tmpfsFor mounts a tmpfs of size bytes (SECURITY row 53's disk-full
// machinery, as in ldp/badgerstore and conformance) and unmounts it at the
// end.
func tmpfsFor(t *testing.T, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		testdeps.Missing(t, testdeps.Root, "the readiness disk-full test needs root to mount a tmpfs (mount -t tmpfs)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	return dir
}

// fillDisk grows filler until the file system refuses more.
func fillDisk(t *testing.T, filler string) {
	t.Helper()
	f, err := os.OpenFile(filler, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := bytes.Repeat([]byte{0xF1}, 1<<20)
	for {
		if _, err := f.Write(buf); errors.Is(err, syscall.ENOSPC) {
			return
		} else if err != nil {
			t.Fatal(err)
		}
	}
}

// readyState is /.naamio/ready's status and state.
func readyState(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url + "/.naamio/ready")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// Issue 16 item 4, SECURITY row 53: /.naamio/ready (and naamio_ready,
// naamio_store_read_only) say when the store refuses writes for lack of
// disk, while /.naamio/health stays 200 (reads are served), and flip back
// once space returns.
func TestReadyFlipsWhenStoreReadOnly(t *testing.T) {
	mnt := tmpfsFor(t, 160<<20)
	url, murl := startMetricsServer(t, func(c *Config) {
		c.DataDir = filepath.Join(mnt, "data")
		c.DiskReserve = 1 << 20
	})
	if st, body := readyState(t, url); st != 200 || body != `{"status":"ready"}` {
		t.Fatalf("ready on a roomy disk: %d %s", st, body)
	}
	if r := mdo(t, "PUT", url+"/kept.txt", "kept"); r.StatusCode/100 != 2 {
		t.Fatalf("PUT: %d", r.StatusCode)
	}
	filler := filepath.Join(mnt, "filler")
	fillDisk(t, filler)
	if st, body := readyState(t, url); st != 503 || body != `{"status":"read-only"}` {
		t.Errorf("ready on a full disk: %d %s, want 503 read-only", st, body)
	}
	fams := scrape(t, murl)
	if v, _ := value(t, fams, "naamio_store_read_only", nil); v != 1 {
		t.Errorf("naamio_store_read_only = %v on a full disk", v)
	}
	if v, _ := value(t, fams, "naamio_ready", nil); v != 0 {
		t.Errorf("naamio_ready = %v on a full disk", v)
	}
	if r := mdo(t, "GET", url+"/.naamio/health", ""); r.StatusCode != 200 {
		t.Errorf("health on a full disk: %d, want 200 (reads are served)", r.StatusCode)
	}
	if r := mdo(t, "PUT", url+"/new.txt", "x"); r.StatusCode != http.StatusInsufficientStorage {
		t.Errorf("PUT on a full disk: %d, want 507", r.StatusCode)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	st, body := readyState(t, url)
	for st != 200 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		st, body = readyState(t, url)
	}
	if st != 200 || body != `{"status":"ready"}` {
		t.Fatalf("ready after space returned: %d %s", st, body)
	}
	if v, _ := value(t, scrape(t, murl), "naamio_store_read_only", nil); v != 0 {
		t.Errorf("naamio_store_read_only = %v after space returned", v)
	}
}

// The public listener's readiness while starting and stopping.
func TestReadyPhases(t *testing.T) {
	s, _ := newOwned(t)
	defer closeServer(s)
	if got := s.readiness(); got != readyStarting {
		t.Errorf("before Serve: %q, want starting", got)
	}
	s.phase.v.Store(phaseServing)
	if got := s.readiness(); got != readyOK {
		t.Errorf("serving: %q, want ready", got)
	}
	s.phase.v.Store(phaseStopping)
	if got := s.readiness(); got != readyStopping {
		t.Errorf("stopping: %q", got)
	}
}

// A metrics address that cannot be bound stops Serve with an error that
// names it, before the server answers anything.
func TestMetricsListenBusy(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	s, cfg := newOwned(t)
	closeServer(s) // built without metrics; build again with them
	cfg.Listen = freeAddr(t)
	cfg.MetricsListen = busy.Addr().String()
	log, _ := NewLogger(io.Discard, "json", "info")
	s, err = New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Serve(t.Context())
	if err == nil || !strings.Contains(err.Error(), "metrics listener") {
		t.Fatalf("Serve with the metrics address taken: %v", err)
	}
}
