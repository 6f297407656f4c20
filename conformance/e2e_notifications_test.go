package conformance

import "testing"

// TestInruptNotificationsClient: @inrupt/solid-client-notifications, logged
// in with client credentials of an account of our own identity provider,
// discovers the notification service from /.well-known/solid, subscribes
// over WebSocket to a document and its container, and sees Create, Update
// and Delete of the document and Add and Remove on the container, made by
// another client (a second session with its own DPoP key and token) —
// issue 12 item 4.
func TestInruptNotificationsClient(t *testing.T) {
	dir := e2eWorkspace(t)
	suffix := podSuffix("live")
	carol := accountAPI(t, srv, "carol-"+suffix+"@example.org", "carol-"+suffix, true)
	runNodeSteps(t, dir, "notifications-node.mjs", nodeTimeout, "e2e-inrupt-notifications-", []string{"login", "prepare",
		"subscribe-resource", "subscribe-container", "create", "container-add", "update", "delete", "container-remove"},
		"NAAMIO_ISSUER="+srv.base,
		"NAAMIO_CLIENT_ID="+carol.id,
		"NAAMIO_CLIENT_SECRET="+carol.secret,
		"NAAMIO_OWN_POD="+carol.pod)
}
