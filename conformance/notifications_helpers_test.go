package conformance

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/naamio/naamio/internal/testissuer"
)

// Helpers shared by the notification tests of the other channel types and
// of the features (notifications_webhook_test.go,
// notifications_streaming_test.go, notifications_features_test.go).

const (
	webhookChannelType   = notifyNS + "WebhookChannel2023"
	streamingChannelType = notifyNS + "StreamingHTTPChannel2023"
	// relStreaming is the Link relation from a resource to its
	// StreamingHTTPChannel2023 stream.
	relStreaming = solidNS + "updatesViaStreamingHttp2023"
)

// serviceFor discovers the subscription service of channelType on s as a
// client does: the storageDescription link of the root, then the
// description's notify:subscription whose notify:channelType is
// channelType. ok is false when the description lists none.
func serviceFor(t testing.TB, s *server, channelType string) (svc string, ok bool) {
	t.Helper()
	r := s.do(t, http.MethodHead, "/", nil)
	ts := linkTargets(r, relStorageDescription)
	if len(ts) != 1 {
		t.Fatalf("want one storageDescription link, got %v", r.Header.Values("Link"))
	}
	g, _ := s.fetchGraph(t, ts[0])
	for _, tr := range g.match(term{}, iri(notifyNS+"subscription"), term{}) {
		if g.has(tr.o, iri(notifyNS+"channelType"), iri(channelType)) {
			return tr.o.value, true
		}
	}
	return "", false
}

// mustService is serviceFor that fails the test when there is none.
func mustService(t testing.TB, s *server, channelType string) string {
	t.Helper()
	svc, ok := serviceFor(t, s, channelType)
	if !ok {
		t.Fatalf("the storage description of %s lists no %s subscription service", s.base, channelType)
	}
	return svc
}

// channelRequestWith is a channel request of channelType for topic with
// further members (sendTo, features).
func channelRequestWith(channelType, topic string, extra map[string]any) []byte {
	m := map[string]any{
		"@context": []string{ctxNotifyV1},
		"type":     channelType,
		"topic":    topic,
	}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}

// noteQueue reads a channel's socket in the background, so a test can wait
// for "no notification" and go on reading (a read whose context ends
// closes a coder/websocket connection).
type noteQueue struct {
	c     *websocket.Conn
	notes chan note
}

// queueNotes starts reading c; notes is closed when the socket ends.
func queueNotes(t testing.TB, c *websocket.Conn) *noteQueue {
	q := &noteQueue{c: c, notes: make(chan note, 64)}
	go func() {
		defer close(q.notes)
		for {
			kind, b, err := c.Read(context.Background())
			if err != nil {
				return
			}
			n := note{kind: kind, raw: b}
			_ = json.Unmarshal(b, &n.m) // a non-object is seen by the test as n.m == nil
			q.notes <- n
		}
	}()
	t.Cleanup(func() { _ = c.CloseNow() })
	return q
}

// next returns the next notification within d; ok is false when none came
// (or the socket ended).
func (q *noteQueue) next(d time.Duration) (note, bool) {
	select {
	case n, ok := <-q.notes:
		return n, ok
	case <-time.After(d):
		return note{}, false
	}
}

// wait reads until a notification of typ about object arrives.
func (q *noteQueue) wait(t testing.TB, typ, object string) note {
	t.Helper()
	deadline := time.Now().Add(noteWait)
	var seen []string
	for time.Now().Before(deadline) {
		n, ok := q.next(time.Until(deadline))
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

// quiet fails the test if a notification arrives within d.
func (q *noteQueue) quiet(t testing.TB, d time.Duration, why string) {
	t.Helper()
	if n, ok := q.next(d); ok {
		t.Errorf("%s: got %s", why, n.raw)
	}
}

// openQueued subscribes to p on the WebSocketChannel2023 service of srv
// as agent with the request body, opens the socket and queues its
// notifications. It returns the channel description.
func openQueued(t testing.TB, agent *testissuer.Agent, body []byte) (map[string]any, *noteQueue) {
	t.Helper()
	desc, c := dialChannel(t, srv.doAs(t, agent, http.MethodPost, wsService(t), body, "Content-Type", ctJSONLD, "Accept", ctJSONLD))
	return desc, queueNotes(t, c)
}

// etagOf is the entity tag of p as a GET by the owner gives it, without
// W/ and quotes (how notification states are compared).
func etagOf(t testing.TB, s *server, p string) string {
	t.Helper()
	r := s.do(t, http.MethodGet, p, nil)
	mustStatus(t, r, http.StatusOK)
	return bareTag(r.Header.Get("ETag"))
}
