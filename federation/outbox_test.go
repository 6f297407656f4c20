package federation

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/ldp"
)

// outboxFixture is the fixture's store and pods with a service whose
// Agent is the X-Test-WebID header (in the server it is the Solid-OIDC
// agent auth's middleware found; server/federation_outbox_test.go runs
// the real thing with DPoP).
type outboxFixture struct {
	*fixture
	svc *Service
}

func newOutboxFixture(t testing.TB) *outboxFixture {
	f := newFixtureWith(t, func(c *Config) {
		c.Agent = func(r *http.Request) (string, error) { return r.Header.Get("X-Test-WebID"), nil }
	}, (*Service).OutboxHandler)
	return &outboxFixture{fixture: f, svc: f.svc}
}

func (f *outboxFixture) post(pod, webID, ctype, body string) *http.Response {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.paths.Outbox(pod), strings.NewReader(body))
	if webID != "" {
		req.Header.Set("X-Test-WebID", webID)
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestOutboxPostStoresAndServes: AP §6 — the owner's POST answers 201 with
// the activity's Location; the activity is stored in <pod>/outbox/ as the
// server (origin naamio:federation); the public views answer with id
// equal to the URL; a followers-only post is not shown; Delete → 410
// Tombstone; others get 401/403.
func TestOutboxPostStoresAndServes(t *testing.T) {
	f := newOutboxFixture(t)
	p := f.addPod("alice", "Alice")
	f.addPod("bob", "Bob")
	const as2 = "application/activity+json"

	for _, tc := range []struct {
		name, webID, ctype, body string
		want                     int
	}{
		{"anonymous", "", as2, `{"type":"Note"}`, 401},
		{"another agent", "https://evil.example/card#me", as2, `{"type":"Note"}`, 403},
		{"another pod's owner", f.paths.WebID("bob"), as2, `{"type":"Note"}`, 403},
		{"turtle", p.WebID, "text/turtle", `<a> <b> <c>.`, 415},
		{"unknown type", p.WebID, as2, `{"type":"Move","object":"https://r.example/x"}`, 422},
		{"wrong actor", p.WebID, as2, `{"type":"Note","attributedTo":"https://r.example/eve"}`, 422},
		{"not JSON", p.WebID, as2, `{`, 400},
	} {
		if resp := f.post("alice", tc.webID, tc.ctype, tc.body); resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	if resp := f.post("alice", "", as2, `{"type":"Note"}`); resp.Header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}

	resp := f.post("alice", p.WebID, `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`,
		`{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","content":"hello","to":"as:Public","cc":"followers"}`)
	if resp.StatusCode != 201 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("post: %d %s", resp.StatusCode, b)
	}
	loc := resp.Header.Get("Location")
	rt, ok := f.paths.ParseIRI(loc)
	if !ok || rt.Kind != KindActivity || rt.Pod != "alice" {
		t.Fatalf("Location %q", loc)
	}
	// Stored in the pod, by the server.
	m, err := f.st.Stat(context.Background(), "/alice/outbox/"+rt.ID)
	if err != nil || m.ContentType != "application/ld+json" {
		t.Fatalf("stored: %v %v", m, err)
	}
	cs, err := f.st.Changes(context.Background(), 0, 1000)
	if err != nil || cs[len(cs)-1].Path != "/alice/outbox/"+rt.ID || cs[len(cs)-1].Origin != OriginFederation {
		t.Fatalf("change log: %v %v", cs[len(cs)-1], err)
	}

	act := readJSON(t, f.do("GET", loc, ""))
	obj := f.paths.Object("alice", rt.ID)
	if act["id"] != loc || act["type"] != "Create" || act["object"].(map[string]any)["id"] != obj {
		t.Fatalf("activity view: %v", act)
	}
	ov := f.do("GET", obj, "")
	if ov.StatusCode != 200 || ov.Header.Get("Content-Type") != MediaActivityJSON {
		t.Fatalf("object view: %d %s", ov.StatusCode, ov.Header.Get("Content-Type"))
	}
	if o := readJSON(t, ov); o["id"] != obj || o["content"] != "hello" || o["@context"] != asContext {
		t.Fatalf("object view: %v", o)
	}

	// Followers-only: delivered, but not in the public views.
	resp = f.post("alice", p.WebID, as2, `{"type":"Note","content":"friends","to":"followers","bcc":"https://r.example/u/x"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("post 2: %d", resp.StatusCode)
	}
	if r := f.do("GET", resp.Header.Get("Location"), ""); r.StatusCode != 404 {
		t.Fatalf("followers-only activity served publicly: %d", r.StatusCode)
	}

	col := readJSON(t, f.do("GET", f.paths.Outbox("alice"), ""))
	if col["type"] != "OrderedCollection" || col["totalItems"].(float64) != 1 {
		t.Fatalf("outbox: %v", col)
	}
	page := readJSON(t, f.do("GET", col["first"].(string), ""))
	items := page["orderedItems"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != loc {
		t.Fatalf("page: %v", page)
	}

	// Delete → the object answers 410 with its Tombstone.
	resp = f.post("alice", p.WebID, as2, `{"type":"Delete","object":"`+obj+`"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	gone := f.do("GET", obj, "")
	if gone.StatusCode != 410 {
		t.Fatalf("deleted object: %d", gone.StatusCode)
	}
	if tomb := readJSON(t, gone); tomb["type"] != "Tombstone" || tomb["id"] != obj {
		t.Fatalf("tombstone: %v", tomb)
	}
	for _, u := range []string{f.paths.Object("alice", "nope"), f.paths.Activity("alice", "nope"),
		f.paths.Outbox("nobody")} {
		if r := f.do("GET", u, ""); r.StatusCode != 404 {
			t.Errorf("%s: %d", u, r.StatusCode)
		}
	}
}

// TestOutboxPaging: newest first, outboxPageSize per page, next links.
func TestOutboxPaging(t *testing.T) {
	f := newOutboxFixture(t)
	p := f.addPod("alice", "Alice")
	var ids []string
	for i := 0; i < outboxPageSize+3; i++ {
		resp := f.post("alice", p.WebID, "application/activity+json", `{"type":"Note","content":"n","to":"Public"}`)
		if resp.StatusCode != 201 {
			t.Fatalf("post %d: %d", i, resp.StatusCode)
		}
		ids = append(ids, resp.Header.Get("Location"))
	}
	page := readJSON(t, f.do("GET", f.paths.Outbox("alice")+"?page=true", ""))
	items := page["orderedItems"].([]any)
	if len(items) != outboxPageSize || items[0].(map[string]any)["id"] != ids[len(ids)-1] {
		t.Fatalf("first page: %d items, first %v", len(items), items[0].(map[string]any)["id"])
	}
	page2 := readJSON(t, f.do("GET", page["next"].(string), ""))
	items2 := page2["orderedItems"].([]any)
	if len(items2) != 3 || items2[2].(map[string]any)["id"] != ids[0] || page2["next"] != nil {
		t.Fatalf("second page: %v", page2)
	}
}

// TestOutboxIgnoresUserWrittenFiles: a file someone writes into
// <pod>/outbox/ through LDP (not the server) that claims another actor
// or id is never served as an AS2 activity or object (issue 14: a
// same-origin resource posing as an activity).
func TestOutboxIgnoresUserWrittenFiles(t *testing.T) {
	f := newOutboxFixture(t)
	f.addPod("alice", "Alice")
	id := "0000000000000000fake"
	for _, body := range []string{
		`{"id":"https://evil.example/a","type":"Create","actor":"https://evil.example/eve","to":"` + PublicIRI + `","object":{"id":"x","type":"Note"}}`,
		`{"id":"` + f.paths.Activity("alice", id) + `","type":"Create","actor":"https://evil.example/eve","to":"` + PublicIRI + `"}`,
		`{"id":"` + f.paths.Activity("alice", id) + `","type":"Create","actor":"` + f.paths.Actor("alice") + `","to":"` + PublicIRI + `","object":{"id":"https://evil.example/n","type":"Note"}}`,
		`not json`,
	} {
		if _, _, err := f.st.Put(context.Background(), ldp.PutRequest{Path: "/alice/outbox/" + id, ContentType: "application/ld+json",
			Body: strings.NewReader(body), Origin: "https://pod.example/alice/profile/card#me"}); err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{f.paths.Activity("alice", id), f.paths.Object("alice", id)} {
			if r := f.do("GET", u, ""); r.StatusCode != 404 {
				t.Errorf("%s served for %s: %d", u, body, r.StatusCode)
			}
		}
	}
}

// NodeInfo's localPosts counts the owners' public Creates that were not
// deleted (not followers-only posts, not Likes), from the outbox index.
func TestLocalPostsCount(t *testing.T) {
	f := newOutboxFixture(t)
	p := f.addPod("alice", "Alice")
	const as2 = "application/activity+json"
	var first string
	for i, body := range []string{
		`{"type":"Note","content":"one","to":"Public"}`,
		`{"type":"Note","content":"two","to":"Public"}`,
		`{"type":"Note","content":"only followers","to":"followers"}`,
		`{"type":"Like","object":"https://r.example/x","to":"Public"}`,
	} {
		resp := f.post("alice", p.WebID, as2, body)
		if resp.StatusCode != 201 {
			t.Fatalf("%s: %d", body, resp.StatusCode)
		}
		if i == 0 {
			first = resp.Header.Get("Location")
		}
	}
	if n, ok := f.svc.localPosts(); !ok || n != 2 {
		t.Fatalf("local posts %d %v, want 2", n, ok)
	}
	rt, _ := f.paths.ParseIRI(first)
	if resp := f.post("alice", p.WebID, as2, `{"type":"Delete","object":"`+f.paths.Object("alice", rt.ID)+`"}`); resp.StatusCode != 201 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if n, _ := f.svc.localPosts(); n != 2 {
		t.Fatalf("within a minute the count is the cached one: %d", n)
	}
	f.svc.posts.when = time.Time{} // the minute has passed
	if n, _ := f.svc.localPosts(); n != 1 {
		t.Fatalf("local posts after a Delete: %d, want 1", n)
	}
}

// NodeInfo's active users: the pods whose owner published in the last
// 30 and 180 days (recorded at each C2S post, at most once a day).
func TestActiveUsersCount(t *testing.T) {
	f := newOutboxFixture(t)
	p := f.addPod("alice", "Alice")
	f.addPod("bob", "Bob")
	if m, h, ok := f.svc.activeUsers(); !ok || m != 0 || h != 0 {
		t.Fatalf("before any post: %d %d %v", m, h, ok)
	}
	if resp := f.post("alice", p.WebID, "application/activity+json", `{"type":"Note","content":"hi","to":"Public"}`); resp.StatusCode != 201 {
		t.Fatalf("post: %d", resp.StatusCode)
	}
	// bob last posted 90 days ago (written as markActive writes it).
	old := time.Now().UTC().Add(-90 * 24 * time.Hour).Format(time.RFC3339)
	if err := f.svc.cfg.Records.Put(context.Background(), activeKey("bob"), []byte(old), 0); err != nil {
		t.Fatal(err)
	}
	f.svc.active.when = time.Time{}
	if m, h, ok := f.svc.activeUsers(); !ok || m != 1 || h != 2 {
		t.Fatalf("active: month %d, half-year %d (%v); want 1, 2", m, h, ok)
	}
}
