package conformance

import (
	"net/http"
	"testing"
	"time"
)

// Notification features (notifications-protocol §Notification Features:
// accept, endAt, rate, startAt, state), one row each, black-box through
// the WebSocketChannel2023 service with a real WebSocket. Where a feature
// must hold a notification back, a second channel on the same topic
// without features (the control) shows that the change was sent; the
// feature's socket must stay silent while the control's gets it.
func TestNotificationFeatures(t *testing.T) {
	// wsRequest is a WebSocketChannel2023 request for p with features.
	wsRequest := func(p string, features map[string]any) []byte {
		return channelRequestWith(wsChannelType, srv.url(p), features)
	}

	requirement(t, "feature-accept", func(t *testing.T) {
		t.Parallel()
		dir := fresh(t.Name())
		doc := dir + "a.txt"
		srv.put(t, doc, "text/plain", []byte("0"))
		// The storage description offers the feature.
		if !describesFeature(t, "accept") {
			t.Errorf("the WebSocketChannel2023 service does not list notify:accept")
		}
		for _, accept := range []any{ctJSONLD, "application/ld+json;q=1, text/turtle;q=0.5", map[string]any{"@value": ctJSONLD}} {
			desc, q := openQueued(t, owner, wsRequest(doc, map[string]any{"accept": accept}))
			if desc["accept"] != ctJSONLD {
				t.Errorf("accept %v: the channel says accept %v, want %s", accept, desc["accept"], ctJSONLD)
			}
			srv.put(t, doc, "text/plain", []byte("1"))
			n := q.wait(t, "Update", srv.url(doc))
			checkNoteModel(t, n, map[string]bool{})
		}
		// A media type the server cannot send notifications in is refused.
		for _, accept := range []any{"text/turtle", "application/ld+json;q=0", "", "not a type", 7} {
			r := srv.do(t, http.MethodPost, wsService(t), wsRequest(doc, map[string]any{"accept": accept}), "Content-Type", ctJSONLD)
			if r.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("accept %v: want 422, got %s", accept, r)
			}
		}
	})

	requirement(t, "feature-endAt", func(t *testing.T) {
		t.Parallel()
		dir := fresh(t.Name())
		doc := dir + "a.txt"
		srv.put(t, doc, "text/plain", []byte("0"))
		if !describesFeature(t, "endAt") {
			t.Errorf("the WebSocketChannel2023 service does not list notify:endAt")
		}
		end := time.Now().Add(4 * time.Second).UTC()
		desc, q := openQueued(t, owner, wsRequest(doc, map[string]any{"endAt": end.Format(time.RFC3339Nano)}))
		_, ctl := openQueued(t, owner, wsRequest(doc, nil))
		got, _ := desc["endAt"].(string)
		if at, err := time.Parse(time.RFC3339Nano, got); err != nil || at.After(end) {
			t.Errorf("channel endAt %q, want a dateTime not after the requested %s", got, end.Format(time.RFC3339Nano))
		}
		srv.put(t, doc, "text/plain", []byte("1"))
		q.wait(t, "Update", srv.url(doc))
		ctl.wait(t, "Update", srv.url(doc))
		time.Sleep(time.Until(end) + 500*time.Millisecond)
		srv.put(t, doc, "text/plain", []byte("2"))
		ctl.wait(t, "Update", srv.url(doc))
		q.quiet(t, quietWait, "a notification after endAt")
		// endAt in the past, or not a dateTime: 422.
		for _, v := range []any{time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "tomorrow", map[string]any{"@value": "2999-01-01T00:00:00Z", "@type": "xsd:duration"}} {
			r := srv.do(t, http.MethodPost, wsService(t), wsRequest(doc, map[string]any{"endAt": v}), "Content-Type", ctJSONLD)
			if r.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("endAt %v: want 422, got %s", v, r)
			}
		}
	})

	requirement(t, "feature-rate", func(t *testing.T) {
		t.Parallel()
		dir := fresh(t.Name())
		doc := dir + "a.txt"
		srv.put(t, doc, "text/plain", []byte("0"))
		if !describesFeature(t, "rate") {
			t.Errorf("the WebSocketChannel2023 service does not list notify:rate")
		}
		const rate = 5 * time.Second
		desc, q := openQueued(t, owner, wsRequest(doc, map[string]any{"rate": "PT5S"}))
		_, ctl := openQueued(t, owner, wsRequest(doc, nil))
		if desc["rate"] != "PT5S" {
			t.Errorf("the channel says rate %v, want PT5S", desc["rate"])
		}
		srv.put(t, doc, "text/plain", []byte("1"))
		q.wait(t, "Update", srv.url(doc))
		// The server sent it before now: the interval ends before
		// first+rate.
		first := time.Now()
		ctl.wait(t, "Update", srv.url(doc))
		// A second change within the rate is not sent.
		srv.put(t, doc, "text/plain", []byte("2"))
		ctl.wait(t, "Update", srv.url(doc))
		if time.Since(first) < rate-time.Second {
			q.quiet(t, quietWait, "a second notification within the rate")
		}
		// After the interval the next change is sent.
		time.Sleep(time.Until(first.Add(rate + 500*time.Millisecond)))
		srv.put(t, doc, "text/plain", []byte("3"))
		want := etagOf(t, srv, doc)
		n := q.wait(t, "Update", srv.url(doc))
		if bareTag(n.str("state")) != want {
			t.Errorf("after the interval: state %q, want the third change's %q", n.str("state"), want)
		}
		for _, v := range []any{"5 seconds", "-PT5S", "PT", map[string]any{"@value": "PT5S", "@type": "xsd:dateTime"}} {
			r := srv.do(t, http.MethodPost, wsService(t), wsRequest(doc, map[string]any{"rate": v}), "Content-Type", ctJSONLD)
			if r.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("rate %v: want 422, got %s", v, r)
			}
		}
	})

	requirement(t, "feature-startAt", func(t *testing.T) {
		t.Parallel()
		dir := fresh(t.Name())
		doc := dir + "a.txt"
		srv.put(t, doc, "text/plain", []byte("0"))
		if !describesFeature(t, "startAt") {
			t.Errorf("the WebSocketChannel2023 service does not list notify:startAt")
		}
		start := time.Now().Add(3 * time.Second).UTC()
		desc, q := openQueued(t, owner, wsRequest(doc, map[string]any{"startAt": start.Format(time.RFC3339Nano)}))
		_, ctl := openQueued(t, owner, wsRequest(doc, nil))
		if got, _ := desc["startAt"].(string); got == "" {
			t.Errorf("the channel does not state its startAt: %v", desc)
		}
		srv.put(t, doc, "text/plain", []byte("1"))
		ctl.wait(t, "Update", srv.url(doc))
		if time.Now().Before(start) {
			q.quiet(t, min(quietWait, time.Until(start)), "a notification before startAt")
		}
		time.Sleep(time.Until(start) + 300*time.Millisecond)
		srv.put(t, doc, "text/plain", []byte("2"))
		want := etagOf(t, srv, doc)
		n := q.wait(t, "Update", srv.url(doc))
		if bareTag(n.str("state")) != want {
			t.Errorf("first notification after startAt has state %q, want the second change's %q", n.str("state"), want)
		}
		// startAt not before endAt: 422.
		r := srv.do(t, http.MethodPost, wsService(t), wsRequest(doc, map[string]any{
			"startAt": time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339),
			"endAt":   time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		}), "Content-Type", ctJSONLD)
		if r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("startAt after endAt: want 422, got %s", r)
		}
	})

	requirement(t, "feature-state", func(t *testing.T) {
		t.Parallel()
		dir := fresh(t.Name())
		doc := dir + "a.txt"
		srv.put(t, doc, "text/plain", []byte("0"))
		if !describesFeature(t, "state") {
			t.Errorf("the WebSocketChannel2023 service does not list notify:state")
		}
		cur := etagOf(t, srv, doc)
		// A subscriber with an old state is sent the current one as soon
		// as it connects, without a change.
		desc, q := openQueued(t, owner, wsRequest(doc, map[string]any{"state": "old-" + cur}))
		if desc["state"] != "old-"+cur {
			t.Errorf("the channel says state %v", desc["state"])
		}
		n := q.wait(t, "Update", srv.url(doc))
		checkNoteModel(t, n, map[string]bool{})
		if bareTag(n.str("state")) != cur {
			t.Errorf("state notification: state %q, want the current %q", n.str("state"), cur)
		}
		// A subscriber whose state is current is sent nothing until a
		// change.
		_, same := openQueued(t, owner, wsRequest(doc, map[string]any{"state": cur}))
		same.quiet(t, quietWait, "a state notification for a current state")
		srv.put(t, doc, "text/plain", []byte("1"))
		if n := same.wait(t, "Update", srv.url(doc)); bareTag(n.str("state")) == cur {
			t.Errorf("Update after a change has the old state %q", cur)
		}
		// A topic that does not exist (any more): Delete.
		_, gone := openQueued(t, owner, wsRequest(dir+"missing.txt", map[string]any{"state": cur}))
		gone.wait(t, "Delete", srv.url(dir+"missing.txt"))
	})
}

// describesFeature reports whether the storage description lists the
// feature on the WebSocketChannel2023 subscription service.
func describesFeature(t testing.TB, name string) bool {
	t.Helper()
	r := srv.do(t, http.MethodHead, "/", nil)
	ts := linkTargets(r, relStorageDescription)
	if len(ts) != 1 {
		t.Fatalf("storageDescription links %v", ts)
	}
	g, _ := srv.fetchGraph(t, ts[0])
	return g.has(iri(wsService(t)), iri(notifyNS+"feature"), iri(notifyNS+name))
}
