package federation

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/naamio/naamio/federation/httpsig"
	"github.com/naamio/naamio/federation/remote"
	"github.com/naamio/naamio/internal/safehttp"
)

// benchPeer serves one actor with its RSA key on 127.0.0.1 as AS2.
func benchPeer(b *testing.B) (actor string, key *rsa.PrivateKey, ap netip.AddrPort) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	var doc []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		_, _ = w.Write(doc)
	}))
	b.Cleanup(srv.Close)
	actor = srv.URL + "/users/bench"
	doc, _ = json.Marshal(map[string]any{"id": actor, "type": "Person", "inbox": actor + "/inbox",
		"publicKey": map[string]any{"id": actor + "#main-key", "owner": actor, "publicKeyPem": pemKey}})
	return actor, key, netip.MustParseAddrPort(strings.TrimPrefix(srv.URL, "http://"))
}

// BenchmarkInboxReceive is issue 14's inbox figure: signed activities
// (draft-cavage rsa-sha256, the key cached after the first) POSTed over
// real HTTP by benchSenders concurrent senders to a pod's inbox, each verified,
// checked and stored in the pod (a resource and its index) on a real
// Badger store. The requests are signed before the timer starts; the
// figure is activities/s. Run with a fixed count, e.g.
//
//	go test -run - -bench InboxReceive -benchtime 4000x ./federation/
func BenchmarkInboxReceive(b *testing.B) {
	f := newFixture(b)
	f.addPod("alice", "Alice")
	actor, key, ap := benchPeer(b)
	fetcher := &remote.Fetcher{Client: safehttp.New(safehttp.Options{AllowAddrPorts: []netip.AddrPort{ap}})}
	v, err := httpsig.NewVerifier(remote.NewKeyCache(fetcher, remote.KeyCacheOptions{}), f.base)
	if err != nil {
		b.Fatal(err)
	}
	f.svc.cfg.Verifier, f.svc.cfg.Fetch = v, fetcher
	f.svc.limiter = newDomainLimiter(1e9, 1e9, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pod, ok := f.svc.InboxRequest(r)
		if !ok {
			http.NotFound(w, r)
			return
		}
		f.svc.ServeInbox(w, r, pod)
	}))
	b.Cleanup(srv.Close)
	// Same host as the fixture's base: the Verifier checks Host.
	inbox := f.paths.Inbox("alice")
	target := srv.URL + strings.TrimPrefix(inbox, strings.TrimSuffix(f.base, "/"))
	type signed struct {
		body []byte
		hdr  http.Header
	}
	reqs := make([]signed, b.N)
	for i := range reqs {
		body, _ := json.Marshal(map[string]any{"@context": asContext, "id": fmt.Sprintf("%s/activities/%d", actor, i),
			"type": "Create", "actor": actor, "to": []string{"https://www.w3.org/ns/activitystreams#Public"},
			"object": map[string]any{"id": fmt.Sprintf("%s/notes/%d", actor, i), "type": "Note",
				"attributedTo": actor, "content": "<p>benchmark note</p>"}})
		req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
		req.Header.Set("Content-Type", MediaActivityJSON)
		if err := httpsig.Sign(req, actor+"#main-key", key, body); err != nil {
			b.Fatal(err)
		}
		reqs[i] = signed{body, req.Header}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchSenders}}
	send := func(s signed) error {
		req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(s.body))
		req.Header = s.hdr.Clone()
		req.Host = strings.TrimPrefix(strings.TrimSuffix(f.base, "/"), "http://")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("%d %s", resp.StatusCode, out)
		}
		return nil
	}
	// The key is fetched once, before the timer (cached keys).
	if b.N > 0 {
		if err := send(reqs[0]); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	next.Store(1)
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	for range benchSenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := send(reqs[i]); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "activities/s")
	if _, total, _ := f.svc.inboxPage(context.Background(), "alice", 0, 0); total != b.N {
		b.Fatalf("%d stored, want %d", total, b.N)
	}
}

// benchSenders is how many deliveries are in flight at once (a busy
// inbox hears from many peers at a time; each waits for two synced
// writes).
const benchSenders = 64
