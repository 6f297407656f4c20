package conformance

import (
	"strings"
	"testing"

	"github.com/naamio/naamio/internal/fedipeer"
)

// TestJourneyFediverse (issue 15 items 3 and 6): in headless Chromium, a
// person logs in, follows a real Fedify peer by its handle on the
// Fediverse page, sees the peer's post in the timeline, composes a post
// that reaches the peer, and deletes it (the Delete reaches the peer);
// then locks the account and approves another peer actor's request
// (journeys/fediverse.mjs). The server is a process of its own that may
// fetch the peer's loopback address (--allow-fetch-addr), so WebFinger and
// every fetch use http.
func TestJourneyFediverse(t *testing.T) {
	peer := fedipeer.StartWith(t, fedipeer.Options{Actors: []string{"bob", "carol"}})
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	peerAddr := strings.TrimPrefix(peer.Origin, "http://")
	s, err := launchAt(naamioBin, t.TempDir(), addr, "--allow-fetch-addr", issuer.AddrPort()+","+peerAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.kill() }()
	if err := s.waitHealthy(healthTimeout); err != nil {
		t.Fatalf("%v\n%s", err, s.logTail())
	}
	name := "fed-" + podSuffix("journey")
	accountAPI(t, s, name+"@example.org", name, false)
	runJourney(t, "fediverse", s.base, []string{"launch", "log-in", "follow-by-handle", "peer-post-in-timeline",
		"peer-follows-back", "compose-reaches-peer", "delete-reaches-peer", "lock-and-approve"},
		"NAAMIO_EMAIL="+name+"@example.org",
		"NAAMIO_PASSWORD=correct horse battery staple",
		"NAAMIO_POD="+name,
		"NAAMIO_PEER="+peer.Origin,
		"NAAMIO_PEER_ACTOR=bob",
		"NAAMIO_PEER_ACTOR2=carol")
	if t.Failed() {
		t.Logf("server log:\n%s", s.logTail())
	}
}
