// Command load is Naamio's load generator. It talks to a running server on a
// loopback address only, and every scenario is bounded both in requests and
// in time.
//
// Scenarios:
//
//	get   GET of one small Turtle resource
//	put   PUT of new small Turtle resources at unique paths
//	list  GET of a container with -children children (seeded first)
//	rss   PUT -rss-count small resources, then read the server's VmRSS
//	patch N3 PATCH (delete one triple, insert one) on -patch-triples-triple
//	      resources: one resource per connection, then all connections on one
//	big   PUT then GET a -big-size body streamed from a generator, with the
//	      server's peak VmRSS sampled every 50 ms (needs -pid)
//	pubget  anonymous GET of a small Turtle resource whose ACL grants
//	      foaf:Agent Read
//	authget GET of a private small Turtle resource as the owner, a fresh
//	      DPoP proof per request, made before the timed window (needs -issuer)
//	all   get, pubget, authget (with -issuer), put, list, rss, patch, big
//	rdfmem  20 concurrent worst-case RDF bodies and patches, peak VmRSS
//	      (rdfmem.go; not part of all)
//
// Access control: with -issuer ADDR -issuer-key FILE the tool runs a test
// Solid-OIDC issuer on ADDR (see auth.go) and signs every request of the
// get, put, list, rss, patch and big scenarios as the owner, whose WebID is
// http://ADDR/owner/profile/card#me (the server's --owner-webid). Without
// -issuer, requests are anonymous (a server without access control). With
// -presign, get, put, list and patch send proofs made before their timed
// window, as authget always does, so that the client's ECDSA signing does not
// share the cores with the server during the measurement.
//
// Helpers for scripts: -free-port prints a free loopback port; -wait-health
// waits until <target>.naamio/health answers 200.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/internal/testissuer"
)

