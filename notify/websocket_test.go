package notify_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/internal/testissuer"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
	"github.com/naamio/naamio/notify"
)

// pod is a real server on 127.0.0.1: Badger, the LDP handler behind the
// real authenticator, the notification service, and the change-log feed
// running the service as its consumer.
type pod struct {
	base         string
	owner, other *testissuer.Agent
	st           *badgerstore.Store
}

const aclPrefix = "@prefix acl: <http://www.w3.org/ns/auth/acl#> .\n@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"

func newPod(t *testing.T, maxPerAgent int) *pod {
	return newPodWith(t, notify.Config{MaxPerAgent: maxPerAgent})
}

// newPodWith builds the pod with cfg (LDP and Channels filled in).
func newPodWith(t *testing.T, cfg notify.Config) *pod {
	t.Helper()
	iss, authFor := ldptest.Issuer(t)
	srv, setHandler := ldptest.Server(t)
	p := &pod{base: srv.URL + "/"}
	st, res := ldptest.OpenStore(t, p.base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	p.st = st
	var err error
	if p.owner, err = iss.NewAgent("owner"); err != nil {
		t.Fatal(err)
	}
	if p.other, err = iss.NewAgent("other"); err != nil {
		t.Fatal(err)
	}
	ldptest.WriteACL(t, st, p.base, "/.acl", aclPrefix+`<#owner> a acl:Authorization ; acl:agent <`+p.owner.WebID+`> ;
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .`)
	h, err := ldp.NewHandler(st, ldp.Config{BaseURL: p.base, ACL: res, Subscriptions: notify.Services(p.base), NotificationGateway: notify.GatewayIRI(p.base)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	ch, err := st.KV(kv.Channels)
	if err != nil {
		t.Fatal(err)
	}
	cfg.LDP, cfg.Channels = h, ch
	svc, err := notify.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/.notifications/", svc)
	mux.Handle("/", h)
	setHandler(authFor(p.base).Middleware(mux))
	cur, err := st.KV(kv.FeedCursors)
	if err != nil {
		t.Fatal(err)
	}
	feed := &event.Feed{Log: st, Cursors: cursors{cur}, Poll: 10 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = feed.Run(ctx, svc); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return p
}

// cursors keeps the feed's cursors in the store's kv.FeedCursors.
type cursors struct{ kv kv.KV }

func (c cursors) Load(ctx context.Context, name string) (event.Cursor, bool, error) {
	v, err := c.kv.Get(ctx, name)
	if errors.Is(err, kv.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return event.Cursor(binary.BigEndian.Uint64(v)), true, nil
}

func (c cursors) Save(ctx context.Context, name string, cur event.Cursor) error {
	return c.kv.Put(ctx, name, binary.BigEndian.AppendUint64(nil, uint64(cur)), 0)
}

func (p *pod) must(t *testing.T, ag *testissuer.Agent, method, path, ct, body string, want int) string {
	t.Helper()
	resp, b := ldptest.Send(t, ag, method, p.base+strings.TrimPrefix(path, "/"), ct, body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return b
}

func request(topic string) string {
	return `{"@context":["https://www.w3.org/ns/solid/notification/v1"],"type":"http://www.w3.org/ns/solid/notifications#WebSocketChannel2023","topic":"` + topic + `"}`
}

// subscribe creates a channel on path as ag and opens its socket.
func (p *pod) subscribe(t *testing.T, ag *testissuer.Agent, path string) (*websocket.Conn, map[string]any) {
	t.Helper()
	b := p.must(t, ag, "POST", notify.ServicePath, "application/ld+json", request(p.base+strings.TrimPrefix(path, "/")), http.StatusOK)
	var desc map[string]any
	if err := json.Unmarshal([]byte(b), &desc); err != nil {
		t.Fatal(err)
	}
	from, _ := desc["receiveFrom"].(string)
	if !strings.HasPrefix(from, "ws://127.0.0.1:") {
		t.Fatalf("receiveFrom %q", from)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, from, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c, desc
}

// next reads one notification within d.
func next(t *testing.T, c *websocket.Conn, d time.Duration) (map[string]any, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil {
		return nil, err
	}
	var n map[string]any
	if err := json.Unmarshal(b, &n); err != nil {
		t.Fatalf("notification %q: %v", b, err)
	}
	return n, nil
}

func expect(t *testing.T, c *websocket.Conn, typ, object string) map[string]any {
	t.Helper()
	n, err := next(t, c, 5*time.Second)
	if err != nil {
		t.Fatalf("waiting for %s of %s: %v", typ, object, err)
	}
	if n["type"] != typ || n["object"] != object {
		t.Fatalf("got %v, want %s of %s", n, typ, object)
	}
	for _, k := range []string{"id", "published"} {
		if s, _ := n[k].(string); s == "" {
			t.Fatalf("notification without %s: %v", k, n)
		}
	}
	return n
}

// notification-sender-notification-message-data-model: Create, Update,
// Delete on the resource with state (the ETag); Add, Remove with target
// on its container.
func TestWebSocketChannel2023_Notifications(t *testing.T) {
	p := newPod(t, 0)
	p.must(t, p.owner, "PUT", "/c/", "text/turtle", "", http.StatusCreated)
	doc, _ := p.subscribe(t, p.owner, "/c/doc")
	box, _ := p.subscribe(t, p.owner, "/c/")
	iri := p.base + "c/doc"

	p.must(t, p.owner, "PUT", "/c/doc", "text/plain", "one", http.StatusCreated)
	n := expect(t, doc, "Create", iri)
	if s, _ := n["state"].(string); s == "" {
		t.Fatalf("Create without state: %v", n)
	}
	add := expect(t, box, "Add", iri)
	if add["target"] != p.base+"c/" {
		t.Fatalf("Add target %v", add["target"])
	}
	p.must(t, p.owner, "PUT", "/c/doc", "text/plain", "two", http.StatusNoContent)
	u := expect(t, doc, "Update", iri)
	if u["state"] == n["state"] || u["id"] == n["id"] {
		t.Fatalf("Update should carry the new state and its own id: %v after %v", u, n)
	}
	p.must(t, p.owner, "DELETE", "/c/doc", "", "", http.StatusNoContent)
	expect(t, doc, "Delete", iri)
	expect(t, box, "Remove", iri)
}

// Discovery: the storage description lists the subscription service with
// its channel type; resources link the storage description.
func TestWebSocketChannel2023_Discovery(t *testing.T) {
	p := newPod(t, 0)
	resp, b := ldptest.Send(t, nil, "GET", p.base+".well-known/solid", "", "", "Accept", "application/n-triples")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("storage description: %d", resp.StatusCode)
	}
	svc := "<" + p.base + ".notifications/WebSocketChannel2023/>"
	for _, want := range []string{
		"<" + p.base + "> <http://www.w3.org/ns/solid/notifications#subscription> " + svc + " .",
		svc + " <http://www.w3.org/ns/solid/notifications#channelType> <http://www.w3.org/ns/solid/notifications#WebSocketChannel2023> .",
	} {
		if !strings.Contains(b, want) {
			t.Fatalf("storage description lacks %s:\n%s", want, b)
		}
	}
	// resource-server-description-resource-accept
	resp, b = ldptest.Send(t, nil, "GET", p.base+".well-known/solid", "", "", "Accept", "application/ld+json")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/ld+json") || !strings.Contains(b, "WebSocketChannel2023") {
		t.Fatalf("storage description as JSON-LD: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	resp, _ = ldptest.Send(t, p.owner, "HEAD", p.base, "", "")
	if !strings.Contains(strings.Join(resp.Header.Values("Link"), ","), `rel="http://www.w3.org/ns/solid/terms#storageDescription"`) {
		t.Fatalf("no storageDescription link: %v", resp.Header.Values("Link"))
	}
	p.must(t, nil, "GET", notify.ServicePath, "", "", http.StatusOK)
	p.must(t, nil, "OPTIONS", notify.ServicePath, "", "", http.StatusNoContent)
}

// Subscribing needs Read on the topic: 401 anonymous, 403 otherwise, the
// same whether the topic exists or not.
func TestWebSocketChannel2023_SubscribeNeedsRead(t *testing.T) {
	p := newPod(t, 0)
	p.must(t, p.owner, "PUT", "/secret", "text/plain", "x", http.StatusCreated)
	for _, path := range []string{"secret", "missing"} {
		p.must(t, nil, "POST", notify.ServicePath, "application/ld+json", request(p.base+path), http.StatusUnauthorized)
		p.must(t, p.other, "POST", notify.ServicePath, "application/ld+json", request(p.base+path), http.StatusForbidden)
	}
}

// Read is checked before each send: once the ACL no longer grants it,
// the subscriber gets nothing more.
func TestWebSocketChannel2023_ReadRevoked(t *testing.T) {
	p := newPod(t, 0)
	p.must(t, p.owner, "PUT", "/s/", "text/turtle", "", http.StatusCreated)
	p.must(t, p.owner, "PUT", "/o/", "text/turtle", "", http.StatusCreated)
	grant := func(who string) string {
		return aclPrefix + `<#owner> a acl:Authorization ; acl:agent <` + p.owner.WebID + `> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#r> a acl:Authorization ; acl:agent <` + who + `> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .`
	}
	p.must(t, p.owner, "PUT", "/s/.acl", "text/turtle", grant(p.other.WebID), http.StatusCreated)
	p.must(t, p.owner, "PUT", "/o/.acl", "text/turtle", grant(p.other.WebID), http.StatusCreated)
	s, _ := p.subscribe(t, p.other, "/s/doc")
	o, _ := p.subscribe(t, p.other, "/o/doc")
	p.must(t, p.owner, "PUT", "/s/doc", "text/plain", "1", http.StatusCreated)
	expect(t, s, "Create", p.base+"s/doc")

	p.must(t, p.owner, "PUT", "/s/.acl", "text/turtle", grant("https://nobody.example/#me"), http.StatusNoContent)
	p.must(t, p.owner, "PUT", "/s/doc", "text/plain", "2", http.StatusNoContent)
	p.must(t, p.owner, "PUT", "/o/doc", "text/plain", "3", http.StatusCreated)
	// The later change reached the other channel, so the revoked one's
	// would have been queued before it.
	expect(t, o, "Create", p.base+"o/doc")
	if n, err := next(t, s, 300*time.Millisecond); err == nil {
		t.Fatalf("notification after Read was revoked: %v", n)
	}
}

// Bad input (issue 12 item 3; notifications-protocol
// subscription-server-subscription-request-content-type,
// -profile-unrecognised, -unprocessable-entity).
func TestWebSocketChannel2023_BadInput(t *testing.T) {
	p := newPod(t, 3)
	p.must(t, p.owner, "PUT", "/doc", "text/plain", "x", http.StatusCreated)
	topic := p.base + "doc"
	v1 := `"@context":["https://www.w3.org/ns/solid/notification/v1"]`
	for _, tc := range []struct {
		name, ct, body string
		want           int
	}{
		{"malformed JSON", "application/ld+json", `{"@context":`, http.StatusBadRequest},
		{"not an object", "application/ld+json", `[]`, http.StatusBadRequest},
		{"turtle", "text/turtle", `<> a <x> .`, http.StatusUnsupportedMediaType},
		{"no content type", "", request(topic), http.StatusUnsupportedMediaType},
		{"unknown profile", `application/ld+json; profile="https://example.org/p"`, request(topic), http.StatusUnsupportedMediaType},
		{"no context", "application/ld+json", `{"type":"notify:WebSocketChannel2023","topic":"` + topic + `"}`, http.StatusUnprocessableEntity},
		{"unknown context", "application/ld+json", `{"@context":"https://example.org/ctx","type":"notify:WebSocketChannel2023","topic":"` + topic + `"}`, http.StatusUnprocessableEntity},
		{"bare type", "application/ld+json", `{` + v1 + `,"type":"WebSocketChannel2023","topic":"` + topic + `"}`, http.StatusUnprocessableEntity},
		{"webhook type", "application/ld+json", `{` + v1 + `,"type":"notify:WebhookChannel2023","topic":"` + topic + `"}`, http.StatusUnprocessableEntity},
		{"no type", "application/ld+json", `{` + v1 + `,"topic":"` + topic + `"}`, http.StatusUnprocessableEntity},
		{"no topic", "application/ld+json", `{` + v1 + `,"type":"notify:WebSocketChannel2023"}`, http.StatusUnprocessableEntity},
		{"topic not an IRI", "application/ld+json", `{` + v1 + `,"type":"notify:WebSocketChannel2023","topic":42}`, http.StatusUnprocessableEntity},
		{"relative topic", "application/ld+json", `{` + v1 + `,"type":"notify:WebSocketChannel2023","topic":"/doc"}`, http.StatusUnprocessableEntity},
		{"topic on another host", "application/ld+json", request("https://elsewhere.example/doc"), http.StatusUnprocessableEntity},
		{"feature not offered", "application/ld+json", `{` + v1 + `,"type":"notify:WebSocketChannel2023","topic":"` + topic + `","endAt":"2030-01-01T00:00:00Z"}`, http.StatusUnprocessableEntity},
		{"too large", "application/ld+json", `{` + v1 + `,"x":"` + strings.Repeat("a", 70<<10) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.must(t, p.owner, "POST", notify.ServicePath, tc.ct, tc.body, tc.want)
		})
	}
	t.Run("prefixed type", func(t *testing.T) {
		p.must(t, p.owner, "POST", notify.ServicePath, "application/ld+json", `{`+v1+`,"type":"notify:WebSocketChannel2023","topic":{"id":"`+topic+`"}}`, http.StatusOK)
	})
	t.Run("per-agent limit", func(t *testing.T) {
		p.must(t, p.owner, "POST", notify.ServicePath, "application/ld+json", request(topic), http.StatusOK)
		p.must(t, p.owner, "POST", notify.ServicePath, "application/ld+json", request(topic), http.StatusOK)
		p.must(t, p.owner, "POST", notify.ServicePath, "application/ld+json", request(topic), http.StatusTooManyRequests)
	})
	p.must(t, nil, "PUT", notify.ServicePath, "application/ld+json", request(topic), http.StatusMethodNotAllowed)
	p.must(t, nil, "DELETE", notify.ServicePath+"no-such-channel", "", "", http.StatusNotFound)
}

// Unsubscribing: DELETE of the channel (its id is the capability, as in
// the reference server: 205) closes its socket and forgets it.
func TestWebSocketChannel2023_Unsubscribe(t *testing.T) {
	p := newPod(t, 0)
	c, desc := p.subscribe(t, p.owner, "/doc")
	id := strings.TrimPrefix(desc["id"].(string), p.base)
	p.must(t, p.owner, "DELETE", id, "", "", http.StatusResetContent)
	p.must(t, p.owner, "DELETE", id, "", "", http.StatusNotFound)
	if _, err := next(t, c, 5*time.Second); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("socket after unsubscribe: %v", err)
	}
}

// A client that sends anything on the socket is closed (it only listens).
func TestWebSocketChannel2023_ClientGarbageCloses(t *testing.T) {
	p := newPod(t, 0)
	c, _ := p.subscribe(t, p.owner, "/doc")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	if _, err := next(t, c, 5*time.Second); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("socket after garbage: %v", err)
	}
}

// A channel lives MaxDuration (its endAt): then it is gone (404, its
// records expire in the store) and its open socket is closed at the next
// change instead of being sent it.
func TestWebSocketChannel2023_Expires(t *testing.T) {
	p := newPodWith(t, notify.Config{MaxDuration: 2 * time.Second})
	c, desc := p.subscribe(t, p.owner, "/doc")
	end, err := time.Parse(time.RFC3339, desc["endAt"].(string))
	if err != nil || time.Until(end) > 3*time.Second {
		t.Fatalf("endAt %v (%v)", desc["endAt"], err)
	}
	id := strings.TrimPrefix(desc["id"].(string), p.base)
	time.Sleep(time.Until(end) + 1500*time.Millisecond)
	p.must(t, p.owner, "DELETE", id, "", "", http.StatusNotFound)
	p.must(t, p.owner, "PUT", "/doc", "text/plain", "x", http.StatusCreated)
	if n, err := next(t, c, 5*time.Second); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("expired channel's socket got %v, %v", n, err)
	}
}

// The socket opens only with the channel's secret (receiveFrom's auth
// parameter, kept out of the logged path); the channel has no GET that
// would reveal it.
func TestWebSocketChannel2023_SocketNeedsSecret(t *testing.T) {
	p := newPod(t, 0)
	_, desc := p.subscribe(t, p.owner, "/doc")
	from := desc["receiveFrom"].(string)
	i := strings.Index(from, "?auth=")
	if i < 0 {
		t.Fatalf("receiveFrom %q has no auth parameter", from)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, bad := range []string{from[:i], from[:i] + "?auth=x", from[:i] + "?auth=" + strings.Repeat("A", len(from)-i-6)} {
		if c, resp, err := websocket.Dial(ctx, bad, nil); err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
			if c != nil {
				c.CloseNow()
			}
			t.Fatalf("dial %s: %v %v", bad, resp, err)
		}
	}
	id := strings.TrimPrefix(desc["id"].(string), p.base)
	p.must(t, p.owner, "GET", id, "", "", http.StatusMethodNotAllowed)
}
