// Package federation makes every pod owner an ActivityPub actor (issue 14):
// the URL layout (paths.go), each pod's signing key (keys.go), the actor
// document the server generates (actor.go), and discovery — WebFinger,
// NodeInfo, host-meta (webfinger.go, nodeinfo.go); the server-to-server
// inbox (inbox.go: checks, origin rules, effects; as2.go reads activities;
// inboxstore.go keeps them in the pod), the social graph (relations.go),
// the followers/following collections and the owner's inbox as a
// collection (collections.go), and send.go, the one way to queue an
// outgoing activity. It never serves user-written data with an
// ActivityStreams media type.
//
// It imports ldp, rdf, event, kv and internal/... only; routes are mounted
// by server (server/federation.go), the one importer of chi.
package federation