type config struct {
	target       *url.URL
	scenario     string
	conns        int
	duration     time.Duration
	maxRequests  int
	children     int
	putDirs      int
	rssCount     int
	rssTimeout   time.Duration
	pid          int
	format       string
	patchTriples int
	bigSize      int64
	bigTimeout   time.Duration
	owner        *testissuer.Agent // nil: no -issuer, requests are anonymous
	proofRate    float64
	proofCap     int
	proofWindow  time.Duration
	pubBaseline  float64
	presign      bool
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	target := fs.String("target", "", "server base URL, loopback only (e.g. http://127.0.0.1:8080/)")
	scenario := fs.String("scenario", "all", "get, pubget, authget, put, list, rss, patch, big or all")
	conns := fs.Int("c", 64, "concurrent connections")
	duration := fs.Duration("d", 10*time.Second, "duration of each timed scenario")
	maxReq := fs.Int("n", 2_000_000, "maximum requests of each timed scenario")
	children := fs.Int("children", 1000, "children of the listed container")
	putDirs := fs.Int("put-containers", 0, "containers the PUT scenario spreads its new resources over (0: one per connection)")
	rssCount := fs.Int("rss-count", 100_000, "resources PUT before reading RSS")
	rssTimeout := fs.Duration("rss-timeout", 10*time.Minute, "time bound of the rss scenario")
	pid := fs.Int("pid", 0, "server process id (for the rss and big scenarios)")
	patchTriples := fs.Int("patch-triples", 100, "triples in each resource of the patch scenario")
	bigSize := fs.Int64("big-size", 1<<30, "body size of the big scenario, bytes")
	bigTimeout := fs.Duration("big-timeout", 5*time.Minute, "time bound of the big scenario (each direction)")
	format := fs.String("format", "md", "output: md (Markdown table) or text")
	freePort := fs.Bool("free-port", false, "print a free loopback TCP port and exit")
	waitHealth := fs.Duration("wait-health", 0, "wait up to this long for the target's health check, then exit")
	prepare := fs.String("prepare", "", "create <target><name>/small.ttl and <target><name>/list/ with -children children (public-read with -issuer), print both URLs and exit (for wrk)")
	issuerAddr := fs.String("issuer", "", "run the test Solid-OIDC issuer on this loopback ip:port and sign requests as its agent \"owner\"")
	issuerKey := fs.String("issuer-key", "", "PEM file of the issuer's P-256 signing key (created if missing; keeps the JWKS across runs)")
	proofRate := fs.Float64("proof-rate", 12000, "authget: proofs made per second of -d (the most requests it can send)")
	proofCap := fs.Int("proof-cap", 300_000, "authget: at most this many proofs")
	proofWindow := fs.Duration("proof-window", auth.DefaultProofWindow, "authget: the server's accepted |now - iat| of a proof")
	presignFlag := fs.Bool("presign", false, "with -issuer: the get, put, list and patch scenarios send proofs made before the timed window instead of signing each request as it is sent")
	pubBaseline := fs.Float64("pub-baseline", 0, "pubget: req/s of the GET without access control; met if within 20%")
	var rc rdfmemConfig
	fs.IntVar(&rc.workers, "rdfmem-c", 20, "rdfmem: concurrent workers")
	fs.IntVar(&rc.rounds, "rdfmem-rounds", 3, "rdfmem: requests per worker")
	fs.IntVar(&rc.triples, "rdfmem-triples", 200_000, "rdfmem: the server's triple limit (bodies have one triple less)")
	fs.DurationVar(&rc.limit, "rdfmem-limit", 60*time.Second, "rdfmem: time bound of the whole scenario")
	fs.Int64Var(&rc.rssCap, "rdfmem-rss-cap", 2<<30, "rdfmem: kill the server (-pid) and cancel every request once its RSS passes this many bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *freePort {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer l.Close()
		fmt.Fprintln(out, l.Addr().(*net.TCPAddr).Port)
		return nil
	}
	u, err := loopbackURL(*target)
	if err != nil {
		return err
	}
	if *waitHealth > 0 {
		return waitHealthy(u, *waitHealth)
	}
	if *conns < 1 || *conns > 4096 {
		return errors.New("-c must be between 1 and 4096")
	}
	var owner *testissuer.Agent
	if *issuerAddr != "" {
		iss, agent, err := startIssuer(*issuerAddr, *issuerKey)
		if err != nil {
			return err
		}
		defer iss.Close()
		owner = agent
	}
	if *prepare != "" {
		return prepareFixtures(u, *prepare, *conns, *children, owner, out)
	}
	serverPID = *pid
	cfg := config{target: u, scenario: *scenario, conns: *conns, duration: *duration,
		maxRequests: *maxReq, children: *children, putDirs: *putDirs, rssCount: *rssCount, rssTimeout: *rssTimeout,
		pid: *pid, format: *format, patchTriples: *patchTriples, bigSize: *bigSize, bigTimeout: *bigTimeout,
		owner: owner, proofRate: *proofRate, proofCap: *proofCap, proofWindow: *proofWindow, pubBaseline: *pubBaseline, presign: *presignFlag}
	if cfg.scenario == "rdfmem" {
		run := strconv.FormatInt(time.Now().UnixNano()%1_000_000_000, 36)
		client := &http.Client{Timeout: rc.limit, Transport: newClient(rc.workers).Transport}
		return rdfmemScenario(signed(client, owner), cfg, rc, u.String()+"rdfmem-"+run+"/", out)
	}
	return runScenarios(cfg, out)
}

// loopbackURL parses the target and refuses anything but a loopback host.
func loopbackURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("-target is required")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("target %s: only http:// on loopback is supported", s)
	}
	host := u.Hostname()
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("target %s is not a loopback address; refusing to generate load", s)
		}
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, nil
}

func waitHealthy(u *url.URL, limit time.Duration) error {
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := c.Get(u.ResolveReference(&url.URL{Path: ".naamio/health"}).String())
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not healthy within %v", u, limit)
}

// result of one scenario.
type result struct {
	name      string
	conns     int
	requests  int
	errors    int
	elapsed   time.Duration
	latencies []time.Duration // sorted
	note      string
	target    string
	met       string // "yes", "no" or ""
	foreign   string // CPU used by other processes during the window
}

func (r result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

func (r result) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(p * float64(len(r.latencies)-1))
	return r.latencies[i]
}

func newClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// request builds one request; w is the worker (connection) number and i
// the global request number.
type request func(w, i int) (*http.Request, error)

