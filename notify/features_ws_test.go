package notify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/naamio/naamio/internal/testissuer"
	"github.com/naamio/naamio/ldp/ldptest"
	"github.com/naamio/naamio/notify"
)

// requestWith is a WebSocketChannel2023 request on topic with extra
// members (features), e.g. `"rate":"PT10S"`.
func requestWith(topic, extra string) string {
	return strings.TrimSuffix(request(topic), "}") + "," + extra + "}"
}

// open subscribes with body as ag and opens the channel's socket.
func (p *pod) open(t *testing.T, ag *testissuer.Agent, body string) (*websocket.Conn, map[string]any) {
	t.Helper()
	b := p.must(t, ag, "POST", notify.ServicePath, "application/ld+json", body, http.StatusOK)
	var desc map[string]any
	if err := json.Unmarshal([]byte(b), &desc); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, desc["receiveFrom"].(string), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c, desc
}

// silent fails if c is sent anything within d.
func silent(t *testing.T, c *websocket.Conn, d time.Duration, why string) {
	t.Helper()
	if n, err := next(t, c, d); err == nil {
		t.Fatalf("%s: got %v", why, n)
	}
}

// notify:accept — only what the server sends (application/ld+json) is
// accepted; any other media type is 422, and the channel echoes it.
func TestFeatureAccept(t *testing.T) {
	p := newPod(t, 0)
	topic := p.base + "doc"
	for _, bad := range []string{"text/turtle", "application/json", "image/png", "application/ld+json;q=0"} {
		p.must(t, p.owner, "POST", notify.ServicePath, "application/ld+json", requestWith(topic, `"accept":"`+bad+`"`), http.StatusUnprocessableEntity)
	}
	c, desc := p.open(t, p.owner, requestWith(topic, `"accept":"application/ld+json"`))
	if desc["accept"] != "application/ld+json" {
		t.Fatalf("channel description %v", desc)
	}
	p.must(t, p.owner, "PUT", "/doc", "text/plain", "x", http.StatusCreated)
	expect(t, c, "Create", topic)
}

// notify:endAt — a channel ends at its endAt (then it is gone), never
// later than the service's maximum (two weeks, as the reference server
// caps it); an endAt already past is 422.
func TestFeatureEndAt(t *testing.T) {
	p := newPod(t, 0)
	topic := p.base + "doc"
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	p.must(t, p.owner, "POST", notify.ServicePath, "application/ld+json", requestWith(topic, `"endAt":"`+past+`"`), http.StatusUnprocessableEntity)

	_, far := p.open(t, p.owner, requestWith(topic, `"endAt":"2999-01-01T00:00:00Z"`))
	end, err := time.Parse(time.RFC3339, far["endAt"].(string))
	if err != nil || end.After(time.Now().Add(notify.DefaultMaxDuration)) || end.Before(time.Now().Add(notify.DefaultMaxDuration-time.Minute)) {
		t.Fatalf("endAt far in the future became %v (%v), want now + %s", far["endAt"], err, notify.DefaultMaxDuration)
	}

	soon := time.Now().Add(2 * time.Second).UTC().Truncate(time.Second)
	c, desc := p.open(t, p.owner, requestWith(topic, `"endAt":"`+soon.Format(time.RFC3339)+`"`))
	if desc["endAt"] != soon.Format(time.RFC3339) {
		t.Fatalf("endAt %v, want %s", desc["endAt"], soon.Format(time.RFC3339))
	}
	time.Sleep(time.Until(soon) + 500*time.Millisecond)
	p.must(t, p.owner, "DELETE", strings.TrimPrefix(desc["id"].(string), p.base), "", "", http.StatusNotFound)
	p.must(t, p.owner, "PUT", "/doc", "text/plain", "x", http.StatusCreated)
	if n, err := next(t, c, 5*time.Second); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("channel past its endAt got %v, %v", n, err)
	}
}

// notify:rate — at most one notification per interval per channel; the
// ones within the interval are dropped (as the reference server drops
// them), not sent later.
func TestFeatureRate(t *testing.T) {
	p := newPod(t, 0)
	topic := p.base + "doc"
	limited, desc := p.open(t, p.owner, requestWith(topic, `"rate":"PT1M"`))
	if desc["rate"] != "PT60S" {
		t.Fatalf("rate in the description: %v", desc["rate"])
	}
	all, _ := p.subscribe(t, p.owner, "/doc")
	p.must(t, p.owner, "PUT", "/doc", "text/plain", "1", http.StatusCreated)
	p.must(t, p.owner, "PUT", "/doc", "text/plain", "2", http.StatusNoContent)
	expect(t, all, "Create", topic)
	expect(t, all, "Update", topic) // the limited channel was offered it by now
	expect(t, limited, "Create", topic)
	silent(t, limited, 300*time.Millisecond, "second notification within the rate")
}

