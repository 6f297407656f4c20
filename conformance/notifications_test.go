package conformance

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/naamio/naamio/internal/testissuer"
)

// Solid Notifications Protocol (solidproject.org/TR/notifications-protocol,
// v0.2) for the WebSocketChannel2023 service: one subtest per requirement
// ID of shared/spec/notifications-protocol.tsv, black-box over HTTP and a
// real WebSocket (github.com/coder/websocket) on 127.0.0.1.

const (
	notifyNS      = "http://www.w3.org/ns/solid/notifications#"
	wsChannelType = notifyNS + "WebSocketChannel2023"
	ctxNotifyV1   = "https://www.w3.org/ns/solid/notification/v1"
	ctxAS         = "https://www.w3.org/ns/activitystreams"
	// noteWait bounds the wait for one notification.
	noteWait = 10 * time.Second
	// quietWait is how long a socket must stay silent to count as "no
	// notification", after a later change already reached another socket.
	quietWait = 700 * time.Millisecond
)

// wsService discovers the WebSocketChannel2023 subscription service as a
// client does: the storageDescription link of a resource, then the
// description's notify:subscription whose notify:channelType is
// WebSocketChannel2023.
func wsService(t testing.TB) string {
	t.Helper()
	r := srv.do(t, http.MethodHead, "/", nil)
	ts := linkTargets(r, relStorageDescription)
	if len(ts) != 1 {
		t.Fatalf("want one storageDescription link, got %v", r.Header.Values("Link"))
	}
	g, _ := srv.fetchGraph(t, ts[0])
	for _, tr := range g.match(term{}, iri(notifyNS+"subscription"), term{}) {
		if g.has(tr.o, iri(notifyNS+"channelType"), iri(wsChannelType)) {
			return tr.o.value
		}
	}
	t.Fatalf("no WebSocketChannel2023 subscription service in %s:\n%s", ts[0], g)
	return ""
}

// channelRequest is a WebSocketChannel2023 request for topic (the
// Notification Channel Data Model in its compact form).
func channelRequest(topic string) []byte {
	b, _ := json.Marshal(map[string]any{
		"@context": []string{ctxNotifyV1},
		"type":     "http://www.w3.org/ns/solid/notifications#WebSocketChannel2023",
		"topic":    topic,
	})
	return b
}

// subscribeAs POSTs a channel request for the path p as agent (nil:
// anonymous).
func subscribeAs(t testing.TB, agent *testissuer.Agent, p string) *reply {
	t.Helper()
	return srv.doAs(t, agent, http.MethodPost, wsService(t), channelRequest(srv.url(p)),
		"Content-Type", ctJSONLD, "Accept", ctJSONLD)
}

// openChannel subscribes to p as agent and opens the channel's socket.
func openChannel(t testing.TB, agent *testissuer.Agent, p string) (map[string]any, *websocket.Conn) {
	t.Helper()
	desc, c := dialChannel(t, subscribeAs(t, agent, p))
	t.Cleanup(func() { _ = c.CloseNow() })
	return desc, c
}

// note is one received notification with its frame type and raw bytes.
type note struct {
	m    map[string]any
	kind websocket.MessageType
	raw  []byte
}

func (n note) str(k string) string { s, _ := n.m[k].(string); return s }

// nextNote reads one notification within d; ok is false when none came.
func nextNote(t testing.TB, c *websocket.Conn, d time.Duration) (note, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	kind, b, err := c.Read(ctx)
	if err != nil {
		return note{}, false
	}
	n := note{kind: kind, raw: b}
	if err := json.Unmarshal(b, &n.m); err != nil {
		t.Fatalf("notification is not a JSON object: %v: %q", err, b)
	}
	return n, true
}

