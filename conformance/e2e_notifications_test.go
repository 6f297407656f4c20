package conformance

import (
	"path/filepath"
	"testing"
)

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

// TestInruptNotificationsRestart: with its own server, the library
// subscribes and sees an Update; the server is stopped and started again on
// the same data; then a new subscription works and the socket URL of the
// channel made before the restart opens again (channels are durable), and
// both see the next Update, made by another client.
func TestInruptNotificationsRestart(t *testing.T) {
	dir := e2eWorkspace(t)
	s, err := startServer(naamioBin, filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.kill() }()
	suffix := podSuffix("restart")
	dave := accountAPI(t, s, "dave-"+suffix+"@example.org", "dave-"+suffix, true)
	env := []string{
		"NAAMIO_ISSUER=" + s.base,
		"NAAMIO_CLIENT_ID=" + dave.id,
		"NAAMIO_CLIENT_SECRET=" + dave.secret,
		"NAAMIO_OWN_POD=" + dave.pod,
		"NAAMIO_STATE_FILE=" + filepath.Join(t.TempDir(), "endpoint"),
	}
	runNodeSteps(t, dir, "notifications-node.mjs", nodeTimeout, "e2e-inrupt-notifications-",
		[]string{"before-restart-login", "before-restart-subscribe", "before-restart-update"},
		append(env, "NAAMIO_PHASE=before-restart")...)
	if t.Failed() {
		return
	}
	if err := s.stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, s.logTail())
	}
	s2, err := restartServer(s)
	if err != nil {
		t.Fatal(err)
	}
	s = s2
	runNodeSteps(t, dir, "notifications-node.mjs", nodeTimeout, "e2e-inrupt-notifications-",
		[]string{"after-restart-login", "after-restart-subscribe", "after-restart-old-channel", "after-restart-update"},
		append(env, "NAAMIO_PHASE=after-restart")...)
}
