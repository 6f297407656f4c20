// Command notifyload measures Solid Notifications under load (issue 12
// item 5): it opens -channels WebSocketChannel2023 channels spread over
// -topics documents, commits -rate writes/s to those documents for
// -lat-dur, and reports the latency from each write to each subscriber's
// receipt of its notification (p50/p99, from the write's send and from its
// acknowledgement), the server's VmRSS per idle channel, and the PUT
// throughput (closed loop, -conns connections, -thr-dur) with no channel
// open and with all of them open. It talks to one server on a loopback
// address, anonymously: the documents' container must let the public
// Read and Write (bench/notify.sh arranges it). Every phase is bounded in
// count and time.
//
// The server's per-agent channel limit counts anonymous subscribers by
// address, so the subscriptions come from -source-addrs loopback
// addresses (127.0.0.2, 127.0.0.3, ...), as that many clients would.
//
// A socket's notifications come in commit order and the writes of one
// document are -topics/-rate seconds apart, so the n-th Update a socket
// gets belongs to the n-th write of its document in the latency phase.
//
//	notifyload -target http://127.0.0.1:8080/ -pid 1234 -label naamio
//	notifyload -free-port
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

type config struct {
	target      *url.URL
	label       string
	pid         int
	service     string
	prefix      string
	topics      int
	channels    int
	rate        int
	latDur      time.Duration
	thrDur      time.Duration
	conns       int
	sourceAddrs int
	bound       time.Duration
	idleWait    time.Duration
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "notifyload:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("notifyload", flag.ContinueOnError)
	target := fs.String("target", "", "server base URL (loopback only)")
	var c config
	fs.StringVar(&c.label, "label", "server", "name of the server in the output")
	fs.IntVar(&c.pid, "pid", 0, "server process id, for its VmRSS")
	fs.StringVar(&c.service, "service", "/.notifications/WebSocketChannel2023/", "WebSocketChannel2023 subscription service path")
	fs.StringVar(&c.prefix, "prefix", "/n/", "container of the documents (public Read and Write)")
	fs.IntVar(&c.topics, "topics", 1000, "documents subscribed to")
	fs.IntVar(&c.channels, "channels", 10000, "channels (one socket each), spread evenly over the documents")
	fs.IntVar(&c.rate, "rate", 500, "writes/s in the latency phase")
	fs.DurationVar(&c.latDur, "lat-dur", 20*time.Second, "length of the latency phase")
	fs.DurationVar(&c.thrDur, "thr-dur", 8*time.Second, "length of each throughput run")
	fs.IntVar(&c.conns, "conns", 32, "connections of the throughput runs and of the latency phase's writer")
	fs.IntVar(&c.sourceAddrs, "source-addrs", 25, "loopback source addresses the subscriptions come from")
	fs.DurationVar(&c.bound, "bound", 5*time.Minute, "bound of the whole run")
	fs.DurationVar(&c.idleWait, "idle-wait", 30*time.Second, "before each timed phase, wait at most this long for the host to be idle")
	freePort := fs.Bool("free-port", false, "print a free loopback port and exit")
	wait := fs.Duration("wait", 0, "wait this long for the target to answer, then exit")
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
	c.target = u
	if *wait > 0 {
		return waitUp(u, *wait)
	}
	if c.topics <= 0 || c.channels <= 0 || c.rate <= 0 || c.conns <= 0 || c.sourceAddrs <= 0 {
		return errors.New("-topics, -channels, -rate, -conns and -source-addrs must be positive")
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.bound)
	defer cancel()
	return bench(ctx, c, out)
}

// loopbackURL parses the target and refuses anything but a loopback host.
func loopbackURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" {
		return nil, fmt.Errorf("target %q: want http://<loopback>:port/", s)
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("target %s is not a loopback address; refusing to generate load", s)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/"
	return u, nil
}

func waitUp(u *url.URL, limit time.Duration) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if resp, err := c.Get(u.String()); err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer within %v", u, limit)
}

// client is an HTTP client of up to conns connections from source (nil:
// any local address).
func client(conns int, source net.IP) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if source != nil {
		d.LocalAddr = &net.TCPAddr{IP: source}
	}
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy: nil, MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
			DisableCompression: true, DialContext: d.DialContext,
		},
	}
}

// put writes a small Turtle document; it is an error unless the server
// answers 2xx.
func put(ctx context.Context, hc *http.Client, u string, i int) error {
	body := fmt.Sprintf("<#it> <http://example.org/n> %d .\n", i)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/turtle")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("PUT %s: %s", u, resp.Status)
	}
	return nil
}