// waitNote reads until a notification of typ about object arrives.
func waitNote(t testing.TB, c *websocket.Conn, typ, object string) note {
	t.Helper()
	deadline := time.Now().Add(noteWait)
	var seen []string
	for time.Now().Before(deadline) {
		n, ok := nextNote(t, c, time.Until(deadline))
		if !ok {
			break
		}
		if n.str("type") == typ && n.str("object") == object {
			return n
		}
		seen = append(seen, string(n.raw))
	}
	t.Fatalf("no %s of %s within %v; got %v", typ, object, noteWait, seen)
	return note{}
}

// contexts lists a JSON-LD @context value's IRIs.
func contexts(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkNoteModel checks a notification against the Notification Message
// Data Model: the Activity Streams and notification contexts, a unique
// absolute id, the activity type, the object IRI, published as an
// xsd:dateTime; state on the resource's own Create and Update, target on
// the container's Add and Remove.
func checkNoteModel(t testing.TB, n note, seenIDs map[string]bool) {
	t.Helper()
	if n.kind != websocket.MessageText {
		t.Errorf("notification in a binary frame: %q", n.raw)
	}
	cs := contexts(n.m["@context"])
	if !hasString(cs, ctxAS) || !hasString(cs, ctxNotifyV1) {
		t.Errorf("@context %v lacks %s or %s", n.m["@context"], ctxAS, ctxNotifyV1)
	}
	id := n.str("id")
	if u, err := url.Parse(id); err != nil || !u.IsAbs() {
		t.Errorf("id %q is not an absolute IRI", id)
	}
	if seenIDs[id] {
		t.Errorf("id %q used twice", id)
	}
	seenIDs[id] = true
	if _, err := time.Parse(time.RFC3339Nano, n.str("published")); err != nil {
		t.Errorf("published %q is not an xsd:dateTime: %v", n.str("published"), err)
	}
	switch n.str("type") {
	case "Create", "Update":
		if n.str("state") == "" {
			t.Errorf("%s without state: %s", n.str("type"), n.raw)
		}
	case "Delete":
	case "Add", "Remove":
		if n.str("target") == "" {
			t.Errorf("%s without target: %s", n.str("type"), n.raw)
		}
	default:
		t.Errorf("type %q is not an activity of the data model: %s", n.str("type"), n.raw)
	}
}

func TestNotificationsProtocol(t *testing.T) {
	requirement(t, "resource-server-link-storage-description-resource", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"a.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))
		var target string
		// Existing resources (as the reference server, a 404 carries no
		// storage description link).
		for _, p := range []string{"/", dir, dir + "a.ttl"} {
			for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodOptions} {
				r := srv.do(t, m, p, nil)
				ts := linkTargets(r, relStorageDescription)
				if len(ts) != 1 {
					t.Errorf("%s %s (%d): want one storageDescription link, got %v", m, p, r.StatusCode, r.Header.Values("Link"))
					continue
				}
				target = ts[0]
			}
		}
		// The link target describes the subscription service.
		g, _ := srv.fetchGraph(t, target)
		if len(g.match(term{}, iri(notifyNS+"subscription"), term{})) == 0 {
			t.Errorf("%s lists no notify:subscription:\n%s", target, g)
		}
	})

	requirement(t, "resource-server-description-resource-accept", func(t *testing.T) {
		r := srv.do(t, http.MethodHead, "/", nil)
		ts := linkTargets(r, relStorageDescription)
		if len(ts) != 1 {
			t.Fatalf("storageDescription links %v", ts)
		}
		for _, accept := range []string{ctJSONLD, "application/ld+json;q=1, text/turtle;q=0.5", "text/turtle;q=0.2, application/ld+json"} {
			for _, agent := range []*testissuer.Agent{owner, nil} {
				r := srv.doAs(t, agent, http.MethodGet, ts[0], nil, "Accept", accept)
				mustStatus(t, r, http.StatusOK)
				if mt := mediaType(r); mt != ctJSONLD {
					t.Errorf("Accept %q: Content-Type %q", accept, mt)
					continue
				}
				if _, err := parseJSONLD(r.body, ts[0]); err != nil {
					t.Errorf("Accept %q: not JSON-LD a processor reads offline: %v\n%s", accept, err, r.body)
				}
			}
		}
	})

	requirement(t, "resource-server-description-resource-response", func(t *testing.T) {
		svc := wsService(t)
		r := srv.do(t, http.MethodHead, "/", nil)
		target := linkTargets(r, relStorageDescription)[0]
		jr := srv.do(t, http.MethodGet, target, nil, "Accept", ctJSONLD)
		mustStatus(t, jr, http.StatusOK)
		for _, rep := range []*reply{jr, srv.do(t, http.MethodGet, target, nil, "Accept", ctTurtle)} {
			g, err := parseAs(rep)
			if err != nil {
				t.Fatalf("%s: %v", mediaType(rep), err)
			}
			// Description Resource Data Model: notify:subscription to the
			// service, whose notify:channelType names the channel type.
			subs := g.match(term{}, iri(notifyNS+"subscription"), iri(svc))
			if len(subs) == 0 {
				t.Errorf("%s: no notify:subscription <%s>:\n%s", mediaType(rep), svc, g)
			}
			if !g.has(iri(svc), iri(notifyNS+"channelType"), iri(wsChannelType)) {
				t.Errorf("%s: <%s> has no notify:channelType notify:WebSocketChannel2023:\n%s", mediaType(rep), svc, g)
			}
			for _, tr := range g.match(iri(svc), iri(notifyNS+"feature"), term{}) {
				if !strings.HasPrefix(tr.o.value, notifyNS) {
					t.Errorf("feature %s is not a notify: feature", tr.o)
				}
			}
		}
	})

	// A client requirement: the server accepts every form of a request
	// that uses the Notification Channel Data Model (type as a full IRI
	// or notify: prefixed, topic as an IRI or a node, with the Activity
	// Streams context beside the notification context).
	requirement(t, "subscription-client-subscription-request", func(t *testing.T) {
		svc := wsService(t)
		dir := fresh(t.Name())
		srv.put(t, dir+"a.txt", "text/plain", []byte("a"))
		topic := srv.url(dir + "a.txt")
		for _, body := range []string{
			`{"@context":["` + ctxNotifyV1 + `"],"type":"` + wsChannelType + `","topic":"` + topic + `"}`,
			`{"@context":"` + ctxNotifyV1 + `","type":"notify:WebSocketChannel2023","topic":"` + topic + `"}`,
			`{"@context":["` + ctxNotifyV1 + `"],"type":"notify:WebSocketChannel2023","topic":{"id":"` + topic + `"}}`,
			`{"@context":["` + ctxAS + `","` + ctxNotifyV1 + `"],"type":"notify:WebSocketChannel2023","topic":"` + topic + `"}`,
		} {
			r := srv.do(t, http.MethodPost, svc, []byte(body), "Content-Type", ctJSONLD)
			if expect(t, r, http.StatusOK) {
				var d map[string]any
				if json.Unmarshal(r.body, &d) != nil || d["topic"] != topic {
					t.Errorf("request %s: answer %s", body, r.body)
				}
			}
		}
	})

	requirement(t, "subscription-server-subscription-request-methods", func(t *testing.T) {
		checkServiceMethods(t, srv, wsService(t))
		dir := fresh(t.Name())
		srv.put(t, dir+"a.txt", "text/plain", []byte("a"))
		expect(t, subscribeAs(t, owner, dir+"a.txt"), http.StatusOK)
	})

	requirement(t, "subscription-server-subscription-request-accept", func(t *testing.T) {
		svc := wsService(t)
		dir := fresh(t.Name())
		srv.put(t, dir+"a.txt", "text/plain", []byte("a"))
		for _, accept := range []string{ctJSONLD, "application/ld+json;q=1.0, */*;q=0.1", `application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"`} {
			r := srv.do(t, http.MethodPost, svc, channelRequest(srv.url(dir+"a.txt")), "Content-Type", ctJSONLD, "Accept", accept)
			if expect(t, r, http.StatusOK) && mediaType(r) != ctJSONLD {
				t.Errorf("POST, Accept %q: Content-Type %q", accept, r.Header.Get("Content-Type"))
			}
			g := srv.do(t, http.MethodGet, svc, nil, "Accept", accept)
			if expect(t, g, http.StatusOK) && mediaType(g) != ctJSONLD {
				t.Errorf("GET, Accept %q: Content-Type %q", accept, g.Header.Get("Content-Type"))
			}
		}
	})

	requirement(t, "subscription-server-subscription-request-content-type", func(t *testing.T) {
		svc := wsService(t)
		dir := fresh(t.Name())
		srv.put(t, dir+"a.txt", "text/plain", []byte("a"))
		body := channelRequest(srv.url(dir + "a.txt"))
		for _, ct := range []string{ctJSONLD, "application/ld+json; charset=utf-8", `application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"`, "Application/LD+JSON"} {
			expect(t, srv.do(t, http.MethodPost, svc, body, "Content-Type", ct), http.StatusOK)
		}
		// What the service does not accept is refused, not guessed at.
		for _, ct := range []string{ctTurtle, "text/plain", "application/x-www-form-urlencoded"} {
			expect(t, srv.do(t, http.MethodPost, svc, body, "Content-Type", ct), http.StatusUnsupportedMediaType)
		}
		expect(t, srv.do(t, http.MethodPost, svc, body), http.StatusUnsupportedMediaType)
	})

	requirement(t, "subscription-server-subscription-request-profile-unrecognised", func(t *testing.T) {
		svc := wsService(t)
		dir := fresh(t.Name())
		srv.put(t, dir+"a.txt", "text/plain", []byte("a"))
		body := channelRequest(srv.url(dir + "a.txt"))
		for _, ct := range []string{
			`application/ld+json;profile="https://example.org/unknown-profile"`,
			`application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"`,
			`application/ld+json;profile=urn:x-unknown`,
		} {
			expect(t, srv.do(t, http.MethodPost, svc, body, "Content-Type", ct), http.StatusUnsupportedMediaType)
		}
	})

	requirement(t, "subscription-server-subscription-request-unprocessable-entity", func(t *testing.T) {
		svc := wsService(t)
		dir := fresh(t.Name())
		srv.put(t, dir+"a.txt", "text/plain", []byte("a"))
		topic := srv.url(dir + "a.txt")
		v1 := `"@context":["` + ctxNotifyV1 + `"]`
		for name, body := range map[string]string{
			"unrecognised context":        `{"@context":["https://example.org/unknown-context"],"type":"notify:WebSocketChannel2023","topic":"` + topic + `"}`,
			"unrecognised context beside": `{"@context":["` + ctxNotifyV1 + `","https://example.org/unknown-context"],"type":"notify:WebSocketChannel2023","topic":"` + topic + `"}`,
			"inline context":              `{"@context":{"x":"https://example.org/"},"type":"notify:WebSocketChannel2023","topic":"` + topic + `"}`,
			"no context":                  `{"type":"notify:WebSocketChannel2023","topic":"` + topic + `"}`,
			"unknown channel type":        `{` + v1 + `,"type":"notify:NoSuchChannel2099","topic":"` + topic + `"}`,
			"no type":                     `{` + v1 + `,"topic":"` + topic + `"}`,
			"no topic":                    `{` + v1 + `,"type":"notify:WebSocketChannel2023"}`,
			"topic not an IRI":            `{` + v1 + `,"type":"notify:WebSocketChannel2023","topic":42}`,
			"topic on another server":     `{` + v1 + `,"type":"notify:WebSocketChannel2023","topic":"https://elsewhere.example/x"}`,
		} {
			if r := srv.do(t, http.MethodPost, svc, []byte(body), "Content-Type", ctJSONLD); r.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s: want 422, got %s", name, r)
			}
		}
	})

	requirement(t, "subscription-server-subscription-response", func(t *testing.T) {
		svc := wsService(t)
		dir := fresh(t.Name())
		srv.put(t, dir+"a.txt", "text/plain", []byte("a"))
		topic := srv.url(dir + "a.txt")
		r := subscribeAs(t, owner, dir+"a.txt")
		mustStatus(t, r, http.StatusOK)
		if mediaType(r) != ctJSONLD {
			t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
		}
		var d map[string]any
		if err := json.Unmarshal(r.body, &d); err != nil {
			t.Fatalf("%v: %s", err, r.body)
		}
		if !hasString(contexts(d["@context"]), ctxNotifyV1) {
			t.Errorf("@context %v lacks %s", d["@context"], ctxNotifyV1)
		}
		id, _ := d["id"].(string)
		if u, err := url.Parse(id); err != nil || !u.IsAbs() || !strings.HasPrefix(id, svc) {
			t.Errorf("channel id %q is not an absolute IRI under the service %s", id, svc)
		}
		if typ, _ := d["type"].(string); typ != wsChannelType && typ != "notify:WebSocketChannel2023" {
			t.Errorf("type %q is not WebSocketChannel2023", typ)
		}
		if d["topic"] != topic {
			t.Errorf("topic %v, want %s", d["topic"], topic)
		}
		// WebSocketChannel2023: receiveFrom is a ws(s) URL the client opens.
		from, _ := d["receiveFrom"].(string)
		if u, err := url.Parse(from); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") {
			t.Fatalf("receiveFrom %q is not a ws(s) URL", from)
		}
		if end, ok := d["endAt"].(string); ok {
			if _, err := time.Parse(time.RFC3339, end); err != nil {
				t.Errorf("endAt %q: %v", end, err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		c, _, err := websocket.Dial(ctx, from, &websocket.DialOptions{HTTPClient: httpClient})
		if err != nil {
			t.Fatalf("opening receiveFrom: %v", err)
		}
		_ = c.CloseNow()
		// Two requests give two channels.
		r2 := subscribeAs(t, owner, dir+"a.txt")
		var d2 map[string]any
		if json.Unmarshal(r2.body, &d2) != nil || d2["id"] == d["id"] || d2["receiveFrom"] == d["receiveFrom"] {
			t.Errorf("a second subscription got the same channel: %s", r2.body)
		}
	})

	requirement(t, "notification-sender-notification-message-data-model", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir, ctTurtle, nil)
		doc := dir + "doc.ttl"
		_, dc := openChannel(t, owner, doc)
		_, cc := openChannel(t, owner, dir)
		ids := map[string]bool{}
		srv.put(t, doc, ctTurtle, []byte(`<#s> <#p> "1" .`))
		create := waitNote(t, dc, "Create", srv.url(doc))
		checkNoteModel(t, create, ids)
		add := waitNote(t, cc, "Add", srv.url(doc))
		checkNoteModel(t, add, ids)
		if add.str("target") != srv.url(dir) {
			t.Errorf("Add target %q, want %s", add.str("target"), srv.url(dir))
		}
		srv.put(t, doc, ctTurtle, []byte(`<#s> <#p> "2" .`))
		update := waitNote(t, dc, "Update", srv.url(doc))
		checkNoteModel(t, update, ids)
		if update.str("state") == create.str("state") {
			t.Errorf("Update has the state of the Create: %q", update.str("state"))
		}
		mustStatus(t, srv.do(t, http.MethodDelete, doc, nil), deleted...)
		checkNoteModel(t, waitNote(t, dc, "Delete", srv.url(doc)), ids)
		remove := waitNote(t, cc, "Remove", srv.url(doc))
		checkNoteModel(t, remove, ids)
		if remove.str("target") != srv.url(dir) {
			t.Errorf("Remove target %q, want %s", remove.str("target"), srv.url(dir))
		}
	})

	// A receiver requirement; what the server owes a receiver is content
	// it can process: one JSON-LD object per text frame whose object it
	// can dereference and whose state is the ETag a GET of the object
	// gives, so the receiver can tell whether its copy is current. The
	// real receiver @inrupt/solid-client-notifications is in
	// TestInruptNotificationsClient.
	requirement(t, "notification-receiver-notification-message-data-model", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir, ctTurtle, nil)
		doc := dir + "doc.ttl"
		srv.put(t, doc, ctTurtle, []byte(`<#s> <#p> "1" .`))
		_, dc := openChannel(t, owner, doc)
		srv.put(t, doc, ctTurtle, []byte(`<#s> <#p> "2" .`))
		n := waitNote(t, dc, "Update", srv.url(doc))
		if n.kind != websocket.MessageText {
			t.Errorf("binary frame")
		}
		r := srv.do(t, http.MethodGet, n.str("object"), nil)
		mustStatus(t, r, http.StatusOK)
		etag := strings.Trim(strings.TrimPrefix(r.Header.Get("ETag"), "W/"), `"`)
		if strings.Trim(n.str("state"), `"`) != etag {
			t.Errorf("state %q does not match the ETag %q of a GET of the object", n.str("state"), r.Header.Get("ETag"))
		}
		mustStatus(t, srv.do(t, http.MethodDelete, doc, nil), deleted...)
		n = waitNote(t, dc, "Delete", srv.url(doc))
		expect(t, srv.do(t, http.MethodGet, n.str("object"), nil), http.StatusNotFound)
	})
}

