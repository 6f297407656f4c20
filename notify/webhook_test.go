package notify_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/internal/safehttp"
	"github.com/naamio/naamio/internal/testissuer"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
	"github.com/naamio/naamio/notify"
)

// testSigner signs as an OpenID Provider would (notify.Signer): ES256
// with a kid. The server's tests use the real provider.
type testSigner struct {
	iss string
	key jwk.Key
}

func newTestSigner(t testing.TB, iss string) *testSigner {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := jwk.FromRaw(priv)
	if err != nil {
		t.Fatal(err)
	}
	_ = k.Set(jwk.KeyIDKey, "test-key")
	return &testSigner{iss: iss, key: k}
}

func (s *testSigner) Issuer() string { return s.iss }

func (s *testSigner) SignJWT(typ string, claims any) (string, error) {
	pl, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	hdr := jws.NewHeaders()
	_ = hdr.Set(jws.TypeKey, typ)
	b, err := jws.Sign(pl, jws.WithKey(jwa.ES256, s.key, jws.WithProtectedHeaders(hdr)))
	return string(b), err
}

// receiver is a webhook receiver on 127.0.0.1 that records what it gets;
// status decides the answer to the n-th request (0-based).
type receiver struct {
	srv    *httptest.Server
	status func(n int, r *http.Request) int
	hits   atomic.Int32
	mu     sync.Mutex
	got    []map[string]any
	hdr    []http.Header
}

func newReceiver(t testing.TB, status func(n int, r *http.Request) int) *receiver {
	rc := &receiver{status: status}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(rc.hits.Add(1)) - 1
		// The body read first, the server notices a client that hangs up
		// (the request's context ends), so a receiver that waits for that
		// leaves no goroutine behind.
		body, _ := io.ReadAll(r.Body)
		code := http.StatusOK
		if rc.status != nil {
			code = rc.status(n, r)
		}
		if code >= 200 && code < 300 {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				t.Errorf("delivery body: %v", err)
			}
			rc.mu.Lock()
			rc.got = append(rc.got, m)
			rc.hdr = append(rc.hdr, r.Header.Clone())
			rc.mu.Unlock()
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) addr() netip.AddrPort {
	return netip.MustParseAddrPort(rc.srv.Listener.Addr().String())
}
func (rc *receiver) url() string { return rc.srv.URL + "/hook" }

func (rc *receiver) received() []map[string]any {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]map[string]any(nil), rc.got...)
}