// parallel runs f(i) for i in [0, n) on workers goroutines and returns
// the first error.
func parallel(ctx context.Context, n, workers int, f func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// run state shared by the writer and the sockets.
type state struct {
	cfg     config
	perDoc  int            // writes of one document in the latency phase
	sent    []atomic.Int64 // [doc*perDoc+n]: UnixNano the n-th write of doc was sent
	acked   []atomic.Int64 // ... and acknowledged
	measure atomic.Bool    // the latency phase is on
	got     atomic.Int64   // Updates received in the latency phase
	all     atomic.Int64   // messages received in all
}

// sock is one open channel socket.
type sock struct {
	doc  int
	ws   *websocket.Conn
	n    int // Updates received in the latency phase
	send []int64
	ack  []int64
}

func (s *state) docURL(i int) string {
	return s.cfg.target.String() + strings.TrimPrefix(s.cfg.prefix, "/") + "d" + strconv.Itoa(i)
}
func (s *state) otherURL(i int) string {
	return s.cfg.target.String() + strings.TrimPrefix(s.cfg.prefix, "/") + "o" + strconv.Itoa(i)
}

func (s *state) read(k *sock) {
	for {
		_, msg, err := k.ws.Read(context.Background())
		if err != nil {
			return
		}
		now := time.Now().UnixNano()
		s.all.Add(1)
		if !s.measure.Load() || !bytes.Contains(msg, []byte(`"Update"`)) {
			continue
		}
		if k.n < s.perDoc {
			i := k.doc*s.perDoc + k.n
			if sent := s.sent[i].Load(); sent > 0 {
				k.send = append(k.send, now-sent)
				ack := s.acked[i].Load()
				if ack == 0 || ack > now { // arrived before the client saw the answer
					ack = now
				}
				k.ack = append(k.ack, now-ack)
			}
		}
		k.n++
		s.got.Add(1)
	}
}

func bench(ctx context.Context, c config, out io.Writer) error {
	s := &state{cfg: c}
	s.perDoc = (c.rate*int(c.latDur/time.Millisecond)/1000 + c.topics - 1) / c.topics
	s.sent = make([]atomic.Int64, c.topics*s.perDoc)
	s.acked = make([]atomic.Int64, c.topics*s.perDoc)
	hc := client(c.conns, nil)
	started := time.Now()

	fmt.Fprintf(os.Stderr, "notifyload: %s: seeding %d documents and %d others\n", c.label, c.topics, c.topics)
	if err := parallel(ctx, 2*c.topics, c.conns, func(i int) error {
		if i < c.topics {
			return put(ctx, hc, s.docURL(i), i)
		}
		return put(ctx, hc, s.otherURL(i-c.topics), i)
	}); err != nil {
		return err
	}
	waitIdle(ctx, c.pid, c.idleWait)
	noChannels := s.throughput(ctx, hc, s.docURL)
	fmt.Fprintf(os.Stderr, "notifyload: %s: %s with no channel\n", c.label, noChannels)
	time.Sleep(2 * time.Second)
	rss0, _ := vmRSS(c.pid)

	// Subscribe and open the sockets.
	t0 := time.Now()
	socks := make([]*sock, c.channels)
	clients := make([]*http.Client, c.sourceAddrs)
	for i := range clients {
		clients[i] = client(4, net.IPv4(127, 0, byte((i+2)/250), byte((i+2)%250)))
	}
	var refused atomic.Int64
	err := parallel(ctx, c.channels, 32, func(i int) error {
		doc := i % c.topics
		from, err := s.subscribe(ctx, clients[i%len(clients)], s.docURL(doc))
		if err != nil {
			return err
		}
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		ws, resp, err := websocket.Dial(dctx, from, nil)
		if err != nil {
			if resp != nil && resp.StatusCode == http.StatusServiceUnavailable {
				refused.Add(1)
			}
			return fmt.Errorf("socket %d: %w", i, err)
		}
		ws.SetReadLimit(1 << 20)
		socks[i] = &sock{doc: doc, ws: ws}
		go s.read(socks[i])
		return nil
	})
	opened := 0
	for _, k := range socks {
		if k != nil {
			opened++
		}
	}
	defer func() {
		for _, k := range socks {
			if k != nil {
				_ = k.ws.CloseNow()
			}
		}
	}()
	if err != nil {
		fmt.Fprintf(out, "| %s | opened %d of %d channels in %v, then: %v |\n", c.label, opened, c.channels,
			time.Since(t0).Round(time.Millisecond), err)
		return err
	}
	openTime := time.Since(t0)
	fmt.Fprintf(os.Stderr, "notifyload: %s: %d channels open in %v\n", c.label, opened, openTime.Round(time.Millisecond))
	time.Sleep(5 * time.Second) // idle
	rss1, _ := vmRSS(c.pid)

	// Latency: -rate writes/s, open loop, for -lat-dur.
	idleNote := waitIdle(ctx, c.pid, c.idleWait)
	cpu0 := readCPU(c.pid)
	total := c.topics * s.perDoc
	s.measure.Store(true)
	start := time.Now()
	jobs := make(chan int, c.conns)
	var wg sync.WaitGroup
	var writeErrs atomic.Int64
	for range c.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				doc, n := i%c.topics, i/c.topics
				s.sent[doc*s.perDoc+n].Store(time.Now().UnixNano())
				if err := put(ctx, hc, s.docURL(doc), i); err != nil {
					writeErrs.Add(1)
					continue
				}
				s.acked[doc*s.perDoc+n].Store(time.Now().UnixNano())
			}
		}()
	}
	for i := 0; i < total && ctx.Err() == nil; i++ {
		if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(c.rate))); d > 0 {
			time.Sleep(d)
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	writeTime := time.Since(start)
	expected := int64(total) * int64(c.channels/c.topics)
	for deadline := time.Now().Add(10 * time.Second); s.got.Load() < expected && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	s.measure.Store(false)
	cpu1 := readCPU(c.pid)
	var fromSend, fromAck []int64
	for _, k := range socks {
		fromSend = append(fromSend, k.send...)
		fromAck = append(fromAck, k.ack...)
	}
	slices.Sort(fromSend)
	slices.Sort(fromAck)

	// Throughput with the channels open: to other documents (the sockets
	// idle) and to the subscribed ones (every write notifies).
	waitIdle(ctx, c.pid, c.idleWait)
	idle := s.throughput(ctx, hc, s.otherURL)
	fmt.Fprintf(os.Stderr, "notifyload: %s: %s with %d idle channels\n", c.label, idle, opened)
	waitIdle(ctx, c.pid, c.idleWait)
	before := s.all.Load()
	busy := s.throughput(ctx, hc, s.docURL)
	fmt.Fprintf(os.Stderr, "notifyload: %s: %s to subscribed documents (%d notifications received)\n", c.label, busy, s.all.Load()-before)

	perSocket := float64(rss1-rss0) / float64(opened)
	fmt.Fprintf(out, "%s (%s, %v): %d channels on %d documents opened in %v\n", c.label, time.Now().UTC().Format("2006-01-02 15:04"),
		time.Since(started).Round(time.Second), opened, c.topics, openTime.Round(time.Millisecond))
	fmt.Fprintf(out, "  server VmRSS %.1f MiB before the channels, %.1f MiB with them idle: %.1f KiB per channel\n",
		mib(rss0), mib(rss1), perSocket/1024)
	fmt.Fprintf(out, "  latency phase: %d writes in %v (%.0f/s asked %d/s, %d failed); %d of %d notifications received\n",
		total, writeTime.Round(time.Millisecond), float64(total)/writeTime.Seconds(), c.rate, writeErrs.Load(), s.got.Load(), expected)
	fmt.Fprintf(out, "  write → receipt: p50 %s p99 %s max %s (from the PUT's send); p50 %s p99 %s (from its answer)\n",
		pct(fromSend, 0.5), pct(fromSend, 0.99), pct(fromSend, 1), pct(fromAck, 0.5), pct(fromAck, 0.99))
	fmt.Fprintf(out, "  CPU in the latency phase: server %.0f%%, this tool %.0f%%, other processes %.0f%% (100%% = one core; %s)\n",
		cpu1.serverPct(cpu0), cpu1.selfPct(cpu0), cpu1.othersPct(cpu0), idleNote)
	fmt.Fprintf(out, "  PUT throughput (%d connections, %v): %s with no channel; %s with the channels idle (%+.1f%%); %s writing the subscribed documents (%+.1f%%)\n",
		c.conns, c.thrDur, noChannels, idle, 100*(idle.rate()/noChannels.rate()-1), busy, 100*(busy.rate()/noChannels.rate()-1))
	return nil
}