// notify:startAt — nothing is sent before it.
func TestFeatureStartAt(t *testing.T) {
	p := newPod(t, 0)
	topic := p.base + "doc"
	later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	waiting, desc := p.open(t, p.owner, requestWith(topic, `"startAt":"`+later+`"`))
	if desc["startAt"] == nil {
		t.Fatalf("startAt not in the description: %v", desc)
	}
	started, _ := p.open(t, p.owner, requestWith(topic, `"startAt":"2020-01-01T00:00:00Z"`))
	p.must(t, p.owner, "PUT", "/doc", "text/plain", "1", http.StatusCreated)
	expect(t, started, "Create", topic)
	silent(t, waiting, 300*time.Millisecond, "notification before startAt")
}

// notify:state — when the topic's state differs from the one given, a
// notification (Update, or Delete for a topic that is gone) is sent as
// soon as the socket is connected; when it is the same, none is.
func TestFeatureState(t *testing.T) {
	p := newPod(t, 0)
	topic := p.base + "doc"
	p.must(t, p.owner, "PUT", "/doc", "text/plain", "1", http.StatusCreated)
	resp, _ := ldptest.Send(t, p.owner, "HEAD", topic, "", "")
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}

	stale, _ := p.open(t, p.owner, requestWith(topic, `"state":"stale"`))
	n := expect(t, stale, "Update", topic)
	if `"`+n["state"].(string)+`"` != etag {
		t.Fatalf("state notification carries %v, want the current %s", n["state"], etag)
	}

	for _, quoted := range []bool{true, false} {
		same := etag
		if !quoted {
			same = strings.Trim(etag, `"`) // as notifications carry it
		}
		b, _ := json.Marshal(same)
		c, _ := p.open(t, p.owner, requestWith(topic, `"state":`+string(b)))
		// The first message must be the later write's, not a state notification.
		p.must(t, p.owner, "PUT", "/doc", "text/plain", "next "+same, http.StatusNoContent)
		u := expect(t, c, "Update", topic)
		if `"`+u["state"].(string)+`"` == etag {
			t.Fatalf("state %s is current, yet a state notification was sent: %v", same, u)
		}
		resp, _ = ldptest.Send(t, p.owner, "HEAD", topic, "", "")
		etag = resp.Header.Get("ETag")
	}

	gone, _ := p.open(t, p.owner, requestWith(p.base+"missing", `"state":"x"`))
	expect(t, gone, "Delete", p.base+"missing")
}

// Discovery of the features: the storage description (Turtle and JSON-LD)
// names each on the subscription service, and so does the service's own
// description.
func TestFeaturesAdvertised(t *testing.T) {
	p := newPod(t, 0)
	svc := p.base + ".notifications/WebSocketChannel2023/"
	for _, f := range []string{"accept", "endAt", "rate", "startAt", "state"} {
		iri := "http://www.w3.org/ns/solid/notifications#" + f
		_, nt := ldptest.Send(t, nil, "GET", p.base+".well-known/solid", "", "", "Accept", "application/n-triples")
		if want := "<" + svc + "> <http://www.w3.org/ns/solid/notifications#feature> <" + iri + "> ."; !strings.Contains(nt, want) {
			t.Fatalf("storage description lacks %s:\n%s", want, nt)
		}
		_, ttl := ldptest.Send(t, nil, "GET", p.base+".well-known/solid", "", "", "Accept", "text/turtle")
		if !strings.Contains(ttl, iri) && !strings.Contains(ttl, ":"+f) {
			t.Fatalf("Turtle storage description lacks %s:\n%s", f, ttl)
		}
		_, js := ldptest.Send(t, nil, "GET", p.base+".well-known/solid", "", "", "Accept", "application/ld+json")
		if !strings.Contains(js, iri) && !strings.Contains(js, `{"@id": "notify:`+f+`"}`) {
			t.Fatalf("JSON-LD storage description lacks %s:\n%s", iri, js)
		}
		if b := p.must(t, nil, "GET", notify.ServicePath, "", "", http.StatusOK); !strings.Contains(b, `"`+f+`"`) {
			t.Fatalf("service description lacks %s: %s", f, b)
		}
	}
}
