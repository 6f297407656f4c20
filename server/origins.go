package server

import "github.com/naamio/naamio/event"

// Origins of the server's own writes in the change log (event/origin.go).
// The identity provider's writes carry idp/pod.Origin ("naamio:pod") and
// "naamio:pod-release" (idp/forget.go).
const (
	// originSetup: the root ACL written at first start or by the first
	// administrator's sign-up (ensureRootACL).
	originSetup = event.OriginSetup
	// originACLCommand: resources written by `naamio acl`.
	originACLCommand = event.ServerOriginPrefix + "acl"
)
