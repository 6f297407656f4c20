package deliver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/safehttp"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/badgerstore"
)

// store is a real Badger store in a test directory, reopenable.
type store struct {
	tb  testing.TB
	dir string
	st  *badgerstore.Store
	q   kv.KV
}

func openStore(tb testing.TB, dir string) *store {
	tb.Helper()
	if dir == "" {
		dir = tb.TempDir()
	}
	st, err := badgerstore.Open(dir, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		tb.Fatal(err)
	}
	q, err := st.KV(kv.DeliveryQueue)
	if err != nil {
		tb.Fatal(err)
	}
	s := &store{tb: tb, dir: dir, st: st, q: q}
	tb.Cleanup(func() { _ = s.close() })
	return s
}

func (s *store) close() error {
	if s.st == nil {
		return nil
	}
	err := s.st.Close()
	s.st = nil
	return err
}

// keys lists the queue's keys under prefix.
func (s *store) keys(prefix string) []string {
	s.tb.Helper()
	var ks []string
	if err := s.q.List(context.Background(), prefix, func(k string, _ []byte) error {
		ks = append(ks, k)
		return nil
	}); err != nil {
		s.tb.Fatal(err)
	}
	return ks
}

// receiver is an inbox on 127.0.0.1 that answers what handle returns.
type receiver struct {
	srv         *httptest.Server
	handle      func(n int, w http.ResponseWriter, r *http.Request) int
	mu          sync.Mutex
	got         []got
	times       []time.Time
	n           atomic.Int64
	inflight    atomic.Int64
	maxInflight atomic.Int64
}

// got is one request a receiver answered 2xx.
type got struct {
	path, ctype, signer string
	body                []byte
}

func newReceiver(tb testing.TB, handle func(n int, w http.ResponseWriter, r *http.Request) int) *receiver {
	rc := &receiver{handle: handle}
	if rc.handle == nil {
		rc.handle = func(int, http.ResponseWriter, *http.Request) int { return http.StatusAccepted }
	}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in := rc.inflight.Add(1)
		defer rc.inflight.Add(-1)
		for {
			m := rc.maxInflight.Load()
			if in <= m || rc.maxInflight.CompareAndSwap(m, in) {
				break
			}
		}
		body, _ := io.ReadAll(r.Body)
		n := int(rc.n.Add(1))
		rc.mu.Lock()
		rc.times = append(rc.times, time.Now())
		rc.mu.Unlock()
		if r.Method != http.MethodPost || r.Header.Get("Digest") != digest(body) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		status := rc.handle(n, w, r)
		if status >= 200 && status <= 299 {
			rc.mu.Lock()
			rc.got = append(rc.got, got{r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("X-Test-Signer"), body})
			rc.mu.Unlock()
		}
		w.WriteHeader(status)
	}))
	tb.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) url(path string) string { return rc.srv.URL + path }

func (rc *receiver) addr() netip.AddrPort {
	u, _ := url.Parse(rc.srv.URL)
	return netip.MustParseAddrPort(u.Host)
}

func (rc *receiver) delivered() []got {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]got(nil), rc.got...)
}

func (rc *receiver) requests() int { return int(rc.n.Load()) }

func digest(body []byte) string {
	sum := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}

// testSigner stands in for the HTTP Signatures signer: it names the
// sender and sets the body's Digest, which the receivers check.
func testSigner(_ context.Context, sender string) (Signer, error) {
	if strings.HasSuffix(sender, "/gone") {
		return nil, ErrUnknownSender
	}
	return func(req *http.Request, body []byte) error {
		req.Header.Set("X-Test-Signer", sender)
		req.Header.Set("Digest", digest(body))
		return nil
	}, nil
}

// logs collects what a Deliverer logs.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// deliverer makes a Deliverer on s whose client may reach the receivers
// (plain http on their loopback address and port, as --allow-fetch-addr
// allows), with short backoffs unless cfg says otherwise.
func deliverer(tb testing.TB, s *store, cfg Config, rcs ...*receiver) (*Deliverer, *logs) {
	tb.Helper()
	var allow []netip.AddrPort
	for _, rc := range rcs {
		allow = append(allow, rc.addr())
	}
	if cfg.Client == nil {
		cfg.Client = safehttp.New(safehttp.Options{Timeout: 10 * time.Second, MaxRedirects: -1, AllowAddrPorts: allow})
	}
	cfg.Queue = s.q
	if cfg.SignerFor == nil {
		cfg.SignerFor = testSigner
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = 20 * time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 100 * time.Millisecond
	}
	l := &logs{}
	cfg.Log = slog.New(slog.NewTextHandler(l, nil))
	d, err := New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return d, l
}

// run runs d until the returned stop is called (or the test ends).
func run(tb testing.TB, d *Deliverer) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	tb.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds, failing the test after limit.
func waitFor(tb testing.TB, limit time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func pending(tb testing.TB, d *Deliverer) int {
	tb.Helper()
	n, err := d.Pending(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

const note = `{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","actor":"https://pod.example/.ap/actors/alice","object":{"type":"Note","content":"hi"}}`

const alice = "https://pod.example/.ap/actors/alice"
