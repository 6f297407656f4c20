package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"code.superseriousbusiness.org/activity/streams"
)

// c2s is a normaliser for pod "alice" on https://pod.example/ with an
// in-memory outbox of earlier results (the store is exercised by the HTTP
// tests; this is the pure part).
type c2s struct {
	t       *testing.T
	paths   *Paths
	n       int
	stored  map[string]map[string]any // activity IRI → activity
	pending map[string]map[string]any
}

func newC2S(t *testing.T) *c2s {
	p, err := NewPaths("https://pod.example/", func(name string) string { return "https://pod.example/" + name + "/" })
	if err != nil {
		t.Fatal(err)
	}
	return &c2s{t: t, paths: p, stored: map[string]map[string]any{}, pending: map[string]map[string]any{}}
}

func (c *c2s) opts() outgoing {
	return outgoing{Paths: c.paths, Pod: "alice", Now: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC),
		NewID: func() string { c.n++; return fmt.Sprintf("id%d", c.n) },
		Stored: func(iri string) (map[string]any, bool, error) {
			if a, ok := c.stored[iri]; ok {
				return a, true, nil
			}
			for _, a := range c.stored {
				if o, ok := a["object"].(map[string]any); ok && o["id"] == iri && a["type"] == "Create" {
					return a, true, nil
				}
			}
			return nil, false, nil
		},
		Pending: func(iri string) (map[string]any, bool, error) { f, ok := c.pending[iri]; return f, ok, nil },
	}
}

// post normalises body and keeps the result as the outbox would (a
// Delete or Update replaces the stored Create's object).
func (c *c2s) post(body string) (*normalised, error) {
	n, err := normaliseOutgoing([]byte(body), c.opts())
	if err != nil {
		return nil, err
	}
	// The result must round-trip through JSON and read as its AS2 type
	// with go-fed's streams (what GoToSocial parses peers with).
	raw, _ := json.Marshal(n.Activity)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	if _, err := streams.ToType(context.Background(), m); err != nil {
		c.t.Fatalf("streams cannot read %s: %v", raw, err)
	}
	c.stored[n.Activity["id"].(string)] = m
	if n.Type == "Update" || n.Type == "Delete" {
		for _, a := range c.stored {
			if o, ok := a["object"].(map[string]any); ok && a["type"] == "Create" && o["id"] == n.objectIRI() {
				a["object"] = n.object()
			}
		}
	}
	return n, nil
}

func (c *c2s) must(body string) map[string]any {
	c.t.Helper()
	n, err := c.post(body)
	if err != nil {
		c.t.Fatalf("%s: %v", body, err)
	}
	return n.Activity
}

const alice = "https://pod.example/.ap/actors/alice"