// TestSecurityNotifications: SECURITY row 63.
func TestSecurityNotifications(t *testing.T) {
	a, b := agents(t)

	// Subscribing needs Read on the topic: anonymous 401 (with the DPoP
	// challenge), an authenticated agent without Read 403, and the answer
	// is the same for an existing and a missing topic — through the
	// WebSocketChannel2023 service and through the notification gateway
	// Inrupt's client uses.
	requirement(t, "security-row-63-subscribe-needs-read", func(t *testing.T) {
		dir, doc := aclDir(t, t.Name(), grant{subject: agentSubject(a), modes: "R"})
		missing := dir + "nix.ttl" // as long as doc.ttl, so bodies compare
		gateway := srv.url("/.notifications/gateway/ws")
		type probe struct {
			name string
			send func(agent *testissuer.Agent, p string) *reply
		}
		for _, pr := range []probe{
			{"WebSocketChannel2023", func(agent *testissuer.Agent, p string) *reply { return subscribeAs(t, agent, p) }},
			{"gateway", func(agent *testissuer.Agent, p string) *reply {
				return srv.doAs(t, agent, http.MethodPost, gateway, []byte(`{"topic":"`+srv.url(p)+`"}`), "Content-Type", "application/json")
			}},
		} {
			for _, c := range []struct {
				agent *testissuer.Agent
				who   string
				want  int
			}{{nil, "anonymous", http.StatusUnauthorized}, {b, "bob", http.StatusForbidden}} {
				have, miss := pr.send(c.agent, doc), pr.send(c.agent, missing)
				if !expect(t, have, c.want) || !expect(t, miss, c.want) {
					continue
				}
				if c.want == http.StatusUnauthorized {
					want401(t, have)
				}
				if got, want := strings.ReplaceAll(string(miss.body), "nix.ttl", "doc.ttl"), string(have.body); got != want {
					t.Errorf("%s as %s: bodies differ for existing and missing: %q vs %q", pr.name, c.who, want, got)
				}
				for k := range mergeKeys(have.Header, miss.Header) {
					if k == "Date" || k == "X-Request-Id" {
						continue
					}
					hv := strings.Join(have.Header.Values(k), ",")
					mv := strings.ReplaceAll(strings.Join(miss.Header.Values(k), ","), "nix.ttl", "doc.ttl")
					if hv != mv {
						t.Errorf("%s as %s: header %s differs: %q vs %q", pr.name, c.who, k, hv, mv)
					}
				}
			}
			// With Read (alice) both subscribe.
			expect(t, pr.send(a, doc), http.StatusOK)
			expect(t, pr.send(a, missing), http.StatusOK)
		}
	})

	// Read is checked again before each notification: once the ACL takes
	// it away, the subscriber's open socket gets nothing more, while a
	// later change still reaches a subscriber who may read.
	requirement(t, "security-row-63-read-revoked", func(t *testing.T) {
		dir, doc := aclDir(t, t.Name(), grant{subject: agentSubject(a), modes: "R"})
		_, ac := openChannel(t, a, doc)
		srv.put(t, doc, ctTurtle, []byte(`<#s> <#p> "before" .`))
		waitNote(t, ac, "Update", srv.url(doc))

		ctl := fresh(t.Name() + "-control")
		srv.put(t, ctl+"c.txt", "text/plain", []byte("0"))
		_, oc := openChannel(t, owner, ctl+"c.txt")
		dirACL, _ := auxOf(t, dir)
		srv.put(t, dirACL, ctTurtle, aclTurtle(ownerGrant(dir)))
		expect(t, srv.doAs(t, a, http.MethodGet, doc, nil), http.StatusForbidden)
		srv.put(t, doc, ctTurtle, []byte(`<#s> <#p> "after" .`))
		mustStatus(t, srv.do(t, http.MethodDelete, doc, nil), deleted...)
		srv.put(t, ctl+"c.txt", "text/plain", []byte("1"))
		// The control change was committed after the revoked ones, and
		// the feed handles changes in commit order.
		waitNote(t, oc, "Update", srv.url(ctl+"c.txt"))
		if n, ok := nextNote(t, ac, quietWait); ok {
			t.Errorf("notification after Read was taken away: %s", n.raw)
		}
		// A new subscription is refused too.
		expect(t, subscribeAs(t, a, doc), http.StatusForbidden)
	})
}

