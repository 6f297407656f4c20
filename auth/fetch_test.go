package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/safehttp"
)

// slowHost is a WebID host on 127.0.0.1 whose answers wait until release is
// closed; then it answers 404. It counts requests by path.
type slowHost struct {
	srv      *httptest.Server
	release  chan struct{}
	arrived  atomic.Int64
	finished atomic.Int64
	mu       sync.Mutex
	paths    map[string]int
	once     sync.Once
}

func newSlowHost(t *testing.T) *slowHost {
	h := &slowHost{release: make(chan struct{}), paths: map[string]int{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.paths[r.URL.Path]++
		h.mu.Unlock()
		h.arrived.Add(1)
		defer h.finished.Add(1)
		select {
		case <-h.release:
		case <-r.Context().Done():
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(h.srv.Close)
	t.Cleanup(h.free) // runs first: the handlers return before Close waits for them
	return h
}

func (h *slowHost) free() { h.once.Do(func() { close(h.release) }) }

func (h *slowHost) hits(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.paths[path]
}

// slowRequest is a request with a self-signed-looking token whose WebID is
// on the slow host, from client address addr.
func (f *fixture) slowRequest(t *testing.T, h *slowHost, path, addr string) *http.Request {
	tok := mint(t, f.claims(f.ti.iss(), h.srv.URL+path+"#me"), "k1", f.ti.key("k1"))
	r := f.request(t, "GET", "/", podBase+"/", tok)
	r.RemoteAddr = addr
	return r
}

// patientClient waits far longer than any bound below, so a slow fetch
// holds its slot for the whole test instead of timing out.
func patientClient() *safehttp.Client {
	return safehttp.New(safehttp.Options{AllowLoopback: true, AllowedSchemes: []string{"http"}, Timeout: time.Minute})
}

// SECURITY row 61 (issue 10 item 9): tokens naming WebIDs on a slow host,
// sent from many addresses, must not delay another user's first request
// whose documents are on a fast host. Asserted by order, not by time: the
// other user is authenticated while every fetch to the slow host is still
// blocked. Before, the slow fetches took all 16 fetch slots and the other
// user's fetches queued behind them.
func TestSecurityRow61SlowHostDoesNotStarveOthers(t *testing.T) {
	f := newFixture(t, patientClient())
	slow := newSlowHost(t)
	const attackers = 24
	results := make(chan error, attackers)
	for i := 0; i < attackers; i++ {
		r := f.slowRequest(t, slow, fmt.Sprintf("/u%d/card", i), fmt.Sprintf("192.0.2.%d:4000", i+1))
		go func() {
			_, err := f.a.Authenticate(context.Background(), r)
			results <- err
		}()
	}
	// Wait (bounded) until every attacking request has either reached the
	// slow host or been answered.
	var early []error
	for limit := time.Now().Add(5 * time.Second); time.Now().Before(limit); {
		select {
		case err := <-results:
			early = append(early, err)
		case <-time.After(10 * time.Millisecond):
		}
		if int(slow.arrived.Load())+len(early) >= attackers {
			break
		}
	}

	// Another user, another address, documents on the fast host.
	alice := f.request(t, "GET", "/", podBase+"/", f.token(t))
	alice.RemoteAddr = "198.51.100.7:5000"
	done := make(chan error, 1)
	go func() {
		_, err := f.a.Authenticate(context.Background(), alice)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("other user: %v", err)
		}
	case <-time.After(10 * time.Second): // a guard against "never", far above the real time
		t.Fatalf("other user not authenticated while the slow host holds %d fetches", slow.arrived.Load())
	}
	if n := slow.finished.Load(); n != 0 {
		t.Fatalf("%d slow fetches had finished: the order proves nothing", n)
	}
	// The attacking requests beyond the host's slots were answered at once,
	// with 503 (ErrUnavailable), not left waiting.
	if len(early) == 0 {
		t.Fatal("no attacking request was refused while the slow host held its slots")
	}
	for _, err := range early {
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("refused attacker: %v, want ErrUnavailable", err)
		}
	}
	slow.free()
	for i := len(early); i < attackers; i++ {
		select {
		case <-results:
		case <-time.After(10 * time.Second):
			t.Fatal("attacking requests did not finish after the slow host answered")
		}
	}
}

// The limits one by one: per client address, per host, one fetch per URL,
// and failures remembered.
func TestFetchLimits(t *testing.T) {
	f := newFixture(t, patientClient())
	f.a = NewAuthenticator(AuthOptions{BaseURL: podBase, Client: patientClient(), Now: f.clock.Now,
		MaxFetchesPerHost: 3, MaxFetchesPerClient: 2, MaxConcurrentFetches: 64})
	slow := newSlowHost(t)
	type res struct {
		name string
		err  error
	}
	pending := make(chan res, 8)
	start := func(name, path, addr string) {
		r := f.slowRequest(t, slow, path, addr)
		go func() {
			_, err := f.a.Authenticate(context.Background(), r)
			pending <- res{name, err}
		}()
	}
	waitArrived := func(n int64) {
		t.Helper()
		for limit := time.Now().Add(5 * time.Second); slow.arrived.Load() < n; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(limit) {
				t.Fatalf("%d fetches reached the slow host, want %d", slow.arrived.Load(), n)
			}
		}
	}
	now := func(r *http.Request) error {
		t.Helper()
		_, err := f.a.Authenticate(context.Background(), r)
		return err
	}

	// Client A: two slots, the third fetch refused at once.
	start("a1", "/a1", "192.0.2.1:1")
	start("a2", "/a2", "192.0.2.1:2")
	waitArrived(2)
	err := now(f.slowRequest(t, slow, "/a3", "192.0.2.1:3"))
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "client") {
		t.Fatalf("client A's third fetch: %v, want ErrUnavailable (client limit)", err)
	}
	// Client B takes the host's last slot; its next fetch to the host is refused.
	start("b1", "/b1", "192.0.2.2:1")
	waitArrived(3)
	err = now(f.slowRequest(t, slow, "/b2", "192.0.2.2:2"))
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "host") {
		t.Fatalf("client B's second fetch: %v, want ErrUnavailable (host limit)", err)
	}
	// Client C asks for a document being fetched: it shares that fetch
	// (no slot needed, no second request to the host).
	start("c1", "/a1", "192.0.2.3:1")
	time.Sleep(50 * time.Millisecond) // give a second request the chance to appear
	if slow.hits("/a1") != 1 || slow.arrived.Load() != 3 {
		t.Fatalf("shared fetch: /a1 fetched %d times, %d in all", slow.hits("/a1"), slow.arrived.Load())
	}
	// None of the waiting requests has been answered yet.
	select {
	case r := <-pending:
		t.Fatalf("%s answered before the slow host did: %v", r.name, r.err)
	default:
	}
	slow.free()
	for i := 0; i < 4; i++ {
		select {
		case r := <-pending:
			if !errors.Is(r.err, ErrUnauthenticated) { // the host answered 404
				t.Errorf("%s: %v, want ErrUnauthenticated", r.name, r.err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("requests not answered after the slow host answered")
		}
	}
	// The 404 is remembered for FailureTTL: no new fetch.
	before := slow.arrived.Load()
	if err := now(f.slowRequest(t, slow, "/a1", "192.0.2.9:1")); !errors.Is(err, ErrUnauthenticated) || slow.arrived.Load() != before {
		t.Fatalf("remembered failure: %v, %d new fetches", err, slow.arrived.Load()-before)
	}
	f.clock.Advance(DefaultFailureTTL)
	if err := now(f.slowRequest(t, slow, "/a1", "192.0.2.9:1")); !errors.Is(err, ErrUnauthenticated) || slow.arrived.Load() != before+1 {
		t.Fatalf("after the failure TTL: %v, %d new fetches", err, slow.arrived.Load()-before)
	}
}

// A host that does not answer at all (closed port) fails every URL on it
// at once for FailureTTL.
func TestFetchHostFailureRemembered(t *testing.T) {
	f := newFixture(t, nil)
	down := closedPortURL(t)
	tok := func(path string) string { return mint(t, f.claims(f.ti.iss(), down+path+"#me"), "k1", f.ti.key("k1")) }
	_, err := f.a.Authenticate(context.Background(), f.request(t, "GET", "/", podBase+"/", tok("/x")))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("first: %v", err)
	}
	if _, ok := f.a.failed.get("h "+hostOf(down), f.clock.Now()); !ok {
		t.Fatal("the failing host is not remembered")
	}
	_, err = f.a.Authenticate(context.Background(), f.request(t, "GET", "/", podBase+"/", tok("/y")))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("other URL on the failing host: %v", err)
	}
}