// TestNormaliseWrapsBareObject: AP §6.2 — a bare Note is wrapped in a
// Create; ids, actor, attributedTo and published are the server's;
// addressing is copied both ways, "followers" expanded, mentions in cc.
func TestNormaliseWrapsBareObject(t *testing.T) {
	c := newC2S(t)
	a := c.must(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","id":"https://evil.example/x",
		"content":"hi @bob","to":["Public"],"cc":"followers","attributedTo":"` + alice + `","replies":"https://evil.example/r",
		"tag":[{"type":"Mention","href":"https://remote.example/users/bob","name":"@bob@remote.example"}],
		"inReplyTo":{"id":"https://remote.example/notes/1","type":"Note"}}`)
	if a["type"] != "Create" || a["id"] != alice+"/activities/id1" || a["actor"] != alice || a["@context"] != asContext {
		t.Fatalf("activity: %v", a)
	}
	o := a["object"].(map[string]any)
	if o["id"] != alice+"/objects/id1" || o["attributedTo"] != alice || o["published"] != "2026-12-07T08:00:00Z" ||
		o["inReplyTo"] != "https://remote.example/notes/1" || o["replies"] != nil {
		t.Fatalf("object: %v", o)
	}
	wantCC := []any{alice + "/followers", "https://remote.example/users/bob"}
	for _, m := range []map[string]any{a, o} {
		if fmt.Sprint(m["to"]) != fmt.Sprint([]any{PublicIRI}) || fmt.Sprint(m["cc"]) != fmt.Sprint(wantCC) {
			t.Fatalf("addressing to=%v cc=%v", m["to"], m["cc"])
		}
	}
}

// TestNormaliseLifecycle: Update keeps published and sets updated; Delete
// makes a Tombstone; Undo embeds the stored Follow it names by id.
func TestNormaliseLifecycle(t *testing.T) {
	c := newC2S(t)
	created := c.must(`{"type":"Create","object":{"type":"Article","name":"T","content":"v1","to":"Public"}}`)
	obj := created["object"].(map[string]any)["id"].(string)

	c.opts()
	upd := c.must(`{"type":"Update","object":{"id":"` + obj + `","content":"v2"}}`)
	uo := upd["object"].(map[string]any)
	if uo["content"] != "v2" || uo["name"] != "T" || uo["published"] != "2026-12-07T08:00:00Z" || uo["updated"] == nil ||
		fmt.Sprint(upd["to"]) != fmt.Sprint([]any{PublicIRI}) {
		t.Fatalf("update: %v", upd)
	}

	del := c.must(`{"type":"Delete","object":"` + obj + `"}`)
	do := del["object"].(map[string]any)
	if do["type"] != "Tombstone" || do["id"] != obj || do["formerType"] != "Article" || do["deleted"] == nil {
		t.Fatalf("delete: %v", del)
	}
	if _, err := c.post(`{"type":"Update","object":{"id":"` + obj + `","content":"v3"}}`); !errors.Is(err, errUnprocessable) {
		t.Fatalf("update of a tombstone: %v", err)
	}

	follow := c.must(`{"type":"Follow","object":"https://remote.example/users/bob"}`)
	if fmt.Sprint(follow["to"]) != "[https://remote.example/users/bob]" {
		t.Fatalf("follow: %v", follow)
	}
	undo := c.must(`{"type":"Undo","object":"` + follow["id"].(string) + `"}`)
	uf := undo["object"].(map[string]any)
	if uf["type"] != "Follow" || uf["id"] != follow["id"] || uf["object"] != "https://remote.example/users/bob" ||
		uf["@context"] != nil || fmt.Sprint(undo["to"]) != "[https://remote.example/users/bob]" {
		t.Fatalf("undo: %v", undo)
	}
	ann := c.must(`{"type":"Announce","object":{"id":"https://remote.example/notes/1"}}`)
	if ann["object"] != "https://remote.example/notes/1" || fmt.Sprint(ann["cc"]) != "["+alice+"/followers]" {
		t.Fatalf("announce: %v", ann)
	}
}

// TestNormaliseAccept: an Accept of a waiting Follow embeds it and is
// addressed to the follower.
func TestNormaliseAccept(t *testing.T) {
	c := newC2S(t)
	f := map[string]any{"id": "https://remote.example/follows/1", "type": "Follow",
		"actor": "https://remote.example/users/bob", "object": alice}
	c.pending["https://remote.example/users/bob"] = f
	c.pending["https://remote.example/follows/1"] = f
	for _, body := range []string{`{"type":"Accept","object":"https://remote.example/follows/1"}`,
		`{"type":"Reject","object":{"type":"Follow","actor":"https://remote.example/users/bob"}}`} {
		a := c.must(body)
		if a["object"].(map[string]any)["id"] != f["id"] || fmt.Sprint(a["to"]) != "[https://remote.example/users/bob]" {
			t.Fatalf("%s → %v", body, a)
		}
	}
}

// TestNormaliseRefuses is the bad-input table (AP §6: the server does not
// act for another actor, on objects that are not the actor's, or on types
// it does not implement).
func TestNormaliseRefuses(t *testing.T) {
	c := newC2S(t)
	own := c.must(`{"type":"Note","content":"x"}`)
	like := c.must(`{"type":"Like","object":"https://remote.example/notes/1"}`)
	_ = own
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	huge := `{"type":"Note","content":"` + strings.Repeat("a", MaxOutboxBody) + `"}`
	many := `{"type":"Note","to":[` + strings.TrimSuffix(strings.Repeat(`"https://r.example/u",`, 1), ",")
	for i := 0; i < 300; i++ {
		many += fmt.Sprintf(`,"https://r.example/u%d"`, i)
	}
	many += `]}`
	cases := []struct {
		name, body string
		want       error
	}{
		{"not JSON", `hello`, errBadRequest},
		{"array", `[{"type":"Note"}]`, errBadRequest},
		{"trailing data", `{"type":"Note"} {}`, errBadRequest},
		{"no type", `{"content":"x"}`, errBadRequest},
		{"huge", huge, errBadRequest},
		{"deep", deep, errBadRequest},
		{"too many addressees", many, errBadRequest},
		{"unknown type", `{"type":"Move","object":"https://r.example/x"}`, errUnprocessable},
		{"unknown object type", `{"type":"Create","object":{"type":"Person"}}`, errUnprocessable},
		{"question", `{"type":"Question","content":"?"}`, errUnprocessable},
		{"wrong actor", `{"type":"Create","actor":"https://evil.example/users/eve","object":{"type":"Note"}}`, errUnprocessable},
		{"wrong actor object", `{"type":"Like","actor":{"id":"https://pod.example/.ap/actors/bob"},"object":"https://r.example/n"}`, errUnprocessable},
		{"wrong attributedTo", `{"type":"Note","attributedTo":"https://evil.example/users/eve"}`, errUnprocessable},
		{"missing object", `{"type":"Follow"}`, errBadRequest},
		{"create of an IRI", `{"type":"Create","object":"https://r.example/n"}`, errUnprocessable},
		{"follow of nothing", `{"type":"Follow","object":"bob"}`, errBadRequest},
		{"follow self", `{"type":"Follow","object":"` + alice + `"}`, errUnprocessable},
		{"update remote", `{"type":"Update","object":{"id":"https://r.example/n","type":"Note"}}`, errUnprocessable},
		{"update other pod", `{"type":"Update","object":{"id":"https://pod.example/.ap/actors/bob/objects/id1"}}`, errUnprocessable},
		{"update unknown", `{"type":"Update","object":{"id":"` + alice + `/objects/nope"}}`, errUnprocessable},
		{"update changes type", `{"type":"Update","object":{"id":"` + alice + `/objects/id1","type":"Article"}}`, errUnprocessable},
		{"update by IRI", `{"type":"Update","object":"` + alice + `/objects/id1"}`, errUnprocessable},
		{"delete remote", `{"type":"Delete","object":"https://r.example/n"}`, errUnprocessable},
		{"delete an activity", `{"type":"Delete","object":"` + like["id"].(string) + `"}`, errUnprocessable},
		{"undo not ours", `{"type":"Undo","object":"https://r.example/activities/1"}`, errUnprocessable},
		{"undo unknown", `{"type":"Undo","object":"` + alice + `/activities/nope"}`, errUnprocessable},
		{"undo a create", `{"type":"Undo","object":"` + own["id"].(string) + `"}`, errUnprocessable},
		{"accept nothing pending", `{"type":"Accept","object":"https://r.example/follows/9"}`, errUnprocessable},
		{"bad addressee", `{"type":"Note","to":["bob"]}`, errBadRequest},
		{"bad inReplyTo", `{"type":"Note","inReplyTo":"javascript:alert(1)"}`, errBadRequest},
		{"bad mention", `{"type":"Note","tag":[{"type":"Mention","href":"bob"}]}`, errBadRequest},
		{"unknown tag", `{"type":"Note","tag":[{"type":"Emoji","name":":x:"}]}`, errUnprocessable},
		{"content not a string", `{"type":"Note","content":{"a":1}}`, errBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.post(tc.body)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if st := statusFor(err); st != 400 && st != 422 {
				t.Fatalf("status %d", st)
			}
		})
	}
}
