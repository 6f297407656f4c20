package federation

import "errors"

// Errors of the outbox's authorization and storage.
var (
	errNoCredentials = errors.New("the outbox needs the owner's credentials")
	errNotOwner      = errors.New("only the pod's owner may post to its outbox")
	errUnavailable   = errors.New("unavailable")
)
