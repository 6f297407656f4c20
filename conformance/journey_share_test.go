package conformance

import "testing"

// TestJourneyShare (issue 15 items 1 and 6): in headless Chromium, the
// owner of a pod shares a folder with a second account by WebID on the
// sharing page (which writes the ACL with the page's DPoP client); the
// second account, in its own browser context, reads the file and sees the
// folder; removing the grant takes both away; the page refuses to remove
// the owner's own Control and refuses hostile WebIDs and handles without
// writing anything; the profile page saves a name, a bio and a photo that
// the ActivityPub actor then shows (journeys/share.mjs).
func TestJourneyShare(t *testing.T) {
	owner := newIdPAccount(t, srv, "sharer")
	friend := newIdPAccount(t, srv, "friend")
	runJourney(t, "share", srv.base, []string{"launch", "owner-log-in", "owner-makes-folder", "inherited-shown",
		"bad-input-refused", "owner-shares-with-friend", "friend-log-in", "friend-reads", "owner-control-kept",
		"owner-removes-grant", "friend-refused", "share-by-handle", "profile", "profile-photo", "connected-apps"},
		"NAAMIO_PASSWORD="+owner.password,
		"NAAMIO_OWNER_EMAIL="+owner.email, "NAAMIO_OWNER_POD="+owner.pod, "NAAMIO_OWNER_WEBID="+owner.webID,
		"NAAMIO_FRIEND_EMAIL="+friend.email, "NAAMIO_FRIEND_POD="+friend.pod, "NAAMIO_FRIEND_WEBID="+friend.webID)
}
