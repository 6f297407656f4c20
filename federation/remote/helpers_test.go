package remote

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/safehttp"
)

var (
	keysOnce        sync.Once
	peerKey, newKey *rsa.PrivateKey
)

// testKeys are made once: RSA generation is slow under -race.
func testKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if peerKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if newKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return peerKey, newKey
}

// served is one canned answer of the test peer.
type served struct {
	status int
	ctype  string
	body   []byte
	header http.Header
}

// peer is a real HTTP server on 127.0.0.1 playing a remote ActivityPub
// server: it answers each path with what the test put there and counts
// the requests per path.
type peer struct {
	*httptest.Server
	mu    sync.Mutex
	paths map[string]served
	hits  map[string]int
	// guard, when set, runs first and may answer instead.
	guard func(w http.ResponseWriter, r *http.Request) bool
}

func newPeer(t *testing.T) *peer {
	t.Helper()
	p := &peer{paths: map[string]served{}, hits: map[string]int{}}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serveHTTP))
	t.Cleanup(p.Close)
	return p
}

func (p *peer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.hits[r.URL.Path]++
	s, ok := p.paths[r.URL.Path]
	guard := p.guard
	p.mu.Unlock()
	if guard != nil && guard(w, r) {
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	for k, v := range s.header {
		w.Header()[k] = v
	}
	if s.ctype != "" {
		w.Header().Set("Content-Type", s.ctype)
	}
	w.WriteHeader(s.status)
	w.Write(s.body)
}

// put serves body (marshalled to JSON unless []byte) at path.
func (p *peer) put(path string, status int, ctype string, body any) {
	b, ok := body.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(body); err != nil {
			panic(err)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paths[path] = served{status: status, ctype: ctype, body: b}
}

func (p *peer) redirect(path, to string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paths[path] = served{status: http.StatusFound, header: http.Header{"Location": {to}}}
}

func (p *peer) hitsOf(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[path]
}

func (p *peer) totalHits() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, h := range p.hits {
		n += h
	}
	return n
}

func (p *peer) addr(t testing.TB) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(p.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

const as2 = "application/activity+json"

// actorDoc is an actor at p's URL path with one key.
func (p *peer) actorDoc(path string, key *rsa.PublicKey) map[string]any {
	id := p.URL + path
	return map[string]any{
		"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                id,
		"type":              "Person",
		"preferredUsername": "bob",
		"inbox":             id + "/inbox",
		"publicKey":         map[string]any{"id": id + "#main-key", "owner": id, "publicKeyPem": spkiPEM(key)},
	}
}

func spkiPEM(k *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func pkcs1PEM(k *rsa.PublicKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(k)}))
}

// fetcherFor is a Fetcher whose safe client may reach exactly the given
// loopback servers over plain http (what --allow-fetch-addr does).
func fetcherFor(t testing.TB, timeout time.Duration, allowed ...netip.AddrPort) *Fetcher {
	t.Helper()
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	c := safehttp.New(safehttp.Options{Timeout: timeout, AllowAddrPorts: allowed})
	t.Cleanup(c.CloseIdleConnections)
	return &Fetcher{Client: c}
}
