package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// Issue 14 (the outbox as the owner sees it; SECURITY row 39, the serving
// side): GET <actor>/outbox lists every activity of the owner for the
// owner (Solid-OIDC, DPoP): public, followers-only, direct, and the
// automatic Accept of a Follow; a GET signed by a follower also the
// followers-only ones (and what is addressed to it); a signed addressee
// what is addressed to it; anyone else the public ones only — anonymous,
// another pod's owner, a signed non-follower. totalItems counts what the
// reader sees, and the pages (20 each, newest first) hold exactly that.
func TestOutboxCollectionByReader(t *testing.T) {
	e := newFedEnv(t, 1)
	p := e.peers[0]
	carl, dave, erin, frank := p.actor("carl"), p.actor("dave"), p.actor("erin"), p.actor("frank")
	if st, body := p.post(t, e.inbox("alice"), activity("Follow", carl, e.actor("alice"))); st != http.StatusAccepted {
		t.Fatalf("Follow: %d %s", st, body)
	}
	waitFor(t, "the Accept", func() bool { return len(p.received("Accept")) > 0 })
	accept := p.received("Accept")[0]["id"].(string)
	tok, key := ownerToken(t, e.s, e.base, "alice")
	post := func(body string) string {
		t.Helper()
		resp, b := ownerPost(t, e.actor("alice")+"/outbox", tok, key, body)
		if resp.StatusCode != 201 {
			t.Fatalf("C2S: %d %s", resp.StatusCode, b)
		}
		return resp.Header.Get("Location")
	}
	pub := post(`{"type":"Note","content":"for all","to":["Public"]}`)
	var fol []string
	for i := range 20 {
		fol = append(fol, post(fmt.Sprintf(`{"type":"Note","content":"for followers %d","to":["followers"]}`, i)))
	}
	direct := post(`{"type":"Note","content":"for dave","to":["` + dave + `"],"bcc":["` + erin + `"]}`)

	outbox := e.actor("alice") + "/outbox"
	anon := func(u string) (int, []byte) {
		r, b := fedGet(t, u, "application/activity+json")
		return r.StatusCode, b
	}
	owner := func(pod string) func(string) (int, []byte) {
		return func(u string) (int, []byte) { return e.ownerGet(t, pod, u, "application/activity+json") }
	}
	signed := func(signer string) func(string) (int, []byte) {
		return func(u string) (int, []byte) { return p.signedGet(t, u, signer) }
	}
	// The newest first: the direct post, the followers-only ones from the
	// last, the public one, and the Accept (made first).
	everything := append([]string{direct}, reversed(fol)...)
	everything = append(everything, pub, accept)
	cases := []struct {
		name string
		get  func(string) (int, []byte)
		want []string
	}{
		{"owner", owner("alice"), everything},
		{"anonymous", anon, []string{pub}},
		{"another pod's owner", owner("bob"), []string{pub}},
		{"signed follower", signed(carl), append(append(reversed(fol), pub), accept)},
		{"signed addressee, not a follower", signed(dave), []string{direct, pub}},
		{"signed bcc addressee (sees it, never the bcc)", signed(erin), []string{direct, pub}},
		{"signed non-follower", signed(frank), []string{pub}},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			st, body := c.get(outbox)
			var coll struct {
				Type       string `json:"type"`
				TotalItems int    `json:"totalItems"`
				First      string `json:"first"`
			}
			if st != 200 || json.Unmarshal(body, &coll) != nil || coll.Type != "OrderedCollection" || coll.TotalItems != len(c.want) {
				t.Fatalf("collection: %d %s, want totalItems %d", st, body, len(c.want))
			}
			var got []string
			for u := coll.First; u != ""; {
				st, body := c.get(u)
				var page struct {
					Items []map[string]any `json:"orderedItems"`
					Next  string           `json:"next"`
				}
				if st != 200 || json.Unmarshal(body, &page) != nil || len(page.Items) > 20 {
					t.Fatalf("page %s: %d %s", u, st, body)
				}
				for _, it := range page.Items {
					got = append(got, it["id"].(string))
					if c.name != "owner" && (it["bcc"] != nil || it["object"].(map[string]any)["bcc"] != nil) {
						t.Fatalf("bcc shown: %v", it)
					}
				}
				u = page.Next
				if len(got) > 2*len(everything) {
					t.Fatal("pages do not end")
				}
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("items:\n got %v\nwant %v", got, c.want)
			}
		})
	}

	// Hostile cursors: 400, and a private id the reader may not see is
	// answered as one that does not exist.
	for _, before := range []string{"../x", "<script>alert(1)</script>", strings.Repeat("a", 600), "%00", "nosuchid",
		lastSeg(direct)} {
		st, _ := signed(carl)(outbox + "?page=true&before=" + url.QueryEscape(before))
		if st != 400 {
			t.Errorf("before=%.40q: %d, want 400", before, st)
		}
	}
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func lastSeg(u string) string { return u[strings.LastIndexByte(u, '/')+1:] }