// hammer runs req from conns workers until duration or maxRequests.
func hammer(client *http.Client, conns int, duration time.Duration, maxRequests int, want func(int) bool, req request) result {
	return hammerWith(client, conns, duration, maxRequests, want, req, false)
}

// hammerWith is hammer; when striped, worker w sends requests w, w+conns,
// w+2·conns, … (so i%conns == w), otherwise the next unsent one.
func hammerWith(client *http.Client, conns int, duration time.Duration, maxRequests int, want func(int) bool, req request, striped bool) result {
	var next atomic.Int64
	var errs atomic.Int64
	var firstBad atomic.Int64 // first unexpected status, for the note
	lat := make([][]time.Duration, conns)
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	cpu0, cpuOK := sampleCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			mine := make([]time.Duration, 0, 4096)
			for k := 0; ctx.Err() == nil; k++ {
				i := w + k*conns
				if !striped {
					i = int(next.Add(1)) - 1
				}
				if i >= maxRequests {
					break
				}
				r, err := req(w, i)
				if err != nil {
					errs.Add(1)
					continue
				}
				t0 := time.Now()
				resp, err := client.Do(r.WithContext(ctx))
				if err != nil {
					if ctx.Err() == nil {
						errs.Add(1)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				if !want(resp.StatusCode) {
					errs.Add(1)
					firstBad.CompareAndSwap(0, int64(resp.StatusCode))
					continue
				}
				mine = append(mine, d)
			}
			lat[w] = mine
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, cpuOK1 := sampleCPU()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := result{conns: conns, requests: len(all), errors: int(errs.Load()), elapsed: elapsed, latencies: all}
	if cpuOK && cpuOK1 {
		r.foreign = foreignCPU(cpu0, cpu1, elapsed, runtime.NumCPU())
	}
	if c := firstBad.Load(); c != 0 {
		fmt.Fprintf(os.Stderr, "load: unexpected status %d (first of the errors)\n", c)
	}
	return r
}

func ok200(c int) bool { return c == http.StatusOK }
func okPut(c int) bool {
	return c == http.StatusCreated || c == http.StatusNoContent || c == http.StatusOK || c == http.StatusResetContent
}

func smallTurtle(i int) []byte {
	return []byte(fmt.Sprintf("@prefix dc: <http://purl.org/dc/terms/>.\n<#it> dc:title \"resource %d\"; dc:description \"a small Turtle resource for load tests\".\n", i))
}

// put sends one PUT and checks the status.
func put(client *http.Client, u string, body []byte) error {
	req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/turtle")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if !okPut(resp.StatusCode) {
		return fmt.Errorf("PUT %s: %s", u, resp.Status)
	}
	return nil
}

// seed PUTs n resources named by name(i) with conns workers, bounded by limit.
func seed(client *http.Client, conns, n int, limit time.Duration, name func(i int) string) (int, error) {
	var next, done atomic.Int64
	var firstErr error
	var once sync.Once
	deadline := time.Now().Add(limit)
	var wg sync.WaitGroup
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := put(client, name(i), smallTurtle(i)); err != nil {
					once.Do(func() { firstErr = err })
					continue
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if int(done.Load()) < n && firstErr == nil {
		firstErr = fmt.Errorf("seeded only %d of %d within %v", done.Load(), n, limit)
	}
	return int(done.Load()), firstErr
}

func runScenarios(cfg config, out io.Writer) error {
	run := strconv.FormatInt(time.Now().UnixNano()%1_000_000_000, 36)
	base := cfg.target.String() + "bench-" + run + "/"
	anon := newClient(cfg.conns)
	defer anon.CloseIdleConnections()
	client := signed(anon, cfg.owner) // shares anon's connections; signs when -issuer is set
	var results []result
	want := func(s string) bool {
		return cfg.scenario == s || cfg.scenario == "all" && (s != "authget" || cfg.owner != nil)
	}
	known := map[string]bool{"all": true, "get": true, "pubget": true, "authget": true, "put": true, "list": true, "rss": true, "patch": true, "big": true}
	if !known[cfg.scenario] {
		return fmt.Errorf("unknown scenario %q", cfg.scenario)
	}
	who := ""
	if cfg.owner != nil {
		who = " (owner, signed)"
	}

	if want("get") {
		small := base + "small.ttl"
		if err := put(client, small, smallTurtle(0)); err != nil {
			return err
		}
		r, err := timed(client, cfg, "get", ok200, false, func(int) (string, string) { return http.MethodGet, small }, getTurtle(small))
		if err != nil {
			return err
		}
		r.name, r.target = "GET small Turtle"+who, "≥ 15,000 req/s, p99 < 10 ms"
		r.met = yes(r.rate() >= 15000 && r.pct(0.99) < 10*time.Millisecond && r.errors == 0)
		results = append(results, r)
		emitProgress(r)
	}
	for _, s := range []string{"pubget", "authget"} {
		if !want(s) {
			continue
		}
		scen := pubgetScenario
		if s == "authget" {
			scen = authgetScenario
		}
		r, err := scen(client, anon, cfg, base)
		if err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		results = append(results, r)
		emitProgress(r)
	}
	if want("put") {
		dirs := cfg.putDirs
		if dirs <= 0 {
			dirs = cfg.conns
		}
		putURL := func(i int) string { return fmt.Sprintf("%sput/c%03d/r%07d.ttl", base, i%dirs, i) }
		r, err := timed(client, cfg, "put", okPut, false, func(i int) (string, string) { return http.MethodPut, putURL(i) },
			func(_, i int) (*http.Request, error) {
				req, err := http.NewRequest(http.MethodPut, putURL(i), bytes.NewReader(smallTurtle(i)))
				if err == nil {
					req.Header.Set("Content-Type", "text/turtle")
				}
				return req, err
			})
		if err != nil {
			return err
		}
		r.name, r.target = "PUT new small Turtle"+who, "≥ 3,000 req/s"
		r.note = join(fmt.Sprintf("unique paths in %d containers", dirs), r.note)
		r.met = yes(r.rate() >= 3000 && r.errors == 0)
		results = append(results, r)
		emitProgress(r)
	}
	if want("list") {
		list := base + "list/"
		if _, err := seed(client, cfg.conns, cfg.children, 5*time.Minute, func(i int) string {
			return fmt.Sprintf("%sr%05d.ttl", list, i)
		}); err != nil {
			return fmt.Errorf("seeding %d children: %w", cfg.children, err)
		}
		r, err := timed(client, cfg, "list", ok200, false, func(int) (string, string) { return http.MethodGet, list }, getTurtle(list))
		if err != nil {
			return err
		}
		r.name, r.target = fmt.Sprintf("GET container, %d children%s", cfg.children, who), "≥ 500 req/s"
		if body, err := fetchSize(client, list); err == nil {
			r.note = join(fmt.Sprintf("%d KiB Turtle", body>>10), r.note)
		}
		r.met = yes(r.rate() >= 500 && r.errors == 0)
		results = append(results, r)
		emitProgress(r)
	}
	if want("rss") {
		if cfg.pid <= 0 {
			return errors.New("the rss scenario needs -pid of the server")
		}
		before, err := vmRSS(cfg.pid)
		if err != nil {
			return err
		}
		start := time.Now()
		n, err := seed(client, cfg.conns, cfg.rssCount, cfg.rssTimeout, func(i int) string {
			return fmt.Sprintf("%srss/c%03d/r%06d.ttl", base, i/1000, i)
		})
		elapsed := time.Since(start)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load: rss seeding:", err)
		}
		after, err := vmRSS(cfg.pid)
		if err != nil {
			return err
		}
		anon, _ := procStatus(cfg.pid, "RssAnon")
		file, _ := procStatus(cfg.pid, "RssFile")
		r := result{name: fmt.Sprintf("RSS after %d PUTs", n), conns: cfg.conns, requests: n, elapsed: elapsed,
			target: "< 100 MB", met: yes(after < 100<<20 && n == cfg.rssCount),
			note: fmt.Sprintf("VmRSS %.1f MiB = anon %.1f + file-backed %.1f (before: %.1f MiB)",
				mib(after), mib(anon), mib(file), mib(before))}
		results = append(results, r)
		emitProgress(r)
	}
	if want("patch") {
		rs, err := patchScenario(client, cfg, base)
		if err != nil {
			return err
		}
		results = append(results, rs...)
	}
	if want("big") {
		rs, err := bigScenario(cfg, base)
		if err != nil {
			return err
		}
		results = append(results, rs...)
	}
	report(out, cfg.format, results)
	return nil
}

// prepareFixtures makes the resources the GET scenarios read, for outside
// tools such as wrk. With an owner they are written as the owner and made
// public-read (an ACL on the <name>/ container with acl:default), since wrk
// cannot sign.
func prepareFixtures(u *url.URL, name string, conns, children int, owner *testissuer.Agent, out io.Writer) error {
	anon := newClient(conns)
	defer anon.CloseIdleConnections()
	client := signed(anon, owner)
	base := u.String() + url.PathEscape(name) + "/"
	if err := put(client, base+"small.ttl", smallTurtle(0)); err != nil {
		return err
	}
	if _, err := seed(client, conns, children, 5*time.Minute, func(i int) string {
		return fmt.Sprintf("%slist/r%05d.ttl", base, i)
	}); err != nil {
		return err
	}
	if owner != nil {
		if err := makePublic(client, anon, owner.WebID, base); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, base+"small.ttl")
	fmt.Fprintln(out, base+"list/")
	return nil
}

// timed runs a timed scenario whose request i is req(w, i), for method and
// URL target(i) (striped: see hammerWith). Requests are signed as they are
// sent by client's transport (when -issuer is set), or, with -presign, carry
// proofs made before the timed window; the note says which.
func timed(client *http.Client, cfg config, what string, want func(int) bool, striped bool,
	target func(i int) (method, u string), req request) (result, error) {
	if cfg.owner == nil {
		return hammerWith(client, cfg.conns, cfg.duration, cfg.maxRequests, want, req, striped), nil
	}
	if !cfg.presign {
		r := hammerWith(client, cfg.conns, cfg.duration, cfg.maxRequests, want, req, striped)
		r.note = "each request signed as it is sent"
		return r, nil
	}
	ps, err := presign(cfg, what, target)
	if err != nil {
		return result{}, err
	}
	r := hammerWith(client, cfg.conns, ps.dur, len(ps.proofs), want, func(w, i int) (*http.Request, error) {
		r, err := req(w, i)
		if err == nil {
			ps.sign(r, i)
		}
		return r, err
	}, striped)
	r.note = "presigned: " + ps.note(r)
	return r, nil
}

func join(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func fetchSize(client *http.Client, u string) (int64, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "text/turtle")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return io.Copy(io.Discard, resp.Body)
}

// vmRSS reads the resident set size of pid from /proc/<pid>/status.
func vmRSS(pid int) (int64, error) { return procStatus(pid, "VmRSS") }

// procStatus reads one "kB" field of /proc/<pid>/status, in bytes.
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("no %s for pid %d", field, pid)
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func emitProgress(r result) {
	fmt.Fprintf(os.Stderr, "load: %s: %d requests, %d errors, %.0f req/s in %v %s\n",
		r.name, r.requests, r.errors, r.rate(), r.elapsed.Round(time.Millisecond), r.foreign)
}

func report(out io.Writer, format string, results []result) {
	for i := range results {
		results[i].note = join(results[i].note, results[i].foreign)
	}
	if format == "text" {
		for _, r := range results {
			fmt.Fprintf(out, "%s\tconns=%d\treq=%d\terr=%d\trate=%.0f/s\tp50=%s\tp99=%s\tmax=%s\t%s\ttarget %s met=%s\n",
				r.name, r.conns, r.requests, r.errors, r.rate(), ms(r.pct(0.5)), ms(r.pct(0.99)), ms(r.pct(1)), r.note, r.target, r.met)
		}
		return
	}
	fmt.Fprintln(out, "| scenario | conns | requests | errors | req/s | p50 | p99 | max | target | met | note |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|")
	for _, r := range results {
		p50, p99, mx := "–", "–", "–"
		if len(r.latencies) > 0 {
			p50, p99, mx = ms(r.pct(0.5)), ms(r.pct(0.99)), ms(r.pct(1))
		}
		fmt.Fprintf(out, "| %s | %d | %d | %d | %.0f | %s | %s | %s | %s | %s | %s |\n",
			r.name, r.conns, r.requests, r.errors, r.rate(), p50, p99, mx, r.target, r.met, r.note)
	}
}
