package server

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/federation/httpsig"
)

// Issue 14 (c), SECURITY row 39 (what we serve): a followers-only post is
// served at its object and activity ids to a GET signed by a follower
// (authorized fetch) and to the owner; a post addressed to an actor, to
// that actor's signed GET. Everyone else gets 404 as for an id that does
// not exist: anonymous, a non-follower, the peer's instance actor (it
// follows nobody: Mastodon's StatusPolicy), another pod's owner, and
// signatures that do not verify (another key, a stale Date, a signature
// made for another host).
func TestOutboxPrivateSignedFetch(t *testing.T) {
	e := newFedEnv(t, 1)
	p := e.peers[0]
	carl, dave, inst := p.actor("carl"), p.actor("dave"), p.actor("instance")
	if st, body := p.post(t, e.inbox("alice"), activity("Follow", carl, e.actor("alice"))); st != http.StatusAccepted {
		t.Fatalf("Follow: %d %s", st, body)
	}
	tok, key := ownerToken(t, e.s, e.base, "alice")
	post := func(body string) (activityID, objectID string) {
		t.Helper()
		resp, b := ownerPost(t, e.actor("alice")+"/outbox", tok, key, body)
		if resp.StatusCode != 201 {
			t.Fatalf("C2S: %d %s", resp.StatusCode, b)
		}
		var a map[string]any
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatal(err)
		}
		return a["id"].(string), a["object"].(map[string]any)["id"].(string)
	}
	fAct, fObj := post(`{"type":"Note","content":"for followers","to":["followers"]}`)
	dAct, dObj := post(`{"type":"Note","content":"for dave","to":["` + dave + `"]}`)

	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signed := func(signer string, mod func(*http.Request) *rsa.PrivateKey) func(string) int {
		return func(u string) int {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.Header.Set("Accept", "application/activity+json")
			k := p.key
			if mod != nil {
				if m := mod(req); m != nil {
					k = m
				}
			}
			if err := httpsig.Sign(req, signer+"#main-key", k, nil); err != nil {
				t.Fatal(err)
			}
			st, _ := do(t, req)
			return st
		}
	}
	anon := func(u string) int { r, _ := fedGet(t, u, "application/activity+json"); return r.StatusCode }
	owner := func(pod string) func(string) int {
		return func(u string) int { st, _ := e.ownerGet(t, pod, u, "application/activity+json"); return st }
	}
	cases := []struct {
		name string
		get  func(string) int
		urls []string
		want int
	}{
		{"follower signed, followers-only", signed(carl, nil), []string{fAct, fObj}, 200},
		{"owner, followers-only", owner("alice"), []string{fAct, fObj}, 200},
		{"addressee signed, direct", signed(dave, nil), []string{dAct, dObj}, 200},
		{"anonymous", anon, []string{fAct, fObj, dAct, dObj}, 404},
		{"non-follower signed, followers-only", signed(dave, nil), []string{fAct, fObj}, 404},
		{"follower signed, not addressed (direct)", signed(carl, nil), []string{dAct, dObj}, 404},
		{"instance actor of the follower's host", signed(inst, nil), []string{fAct, fObj}, 404},
		{"another pod's owner", owner("bob"), []string{fAct, fObj}, 404},
		{"follower's key id, another key", signed(carl, func(*http.Request) *rsa.PrivateKey { return other }), []string{fAct, fObj}, 404},
		{"follower, Date 2 h old (row 38)", signed(carl, func(r *http.Request) *rsa.PrivateKey {
			r.Header.Set("Date", time.Now().Add(-2*time.Hour).UTC().Format(http.TimeFormat))
			return nil
		}), []string{fAct, fObj}, 404},
		{"follower, signed for another host (row 37)", signed(carl, func(r *http.Request) *rsa.PrivateKey {
			r.Host = "elsewhere.example"
			return nil
		}), []string{fAct}, 404},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			for _, u := range c.urls {
				if got := c.get(u); got != c.want {
					t.Errorf("GET %s: %d, want %d", u, got, c.want)
				}
			}
		})
	}
}