func mergeKeys(hs ...http.Header) map[string]bool {
	out := map[string]bool{}
	for _, h := range hs {
		for k := range h {
			out[k] = true
		}
	}
	return out
}

// dialChannel opens the socket of the channel a subscription answered r
// describes.
func dialChannel(t testing.TB, r *reply) (map[string]any, *websocket.Conn) {
	t.Helper()
	mustStatus(t, r, http.StatusOK)
	var desc map[string]any
	if err := json.Unmarshal(r.body, &desc); err != nil {
		t.Fatalf("channel description: %v: %s", err, r.body)
	}
	from, _ := desc["receiveFrom"].(string)
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	c, _, err := websocket.Dial(ctx, from, &websocket.DialOptions{HTTPClient: httpClient})
	if err != nil {
		t.Fatalf("opening %s: %v", from, err)
	}
	c.SetReadLimit(1 << 20)
	return desc, c
}

// checkServiceMethods: notifications-protocol
// subscription-server-subscription-request-methods — the service answers
// GET and HEAD (the same media type, HEAD without a body) and OPTIONS
// (Allow lists GET, HEAD, OPTIONS, POST), to anyone.
func checkServiceMethods(t *testing.T, s *server, svc string) {
	t.Helper()
	g := s.do(t, http.MethodGet, svc, nil, "Accept", ctJSONLD)
	mustStatus(t, g, http.StatusOK)
	h := s.do(t, http.MethodHead, svc, nil, "Accept", ctJSONLD)
	mustStatus(t, h, http.StatusOK)
	if len(h.body) != 0 || mediaType(h) != mediaType(g) {
		t.Errorf("HEAD: body %q, Content-Type %q (GET %q)", h.body, mediaType(h), mediaType(g))
	}
	o := s.do(t, http.MethodOptions, svc, nil)
	mustStatus(t, o, optionsO...)
	allow := tokens(o.Header, "Allow")
	for _, m := range []string{"get", "head", "options", "post"} {
		if !allow[m] {
			t.Errorf("OPTIONS: Allow %v lacks %s", o.Header.Values("Allow"), strings.ToUpper(m))
		}
	}
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodOptions} {
		expect(t, s.doAs(t, nil, m, svc, nil), http.StatusOK, http.StatusNoContent)
	}
}
