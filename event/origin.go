package event

import "strings"

// Who caused a change (Change.Origin). Every committed write names one of:
//
//   - the WebID of the authenticated agent whose request made it (an
//     http(s) IRI);
//   - OriginAnonymous, for a request that no agent authenticated (a
//     container that grants the public Append or Write);
//   - a module's agent IRI (<manifest IRI>#module), for a module's writes;
//   - for the server's own writes, ServerOriginPrefix followed by why it
//     wrote (OriginSetup for the root container and root ACL, "naamio:acl"
//     for the acl command, "naamio:pod" for pod provisioning and removal,
//     "naamio:pod-release" for a released pod name).
//
// The two constant forms use schemes that no WebID or module agent has, so
// a consumer can tell the server's writes and anonymous writes from any
// agent's. Entries written before origins were recorded have none.
const (
	// OriginAnonymous is the Origin of a write by an unauthenticated request.
	OriginAnonymous = "urn:naamio:anonymous"
	// ServerOriginPrefix begins the Origin of every write the server makes
	// on its own behalf.
	ServerOriginPrefix = "naamio:"
	// OriginSetup is the Origin of the writes that set a storage up: the
	// root container created when a store is first opened, and the root
	// ACL written at first start.
	OriginSetup = ServerOriginPrefix + "setup"
)

// IsServerOrigin reports whether origin names the server itself.
func IsServerOrigin(origin string) bool { return strings.HasPrefix(origin, ServerOriginPrefix) }
