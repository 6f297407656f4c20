package conformance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/fedipeer"
	"github.com/naamio/naamio/internal/testdeps"
)

// fedJourneyArtifacts is where a journey's screenshots go:
// $NAAMIO_ARTIFACTS/<journey>/, by default
// ~/.cache/naamio/artifacts/<journey>/ (never the source tree).
func fedJourneyArtifacts(t *testing.T, journey string) string {
	t.Helper()
	dir := os.Getenv("NAAMIO_ARTIFACTS")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(home, ".cache", "naamio", "artifacts")
	}
	dir = filepath.Join(dir, journey)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// journeyTimeout bounds the fediverse journey's browser script.
const journeyTimeout = 6 * time.Minute

// TestJourneyFediverse (issue 15 items 3 and 6): in headless Chromium, a
// person logs in, follows a real Fedify peer by its handle on the
// Fediverse page, sees the peer's post in the timeline, composes a post
// that reaches the peer, and deletes it (the Delete reaches the peer);
// then locks the account and approves another peer actor's request.
// The server is a process of its own that may fetch the peer's loopback
// address (--allow-fetch-addr), so WebFinger and every fetch use http.
func TestJourneyFediverse(t *testing.T) {
	chromium, dir := testdeps.NeedChromium(t), e2eWorkspace(t)
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
	runNodeSteps(t, dir, "journeys/fediverse.mjs", journeyTimeout, "journey-fediverse-",
		[]string{"launch", "log-in", "follow-by-handle", "peer-post-in-timeline", "peer-follows-back", "compose-reaches-peer", "delete-reaches-peer", "lock-and-approve"},
		"NAAMIO_BASE="+s.base,
		"NAAMIO_EMAIL="+name+"@example.org",
		"NAAMIO_PASSWORD=correct horse battery staple",
		"NAAMIO_POD="+name,
		"NAAMIO_PEER="+peer.Origin,
		"NAAMIO_PEER_ACTOR=bob",
		"NAAMIO_PEER_ACTOR2=carol",
		"NAAMIO_ARTIFACTS="+fedJourneyArtifacts(t, "fediverse"),
		"CHROMIUM="+chromium)
	if t.Failed() {
		t.Logf("server log:\n%s", s.logTail())
	}
}
