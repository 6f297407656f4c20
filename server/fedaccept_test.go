package server

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/naamio/naamio/federation/httpsig"
)

// signedGet GETs u as the peer's actor signer (draft-cavage, the key of
// the peer), asking for AS2; it answers the status and body.
func (p *testPeer) signedGet(t *testing.T, u, signer string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "application/activity+json")
	if err := httpsig.Sign(req, signer+"#main-key", p.key, nil); err != nil {
		t.Fatal(err)
	}
	st, body := do(t, req)
	return st, []byte(body)
}

// Issue 14 (a): the Accept the server sends for a Follow of an unlocked
// account is stored in the owner's outbox, so its id dereferences: for
// the owner (Solid-OIDC) and for the follower's server (a GET signed by
// the follower's key), and for nobody else (404: anonymous, another
// actor of the same peer, another pod's owner). The stored resource is
// the owner's through LDP, and the Accept is delivered once.
func TestInboxAutoAcceptDereferences(t *testing.T) {
	e := newFedEnv(t, 1)
	p := e.peers[0]
	carl, dave := p.actor("carl"), p.actor("dave")
	follow := activity("Follow", carl, e.actor("alice"))
	if st, body := p.post(t, e.inbox("alice"), follow); st != http.StatusAccepted {
		t.Fatalf("Follow: %d %s", st, body)
	}
	waitFor(t, "the Accept", func() bool { return len(p.received("Accept")) > 0 })
	acc := p.received("Accept")[0]
	id, _ := acc["id"].(string)
	check := func(who string, st int, body []byte, want int) {
		t.Helper()
		if st != want {
			t.Fatalf("%s: GET %s = %d %s, want %d", who, id, st, body, want)
		}
		if want != 200 {
			return
		}
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil || got["id"] != id || got["type"] != "Accept" ||
			got["actor"] != e.actor("alice") || got["object"].(map[string]any)["id"] != follow["id"] {
			t.Fatalf("%s: %s", who, body)
		}
	}
	st, body := e.ownerGet(t, "alice", id, "application/activity+json")
	check("owner", st, body, 200)
	st, body = p.signedGet(t, id, carl)
	check("the follower's signed GET", st, body, 200)
	st, body = p.signedGet(t, id, dave)
	check("another actor's signed GET", st, body, 404)
	resp, body := fedGet(t, id, "application/activity+json")
	check("anonymous", resp.StatusCode, body, 404)
	st, body = e.ownerGet(t, "bob", id, "application/activity+json")
	check("another pod's owner", st, body, 404)
	// Delivered once (by the outbox consumer, from the change log).
	if n := len(p.received("Accept")); n != 1 {
		t.Fatalf("%d Accepts delivered", n)
	}
}
