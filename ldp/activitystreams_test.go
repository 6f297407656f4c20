package ldp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
)

// asTypes are spellings of the ActivityStreams 2.0 media types (AP §3.2)
// a client might send to make a resource pose as an actor or activity.
var asTypes = []string{
	"application/activity+json",
	"Application/Activity+JSON",
	"application/activity+json; charset=utf-8",
	`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`,
	`application/ld+json;profile="https://www.w3.org/ns/activitystreams"`,
	`application/ld+json; profile="https://www.w3.org/ns/activitystreams https://example.org/other"`,
	`application/ld+json; profile="http://www.w3.org/ns/activitystreams"`,
	`APPLICATION/LD+JSON; PROFILE="https://www.w3.org/ns/activitystreams"`,
}

const fakeActor = `{"@context":"https://www.w3.org/ns/activitystreams","id":"http://pod.example/evil","type":"Person",` +
	`"inbox":"http://pod.example/evil/inbox","publicKey":{"id":"http://pod.example/evil#k","owner":"http://pod.example/evil","publicKeyPem":"x"}}`

// SECURITY row 62 (issue 14; Mastodon CVE-2024-25623 class): a user-written resource is
// never stored or served with an ActivityStreams media type, so a
// same-origin file cannot pose as an actor or an activity.
func TestSecurityRow62ActivityStreamsTypeRefused(t *testing.T) {
	srv := newPod(t)
	for i, ct := range asTypes {
		path := "/as" + string(rune('a'+i))
		if resp := put(t, srv, path, ct, fakeActor); resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("PUT %s: %d, want 415", ct, resp.StatusCode)
		}
		resp := do(t, srv, req{method: http.MethodPost, path: "/", body: fakeActor,
			header: map[string]string{"Content-Type": ct, "Slug": "post" + string(rune('a'+i))}})
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("POST %s: %d, want 415", ct, resp.StatusCode)
		}
		resp = do(t, srv, req{method: http.MethodPatch, path: path + "p", body: fakeActor,
			header: map[string]string{"Content-Type": ct}})
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("PATCH %s: %d, want 415", ct, resp.StatusCode)
		}
		if resp := do(t, srv, req{method: http.MethodGet, path: path}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: refused write left a resource (%d)", ct, resp.StatusCode)
		}
	}
	// Other JSON-LD profiles and plain JSON are still accepted.
	for _, ct := range []string{"application/json", "application/ld+json", `application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"`} {
		body := `{"@id":"http://pod.example/x","http://schema.org/name":"x"}`
		if resp := put(t, srv, "/ok-"+strings.NewReplacer("/", "", "+", "", ";", "", " ", "", `"`, "", ":", "", "#", "").Replace(ct), ct, body); resp.StatusCode/100 != 2 {
			t.Errorf("PUT %s: %d", ct, resp.StatusCode)
		}
	}
}

// Data stored with an AS2 type before the refusal existed (or written
// around the HTTP layer) is served as application/json, and an Accept
// naming only AS2 types gets 406.
func TestSecurityRow62ActivityStreamsTypeNeverServed(t *testing.T) {
	st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	h := ldptest.PublicHandler(t, st, res, ldp.Config{BaseURL: base, MaxRDFBody: 1 << 20})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for i, ct := range asTypes {
		path := "/old" + string(rune('a'+i))
		if _, _, err := st.Put(context.Background(), ldp.PutRequest{Path: path, ContentType: ct, Body: strings.NewReader(fakeActor)}); err != nil {
			t.Fatal(err)
		}
		for _, accept := range []string{"", "*/*", "application/json", "application/activity+json, */*;q=0.1"} {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				resp := do(t, srv, req{method: method, path: path, header: map[string]string{"Accept": accept}})
				if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
					t.Errorf("%s %s stored as %s, Accept %q: %d %q", method, path, ct, accept, resp.StatusCode, resp.Header.Get("Content-Type"))
				}
			}
		}
		for _, accept := range []string{"application/activity+json", asTypes[3]} {
			resp := do(t, srv, req{method: http.MethodGet, path: path, header: map[string]string{"Accept": accept}})
			if resp.StatusCode != http.StatusNotAcceptable {
				t.Errorf("GET %s Accept %q: %d %q, want 406", path, accept, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		}
		resp := do(t, srv, req{method: http.MethodGet, path: path, header: map[string]string{"Range": "bytes=0-3"}})
		if ct := resp.Header.Get("Content-Type"); strings.Contains(strings.ToLower(ct), "activit") {
			t.Errorf("range of %s served as %q", path, ct)
		}
	}
}
