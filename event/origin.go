package event

import (
	"strconv"
	"strings"
)

// Who caused a change (Change.Origin). Every committed write names one of:
//
//   - the WebID of the authenticated agent whose request made it (an
//     http(s) IRI);
//   - OriginAnonymous, for a request that no agent authenticated (a
//     container that grants the public Append or Write);
//   - a module's agent IRI (<manifest IRI>#module), for a module's writes,
//     followed by a space and the chain depth when the module wrote while
//     reacting to another module's write (ChainOrigin);
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

// ChainOrigin is the Origin of a write a module's agent made while
// reacting at chain depth depth (1: to a person's change, 2: to a write
// of a module reacting to one, …): the agent, a space and the depth, so
// chains of modules reacting to each other can be stopped from the log
// alone, across restarts. IRIs contain no spaces; a depth below 2 is the
// agent alone.
func ChainOrigin(agent string, depth int) string {
	if depth < 2 {
		return agent
	}
	return agent + " " + strconv.Itoa(depth)
}

// SplitOrigin returns the agent of origin and the chain depth it carries
// (0 when none; ChainOrigin).
func SplitOrigin(origin string) (agent string, depth int) {
	a, d, ok := strings.Cut(origin, " ")
	if !ok {
		return origin, 0
	}
	n, err := strconv.Atoi(d)
	if err != nil || n < 2 {
		return a, 0
	}
	return a, n
}

// IsServerOrigin reports whether origin names the server itself.
func IsServerOrigin(origin string) bool { return strings.HasPrefix(origin, ServerOriginPrefix) }