// subscribe asks for a WebSocketChannel2023 channel on topic and returns
// its receiveFrom.
func (s *state) subscribe(ctx context.Context, hc *http.Client, topic string) (string, error) {
	body := `{"@context":["https://www.w3.org/ns/solid/notification/v1"],"type":"http://www.w3.org/ns/solid/notifications#WebSocketChannel2023","topic":"` + topic + `"}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.target.String()+strings.TrimPrefix(s.cfg.service, "/"), strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/ld+json")
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("subscribe to %s: %s %s", topic, resp.Status, b)
	}
	var ch struct {
		ReceiveFrom any `json:"receiveFrom"`
	}
	if err := json.Unmarshal(b, &ch); err != nil {
		return "", fmt.Errorf("subscription answer %s: %w", b, err)
	}
	switch v := ch.ReceiveFrom.(type) {
	case string:
		return v, nil
	case map[string]any: // {"@id": ...} or {"id": ...}
		for _, k := range []string{"id", "@id"} {
			if id, ok := v[k].(string); ok {
				return id, nil
			}
		}
	}
	return "", fmt.Errorf("no receiveFrom in %s", b)
}

// rate is one throughput run.
type rate struct {
	n, errs int
	d       time.Duration
	others  float64 // CPU of other processes during the run, 100 = a core
	server  float64 // ... of the server
	self    float64 // ... of this tool
}

func (r rate) rate() float64 { return float64(r.n) / r.d.Seconds() }
func (r rate) String() string {
	e := ""
	if r.errs > 0 {
		e = fmt.Sprintf(" (%d errors)", r.errs)
	}
	// The server's CPU time per PUT shows its own cost apart from the
	// client's, which shares the cores.
	perPut := r.server / 100 / r.rate() * 1e6
	return fmt.Sprintf("%.0f PUT/s%s [server %.0f%% (%.0f µs a PUT), tool %.0f%%, others %.0f%%]", r.rate(), e, r.server, perPut, r.self, r.others)
}

// throughput PUTs the documents named by u (1,000 of them, round robin)
// from -conns connections for -thr-dur, closed loop.
func (s *state) throughput(ctx context.Context, hc *http.Client, u func(int) string) rate {
	var n, errs, next atomic.Int64
	var wg sync.WaitGroup
	cpu0 := readCPU(s.cfg.pid)
	start := time.Now()
	end := start.Add(s.cfg.thrDur)
	for range s.cfg.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) && ctx.Err() == nil {
				i := int(next.Add(1))
				if put(ctx, hc, u(i%s.cfg.topics), i) != nil {
					errs.Add(1)
					continue
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	cpu1 := readCPU(s.cfg.pid)
	return rate{n: int(n.Load()), errs: int(errs.Load()), d: time.Since(start),
		others: cpu1.othersPct(cpu0), server: cpu1.serverPct(cpu0), self: cpu1.selfPct(cpu0)}
}

func pct(sorted []int64, p float64) string {
	if len(sorted) == 0 {
		return "–"
	}
	v := sorted[int(p*float64(len(sorted)-1))]
	return fmt.Sprintf("%.1f ms", float64(v)/1e6)
}

// vmRSS reads the resident set size of pid (0 when there is no pid).
func vmRSS(pid int) (int64, error) {
	if pid == 0 {
		return 0, nil
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// cpu is a reading of the machine's busy time and the server's, in clock
// ticks.
type cpu struct {
	at                 time.Time
	busy, server, self int64
}

// procTicks is the user and system time of a process, in clock ticks.
func procTicks(pid string) int64 {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) <= 12 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return u + k
}

func readCPU(pid int) cpu {
	c := cpu{at: time.Now()}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]) // cpu user nice system idle iowait irq softirq steal
		for i := 1; i < len(f) && i <= 8; i++ {
			if i == 4 || i == 5 {
				continue
			}
			v, _ := strconv.ParseInt(f[i], 10, 64)
			c.busy += v
		}
	}
	if pid != 0 {
		c.server = procTicks(strconv.Itoa(pid))
	}
	c.self = procTicks("self")
	return c
}

const ticks = 100 // USER_HZ

// serverPct and othersPct are the CPU (100% a core) the server and every
// other process used between b and c.
func (c cpu) serverPct(b cpu) float64 {
	return float64(c.server-b.server) / ticks / c.at.Sub(b.at).Seconds() * 100
}

func (c cpu) othersPct(b cpu) float64 {
	return float64((c.busy-b.busy)-(c.server-b.server)-(c.self-b.self)) / ticks / c.at.Sub(b.at).Seconds() * 100
}

func (c cpu) selfPct(b cpu) float64 {
	return float64(c.self-b.self) / ticks / c.at.Sub(b.at).Seconds() * 100
}

// waitIdle waits, at most limit, until the processes other than the
// server and this tool use less than 25% of a core over a second: the
// host is shared, and its other work shapes the figures.
func waitIdle(ctx context.Context, pid int, limit time.Duration) string {
	deadline := time.Now().Add(limit)
	for {
		a := readCPU(pid)
		time.Sleep(time.Second)
		o := readCPU(pid).othersPct(a)
		if o < 25 || time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Sprintf("other processes %.0f%% when it started", o)
		}
	}
}
