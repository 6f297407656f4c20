package conformance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testdeps"
)

// shareJourneySteps are the steps of conformance/e2e/journeys/share.mjs.
var shareJourneySteps = []string{"launch", "owner-log-in", "owner-makes-folder", "inherited-shown", "bad-input-refused",
	"owner-shares-with-friend", "friend-log-in", "friend-reads", "owner-control-kept", "owner-removes-grant",
	"friend-refused", "profile", "profile-photo"}

// shareArtifactsDir is where journeys keep their screenshots:
// $NAAMIO_ARTIFACTS, else <user cache>/naamio/artifacts (never the tree).
func shareArtifactsDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("NAAMIO_ARTIFACTS"); d != "" {
		return d
	}
	c, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(c, "naamio", "artifacts")
}

// TestJourneyShare (issue 15 items 1 and 6): in headless Chromium, the
// owner of a pod shares a folder with a second account by WebID on the
// sharing page (which writes the ACL with the page's DPoP client); the
// second account, in its own browser context, reads the file and sees the
// folder; removing the grant takes both away; the page refuses to remove
// the owner's own Control and refuses hostile WebIDs and handles without
// writing anything; the profile page saves a name and bio that the
// ActivityPub actor then shows. Screenshots: $NAAMIO_ARTIFACTS/share/.
func TestJourneyShare(t *testing.T) {
	chromium := testdeps.NeedChromium(t)
	e2e := e2eWorkspace(t)
	owner := newIdPAccount(t, srv, "sharer")
	friend := newIdPAccount(t, srv, "friend")
	runNodeSteps(t, e2e, "journeys/share.mjs", 5*time.Minute, "journey-share-", shareJourneySteps,
		"NAAMIO_ISSUER="+strings.TrimSuffix(srv.base, "/"),
		"NAAMIO_PASSWORD="+owner.password,
		"NAAMIO_OWNER_EMAIL="+owner.email,
		"NAAMIO_OWNER_POD="+owner.pod,
		"NAAMIO_OWNER_WEBID="+owner.webID,
		"NAAMIO_FRIEND_EMAIL="+friend.email,
		"NAAMIO_FRIEND_POD="+friend.pod,
		"NAAMIO_FRIEND_WEBID="+friend.webID,
		"NAAMIO_ARTIFACTS="+shareArtifactsDir(t),
		"CHROMIUM="+chromium)
}