// wait returns the first n deliveries, failing after d.
func (rc *receiver) wait(t testing.TB, n int, d time.Duration) []map[string]any {
	t.Helper()
	end := time.Now().Add(d)
	for {
		got := rc.received()
		if len(got) >= n {
			return got[:n]
		}
		if time.Now().After(end) {
			t.Fatalf("receiver got %d deliveries, want %d: %v", len(got), n, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hookPod is a pod (pod of websocket_test.go) with the webhook service:
// its consumer on the change-log feed and its senders running. Its client
// may reach the given receivers' addresses (--allow-fetch-addr).
type hookPod struct {
	*pod
	hook *notify.Webhook
	st   *badgerstore.Store
	q    kv.KV
}

func newHookPod(t testing.TB, wc notify.WebhookConfig, allow ...netip.AddrPort) *hookPod {
	t.Helper()
	iss, authFor := ldptest.Issuer(t)
	srv, setHandler := ldptest.Server(t)
	p := &pod{base: srv.URL + "/"}
	st, res := ldptest.OpenStore(t, p.base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	var err error
	if p.owner, err = iss.NewAgent("owner"); err != nil {
		t.Fatal(err)
	}
	if p.other, err = iss.NewAgent("other"); err != nil {
		t.Fatal(err)
	}
	ldptest.WriteACL(t, st, p.base, "/.acl", aclPrefix+`<#owner> a acl:Authorization ; acl:agent <`+p.owner.WebID+`> ;
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .`)
	h, err := ldp.NewHandler(st, ldp.Config{BaseURL: p.base, ACL: res, Subscriptions: notify.Services(p.base)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	ch, err := st.KV(kv.Channels)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := notify.New(notify.Config{LDP: h, Channels: ch, MaxPerAgent: hookPodLimit})
	if err != nil {
		t.Fatal(err)
	}
	q, err := st.KV(kv.DeliveryQueue)
	if err != nil {
		t.Fatal(err)
	}
	timeout := wc.Timeout
	if timeout == 0 {
		timeout = 3 * time.Second
	}
	client := safehttp.New(safehttp.Options{Timeout: timeout, MaxRedirects: -1, AllowAddrPorts: allow})
	wc.Client, wc.Permits, wc.Queue = client.HTTPClient(), client.Permits, q
	wc.Signer = newTestSigner(t, strings.TrimSuffix(p.base, "/"))
	if wc.MinBackoff == 0 {
		wc.MinBackoff = 20 * time.Millisecond
	}
	hook, err := notify.NewWebhook(context.Background(), svc, wc)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(notify.ServicePath, svc)
	mux.Handle(notify.WebhookPath, hook)
	mux.Handle("/", h)
	setHandler(authFor(p.base).Middleware(mux))
	cur, err := st.KV(kv.FeedCursors)
	if err != nil {
		t.Fatal(err)
	}
	feed := &event.Feed{Log: st, Cursors: cursors{cur}, Poll: 10 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = feed.Run(ctx, hook) }()
	go func() { defer wg.Done(); hook.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return &hookPod{pod: p, hook: hook, st: st, q: q}
}

// hookPodLimit is the per-agent channel limit of a hookPod.
const hookPodLimit = 200

func hookRequest(topic, sendTo string) string {
	return `{"@context":["https://www.w3.org/ns/solid/notification/v1"],"type":"notify:WebhookChannel2023","topic":"` + topic + `","sendTo":"` + sendTo + `"}`
}

// subscribeHook subscribes ag to path with sendTo and returns the channel's description.
func (p *hookPod) subscribeHook(t *testing.T, ag *testissuer.Agent, path, sendTo string) map[string]any {
	t.Helper()
	b := p.must(t, ag, "POST", notify.WebhookPath, "application/ld+json", hookRequest(p.base+strings.TrimPrefix(path, "/"), sendTo), http.StatusOK)
	var desc map[string]any
	if err := json.Unmarshal([]byte(b), &desc); err != nil {
		t.Fatal(err)
	}
	return desc
}

// handled waits until the webhook consumer has handled every change in
// the log, and returns the changes.
func (p *hookPod) handled(t *testing.T) []event.Change {
	t.Helper()
	cs, err := p.st.Changes(context.Background(), 0, 10000)
	if err != nil || len(cs) == 0 {
		t.Fatalf("changes: %v", err)
	}
	cur, err := p.st.KV(kv.FeedCursors)
	if err != nil {
		t.Fatal(err)
	}
	last := event.Cursor(cs[len(cs)-1].Seq)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if c, _, err := (cursors{cur}).Load(context.Background(), p.hook.Name()); err == nil && c >= last {
			return cs
		}
		if time.Now().After(deadline) {
			t.Fatal("the webhook consumer did not handle every change")
		}
	}
}

// queued counts the pending webhook deliveries in kv.DeliveryQueue.
func (p *hookPod) queued(t *testing.T) int { return p.queuedTB(t) }

func (p *hookPod) queuedTB(t testing.TB) int {
	t.Helper()
	n := 0
	if err := p.q.List(context.Background(), "wq/", func(string, []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func expectNote(t *testing.T, n map[string]any, typ, object string) {
	t.Helper()
	if n["type"] != typ || n["object"] != object {
		t.Fatalf("got %v, want %s of %s", n, typ, object)
	}
	for _, k := range []string{"id", "published"} {
		if s, _ := n[k].(string); s == "" {
			t.Fatalf("notification without %s: %v", k, n)
		}
	}
}

// notification-sender-notification-message-data-model over
// WebhookChannel2023: Create, Update, Delete on the resource (with state),
// Add, Remove with target on its container; the channel description is
// the reference server's (id, type, topic, sendTo, sender, endAt); each
// delivery carries the DPoP token and proof.
func TestWebhookChannel2023_Notifications(t *testing.T) {
	rc := newReceiver(t, nil)
	box := newReceiver(t, nil)
	p := newHookPod(t, notify.WebhookConfig{}, rc.addr(), box.addr())
	p.must(t, p.owner, "PUT", "/c/", "text/turtle", "", http.StatusCreated)
	desc := p.subscribeHook(t, p.owner, "/c/doc", rc.url())
	for k, want := range map[string]string{
		"type": "http://www.w3.org/ns/solid/notifications#WebhookChannel2023", "topic": p.base + "c/doc",
		"sendTo": rc.url(), "sender": p.base + ".notifications/WebhookChannel2023/webId",
	} {
		if desc[k] != want {
			t.Errorf("channel %s = %v, want %s", k, desc[k], want)
		}
	}
	if id, _ := desc["id"].(string); !strings.HasPrefix(id, p.base+".notifications/WebhookChannel2023/") {
		t.Errorf("channel id %q", id)
	}
	if end, err := time.Parse(time.RFC3339, desc["endAt"].(string)); err != nil || time.Until(end) < 13*24*time.Hour {
		t.Errorf("endAt %v (%v)", desc["endAt"], err)
	}
	p.subscribeHook(t, p.owner, "/c/", box.url())
	iri := p.base + "c/doc"

	p.must(t, p.owner, "PUT", "/c/doc", "text/plain", "one", http.StatusCreated)
	p.must(t, p.owner, "PUT", "/c/doc", "text/plain", "two", http.StatusNoContent)
	p.must(t, p.owner, "DELETE", "/c/doc", "", "", http.StatusNoContent)
	got := rc.wait(t, 3, 5*time.Second)
	expectNote(t, got[0], "Create", iri)
	expectNote(t, got[1], "Update", iri)
	expectNote(t, got[2], "Delete", iri)
	if got[0]["state"] == nil || got[0]["state"] == got[1]["state"] || got[0]["id"] == got[1]["id"] {
		t.Fatalf("Create and Update should carry their own state and id: %v, %v", got[0], got[1])
	}
	b := box.wait(t, 2, 5*time.Second)
	expectNote(t, b[0], "Add", iri)
	expectNote(t, b[1], "Remove", iri)
	if b[0]["target"] != p.base+"c/" {
		t.Fatalf("Add target %v", b[0]["target"])
	}
	rc.mu.Lock()
	h := rc.hdr[0]
	rc.mu.Unlock()
	if !strings.HasPrefix(h.Get("Authorization"), "DPoP ey") || !strings.HasPrefix(h.Get("DPoP"), "ey") ||
		h.Get("Content-Type") != "application/ld+json" {
		t.Fatalf("delivery headers %v", h)
	}
	for deadline := time.Now().Add(5 * time.Second); p.queued(t) != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still queued", p.queued(t))
		}
	}
}

// The WebID deliveries are made as names the issuer (as the reference
// server's: solid:oidcIssuer only).
func TestWebhookWebID(t *testing.T) {
	p := newHookPod(t, notify.WebhookConfig{})
	b := p.must(t, nil, "GET", notify.WebhookWebIDPath, "", "", http.StatusOK)
	want := "<" + p.base + ".notifications/WebhookChannel2023/webId> solid:oidcIssuer <" + strings.TrimSuffix(p.base, "/") + ">"
	if !strings.Contains(b, want) {
		t.Fatalf("WebID document %q lacks %q", b, want)
	}
	_, b = ldptest.Send(t, nil, "GET", p.base+strings.TrimPrefix(notify.WebhookWebIDPath, "/"), "", "", "Accept", "application/ld+json")
	var doc map[string]any
	if err := json.Unmarshal([]byte(b), &doc); err != nil || doc["@id"] != p.base+".notifications/WebhookChannel2023/webId" {
		t.Fatalf("JSON-LD WebID %s (%v)", b, err)
	}
	if iss, _ := doc["http://www.w3.org/ns/solid/terms#oidcIssuer"].(map[string]any); iss["@id"] != strings.TrimSuffix(p.base, "/") {
		t.Fatalf("JSON-LD WebID %s", b)
	}
}

// Bad input at the subscription service (issue 12 item 3; SECURITY row
// 64): malformed or unknown requests 400/415/422; a sendTo that is not
// https or names an internal address is refused with 422 — unless it is
// a destination the operator allowed (the receiver here).
func TestWebhookSubscriptionBadInput_SecurityRow64(t *testing.T) {
	rc := newReceiver(t, nil)
	p := newHookPod(t, notify.WebhookConfig{}, rc.addr())
	topic := p.base + "doc"
	ctx := `"@context":["https://www.w3.org/ns/solid/notification/v1"]`
	for _, tc := range []struct {
		name, ct, body string
		want           int
	}{
		{"allowed local receiver", "application/ld+json", hookRequest(topic, rc.url()), 200},
		{"not JSON", "application/ld+json", `{`, 400},
		{"not JSON-LD", "application/json", hookRequest(topic, rc.url()), 415},
		{"no sendTo", "application/ld+json", `{` + ctx + `,"type":"notify:WebhookChannel2023","topic":"` + topic + `"}`, 422},
		{"sendTo a number", "application/ld+json", `{` + ctx + `,"type":"notify:WebhookChannel2023","topic":"` + topic + `","sendTo":7}`, 422},
		{"sendTo relative", "application/ld+json", hookRequest(topic, "/hook"), 422},
		{"sendTo ftp", "application/ld+json", hookRequest(topic, "ftp://example.com/x"), 422},
		{"sendTo with user info", "application/ld+json", hookRequest(topic, "https://u:p@example.com/x"), 422},
		{"sendTo plain http", "application/ld+json", hookRequest(topic, "http://example.com/hook"), 422},
		{"sendTo loopback", "application/ld+json", hookRequest(topic, "https://127.0.0.1/hook"), 422},
		{"sendTo loopback v6", "application/ld+json", hookRequest(topic, "https://[::1]:8443/hook"), 422},
		{"sendTo private", "application/ld+json", hookRequest(topic, "https://10.1.2.3/hook"), 422},
		{"sendTo metadata", "application/ld+json", hookRequest(topic, "https://169.254.169.254/latest"), 422},
		{"sendTo mapped loopback", "application/ld+json", hookRequest(topic, "https://[::ffff:127.0.0.1]/hook"), 422},
		{"allowed address, other port", "application/ld+json", hookRequest(topic, "http://127.0.0.1:1/hook"), 422},
		{"WebSocket type to the webhook service", "application/ld+json", request(topic), 422},
		{"bare type name", "application/ld+json", strings.Replace(hookRequest(topic, rc.url()), "notify:WebhookChannel2023", "WebhookChannel2023", 1), 422},
		{"topic elsewhere", "application/ld+json", hookRequest("https://elsewhere.example/x", rc.url()), 422},
		{"malformed feature", "application/ld+json", strings.Replace(hookRequest(topic, rc.url()), `"topic"`, `"rate":"soon","topic"`, 1), 422},
		{"too large", "application/ld+json", `{"x":"` + strings.Repeat("a", 70<<10) + `"}`, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.must(t, p.owner, "POST", notify.WebhookPath, tc.ct, tc.body, tc.want)
		})
	}
	// The full IRI of the type is accepted too.
	p.must(t, p.owner, "POST", notify.WebhookPath, "application/ld+json",
		strings.Replace(hookRequest(topic, rc.url()), "notify:WebhookChannel2023", "http://www.w3.org/ns/solid/notifications#WebhookChannel2023", 1), 200)
	// A webhook channel is not a WebSocket channel.
	desc := p.subscribeHook(t, p.owner, "/doc", rc.url())
	token := strings.TrimPrefix(desc["id"].(string), p.base+".notifications/WebhookChannel2023/")
	p.must(t, p.owner, "DELETE", notify.ServicePath+token, "", "", http.StatusNotFound)
	p.must(t, p.owner, "GET", notify.WebhookPath+token, "", "", http.StatusMethodNotAllowed)
}

// SECURITY row 63 for webhooks: subscribing needs Read on the topic (401
// anonymous, 403 otherwise, the same whether the topic exists), and the
// per-agent limit (429) counts webhook channels too.
func TestWebhookSubscriptionNeedsRead_SecurityRow63(t *testing.T) {
	rc := newReceiver(t, nil)
	p := newHookPod(t, notify.WebhookConfig{}, rc.addr())
	p.must(t, p.owner, "PUT", "/doc", "text/plain", "x", http.StatusCreated)
	for _, path := range []string{"doc", "nothing-here"} {
		body := hookRequest(p.base+path, rc.url())
		p.must(t, nil, "POST", notify.WebhookPath, "application/ld+json", body, http.StatusUnauthorized)
		p.must(t, p.other, "POST", notify.WebhookPath, "application/ld+json", body, http.StatusForbidden)
	}
	for range hookPodLimit {
		p.subscribeHook(t, p.owner, "/doc", rc.url())
	}
	p.must(t, p.owner, "POST", notify.WebhookPath, "application/ld+json", hookRequest(p.base+"doc", rc.url()), http.StatusTooManyRequests)
}

// Read is checked again before each delivery: once the subscriber's Read
// is revoked, nothing more is sent to it (SECURITY row 63), while the
// owner's channel on the same topic still gets the change.
func TestWebhookReadRevoked_SecurityRow63(t *testing.T) {
	theirs := newReceiver(t, nil)
	mine := newReceiver(t, nil)
	p := newHookPod(t, notify.WebhookConfig{}, theirs.addr(), mine.addr())
	p.must(t, p.owner, "PUT", "/r/", "text/turtle", "", http.StatusCreated)
	grant := aclPrefix + `<#owner> a acl:Authorization ; acl:agent <` + p.owner.WebID + `> ;
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#other> a acl:Authorization ; acl:agent <` + p.other.WebID + `> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .`
	p.must(t, p.owner, "PUT", "/r/.acl", "text/turtle", grant, http.StatusCreated)
	p.subscribeHook(t, p.other, "/r/doc", theirs.url())
	p.subscribeHook(t, p.owner, "/r/doc", mine.url())
	p.must(t, p.owner, "PUT", "/r/doc", "text/plain", "one", http.StatusCreated)
	theirs.wait(t, 1, 5*time.Second)
	mine.wait(t, 1, 5*time.Second)
	revoke := aclPrefix + `<#owner> a acl:Authorization ; acl:agent <` + p.owner.WebID + `> ;
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .`
	p.must(t, p.owner, "PUT", "/r/.acl", "text/turtle", revoke, http.StatusNoContent)
	p.must(t, p.owner, "PUT", "/r/doc", "text/plain", "two", http.StatusNoContent)
	mine.wait(t, 2, 5*time.Second)
	time.Sleep(100 * time.Millisecond)
	if got := theirs.received(); len(got) != 1 {
		t.Fatalf("after the revocation the subscriber still got %v", got)
	}
}

// DELETE of the channel unsubscribes (205, then 404): no more deliveries.
func TestWebhookUnsubscribe(t *testing.T) {
	gone := newReceiver(t, nil)
	kept := newReceiver(t, nil)
	p := newHookPod(t, notify.WebhookConfig{}, gone.addr(), kept.addr())
	desc := p.subscribeHook(t, p.owner, "/doc", gone.url())
	p.subscribeHook(t, p.owner, "/doc", kept.url())
	id := strings.TrimPrefix(desc["id"].(string), p.base)
	p.must(t, nil, "DELETE", "/"+id, "", "", http.StatusResetContent)
	p.must(t, nil, "DELETE", "/"+id, "", "", http.StatusNotFound)
	p.must(t, p.owner, "PUT", "/doc", "text/plain", "x", http.StatusCreated)
	kept.wait(t, 1, 5*time.Second)
	time.Sleep(100 * time.Millisecond)
	if n := gone.hits.Load(); n != 0 {
		t.Fatalf("unsubscribed receiver contacted %d times", n)
	}
}

// A receiver that fails is retried with backoff (the first retry within
// the minimum backoff) and gets every delivery, in commit order, once it
// answers 2xx again (SECURITY row 64).
func TestWebhookRetryInOrder_SecurityRow64(t *testing.T) {
	rc := newReceiver(t, func(n int, _ *http.Request) int {
		if n < 3 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	p := newHookPod(t, notify.WebhookConfig{MinBackoff: 30 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}, rc.addr())
	p.subscribeHook(t, p.owner, "/doc", rc.url())
	for i, code := range []int{http.StatusCreated, http.StatusNoContent, http.StatusNoContent} {
		p.must(t, p.owner, "PUT", "/doc", "text/plain", strings.Repeat("x", i+1), code)
	}
	got := rc.wait(t, 3, 5*time.Second)
	for i, typ := range []string{"Create", "Update", "Update"} {
		expectNote(t, got[i], typ, p.base+"doc")
	}
	if got[1]["state"] == got[2]["state"] {
		t.Fatalf("updates out of order or repeated: %v", got)
	}
	if n := rc.hits.Load(); n != 6 {
		t.Fatalf("receiver was asked %d times, want 3 failures and 3 deliveries", n)
	}
}

// A channel's queue is bounded: while its receiver fails, the oldest
// deliveries above the limit are dropped; the newest arrive, in order,
// once the receiver recovers.
func TestWebhookQueueBounded_SecurityRow64(t *testing.T) {
	var up atomic.Bool
	rc := newReceiver(t, func(int, *http.Request) int {
		if up.Load() {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	})
	p := newHookPod(t, notify.WebhookConfig{MaxQueue: 3, MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}, rc.addr())
	p.subscribeHook(t, p.owner, "/doc", rc.url())
	p.must(t, p.owner, "PUT", "/doc", "text/plain", "0", http.StatusCreated)
	for i := 1; i < 8; i++ {
		p.must(t, p.owner, "PUT", "/doc", "text/plain", strings.Repeat("x", i), http.StatusNoContent)
	}
	all := p.handled(t)
	deadline := time.Now().Add(5 * time.Second)
	for p.queued(t) != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("queue holds %d, want 3", p.queued(t))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if rc.hits.Load() == 0 {
		t.Fatal("failing receiver never tried")
	}
	up.Store(true)
	got := rc.wait(t, 3, 5*time.Second)
	for i, n := range got {
		expectNote(t, n, "Update", p.base+"doc")
		if want := "urn:naamio:change:" + strconv.FormatUint(all[len(all)-3+i].Seq, 10) + ":Update"; n["id"] != want {
			t.Fatalf("delivery %d is %v, want the newest three (%s)", i, n["id"], want)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(rc.received()); n != 3 {
		t.Fatalf("got %d deliveries, want the newest 3", n)
	}
}

// A channel whose receiver fails for the whole drop span is deleted with
// its queue (the span is hours by default; short here): its id answers
// 404 and the receiver is not asked again (SECURITY row 64).
func TestWebhookDroppedAfterFailureSpan_SecurityRow64(t *testing.T) {
	rc := newReceiver(t, func(int, *http.Request) int { return http.StatusBadGateway })
	logs := &syncBuffer{}
	p := newHookPod(t, notify.WebhookConfig{MinBackoff: 20 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, DropAfter: 300 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(logs, nil))}, rc.addr())
	desc := p.subscribeHook(t, p.owner, "/doc", rc.url()+"?key=s3cr3t")
	p.must(t, p.owner, "PUT", "/doc", "text/plain", "x", http.StatusCreated)
	id := strings.TrimPrefix(desc["id"].(string), p.base)
	deadline := time.Now().Add(5 * time.Second)
	for {
		// GET of a channel: 405 while it exists, 404 once it is gone.
		resp, _ := ldptest.Send(t, nil, "GET", p.base+id, "", "")
		if resp.StatusCode == http.StatusNotFound {
			break
		}
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("GET of the channel = %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			t.Fatal("channel not dropped")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := rc.hits.Load(); n < 3 {
		t.Fatalf("dropped after %d attempts; want retries throughout the span", n)
	}
	// The log says so, naming the receiver's host but not its URL, which
	// may hold a secret.
	if l := logs.String(); !strings.Contains(l, "webhook channel dropped") || strings.Contains(l, "s3cr3t") {
		t.Fatalf("log:\n%s", l)
	}
	for deadline := time.Now().Add(5 * time.Second); p.queued(t) != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries left queued after the drop", p.queued(t))
		}
	}
	hits := rc.hits.Load()
	p.must(t, p.owner, "PUT", "/doc", "text/plain", "y", http.StatusNoContent)
	time.Sleep(200 * time.Millisecond)
	if rc.hits.Load() != hits {
		t.Fatal("dropped channel still delivered")
	}
}

// A sendTo whose name resolves to an internal address the operator did
// not allow passes the subscription (names are resolved at delivery) but
// is never contacted: the SSRF-safe client refuses the address before it
// connects, which counts as a failed delivery (SECURITY row 64).
func TestWebhookNameResolvingInternalNeverContacted_SecurityRow64(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	logs := &syncBuffer{}
	p := newHookPod(t, notify.WebhookConfig{MinBackoff: 20 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, DropAfter: 300 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(logs, nil))})
	desc := p.subscribeHook(t, p.owner, "/doc", "https://localhost:"+itoa(port)+"/hook?key=s3cr3t")
	p.must(t, p.owner, "PUT", "/doc", "text/plain", "x", http.StatusCreated)
	id := strings.TrimPrefix(desc["id"].(string), p.base)
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, _ := ldptest.Send(t, nil, "GET", p.base+id, "", "")
		if resp.StatusCode == http.StatusNotFound {
			break // dropped after its failures
		}
		if time.Now().After(deadline) {
			t.Fatal("channel to a refused address not dropped")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := accepted.Load(); n != 0 {
		t.Fatalf("internal address contacted %d times", n)
	}
	if l := logs.String(); !strings.Contains(l, "forbidden address") || strings.Contains(l, "s3cr3t") {
		t.Fatalf("log:\n%s", l)
	}
}

// A receiver that never answers costs a bounded number of goroutines: the
// senders are a fixed pool, each delivery has a timeout, a subscriber
// holds at most one sender at a time however many channels it has, and
// the feed is not held back: writes are acknowledged, and another
// subscriber's receiver gets its deliveries meanwhile. SECURITY row 64.
func TestWebhookHangingReceiver_SecurityRow64(t *testing.T) {
	release := make(chan struct{})
	hang := newReceiver(t, func(_ int, r *http.Request) int {
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return http.StatusOK
	})
	defer close(release)
	ok := newReceiver(t, nil)
	p := newHookPod(t, notify.WebhookConfig{Timeout: 100 * time.Millisecond, Senders: 4,
		MinBackoff: time.Second, MaxBackoff: 5 * time.Second}, hang.addr(), ok.addr())
	p.must(t, p.owner, "PUT", "/t/", "text/turtle", "", http.StatusCreated)
	p.must(t, p.owner, "PUT", "/t/.acl", "text/turtle", aclPrefix+`<#owner> a acl:Authorization ; acl:agent <`+p.owner.WebID+`> ;
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#read> a acl:Authorization ; acl:agent <`+p.other.WebID+`> ; acl:agentClass foaf:Agent ;
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .`, http.StatusCreated)
	before := runtime.NumGoroutine()
	const channels, topics = 100, 20
	for i := range channels {
		// Two subscribers with 50 channels each on the hanging receiver.
		p.subscribeHook(t, []*testissuer.Agent{p.owner, p.other}[i%2], "/t/"+itoa(i%topics), hang.url())
	}
	// A third (anonymous) subscriber's healthy receiver.
	p.subscribeHook(t, nil, "/t/0", ok.url())
	start := time.Now()
	for i := range 2 * topics {
		p.must(t, p.owner, "PUT", "/t/"+itoa(i%topics), "text/plain", itoa(i), []int{http.StatusCreated, http.StatusNoContent}[i/topics])
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("%d writes took %v", 2*topics, d)
	}
	peak := 0
	for range 50 {
		peak = max(peak, runtime.NumGoroutine())
		time.Sleep(20 * time.Millisecond)
	}
	ok.wait(t, 2, 10*time.Second)
	// Two busy senders, each with one connection's client and server
	// goroutines, plus the HTTP plumbing of the test's own requests: far
	// fewer than one per channel or per delivery.
	if grown := peak - before; grown > 40 {
		t.Fatalf("goroutines grew by %d (from %d) with %d channels on a hanging receiver", grown, before, channels)
	} else {
		t.Logf("goroutines: %d before, peak %d, with %d channels on a hanging receiver", before, peak, channels)
	}
	if hang.hits.Load() == 0 {
		t.Fatal("hanging receiver never tried")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// Read is checked again when a queued delivery is about to be sent: a
// notification queued while the receiver was failing is not sent once
// the subscriber's Read is revoked, and it leaves the queue (SECURITY row
// 63).
func TestWebhookReadRevokedWhileQueued_SecurityRow63(t *testing.T) {
	var up atomic.Bool
	theirs := newReceiver(t, func(int, *http.Request) int {
		if up.Load() {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	})
	p := newHookPod(t, notify.WebhookConfig{MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}, theirs.addr())
	p.must(t, p.owner, "PUT", "/r/", "text/turtle", "", http.StatusCreated)
	owner := aclPrefix + `<#owner> a acl:Authorization ; acl:agent <` + p.owner.WebID + `> ;
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .`
	p.must(t, p.owner, "PUT", "/r/.acl", "text/turtle", owner+`
<#other> a acl:Authorization ; acl:agent <`+p.other.WebID+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .`, http.StatusCreated)
	p.subscribeHook(t, p.other, "/r/doc", theirs.url())
	p.must(t, p.owner, "PUT", "/r/doc", "text/plain", "one", http.StatusCreated)
	deadline := time.Now().Add(5 * time.Second)
	for theirs.hits.Load() == 0 || p.queued(t) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("delivery never tried")
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.must(t, p.owner, "PUT", "/r/.acl", "text/turtle", owner, http.StatusNoContent)
	up.Store(true)
	for p.queued(t) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the queued delivery stayed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := theirs.received(); len(got) != 0 {
		t.Fatalf("sent after the revocation: %v", got)
	}
}

// syncBuffer is a log sink safe for the senders' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The features apply to webhook channels as to the others: a state that
// differs is delivered at once (before any write), the rate drops
// notifications within the interval, and the answer echoes them.
func TestWebhookFeatures(t *testing.T) {
	rc := newReceiver(t, nil)
	p := newHookPod(t, notify.WebhookConfig{}, rc.addr())
	p.must(t, p.owner, "PUT", "/c/", "text/turtle", "", http.StatusCreated)
	p.must(t, p.owner, "PUT", "/c/doc", "text/plain", "one", http.StatusCreated)
	req := strings.TrimSuffix(hookRequest(p.base+"c/doc", rc.url()), "}") + `,"state":"not-the-etag","rate":"PT1H"}`
	b := p.must(t, p.owner, "POST", notify.WebhookPath, "application/ld+json", req, http.StatusOK)
	var desc map[string]any
	if err := json.Unmarshal([]byte(b), &desc); err != nil {
		t.Fatal(err)
	}
	if desc["rate"] != "PT3600S" || desc["state"] != "not-the-etag" {
		t.Errorf("description %v", desc)
	}
	// The service describes its features as the WebSocket service does.
	if svc := p.must(t, p.owner, "GET", notify.WebhookPath, "", "", http.StatusOK); !strings.Contains(svc, `"feature":["accept","endAt","rate","startAt","state"]`) {
		t.Errorf("service description %s", svc)
	}
	got := rc.wait(t, 1, 5*time.Second)
	expectNote(t, got[0], "Update", p.base+"c/doc")
	// Within the hour: the first change is sent, the second dropped.
	p.must(t, p.owner, "PUT", "/c/doc", "text/plain", "two", http.StatusNoContent)
	p.must(t, p.owner, "PUT", "/c/doc", "text/plain", "three", http.StatusNoContent)
	p.handled(t) // both changes are past the consumer: queued or dropped
	rc.wait(t, 2, 5*time.Second)
	for deadline := time.Now().Add(5 * time.Second); p.queued(t) != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still queued", p.queued(t))
		}
	}
	if n := len(rc.received()); n != 2 {
		t.Fatalf("%d deliveries; want the state and one Update", n)
	}
}
