package ldp

import "context"

// The handler logs nothing itself (log once, at the boundary): what it
// meets that its client is not told in full, and that the operator should
// know of, it hands to Config.Problems as a Problem. The server logs them
// with the request's id.

// ProblemKind says what kind of problem a Problem is.
type ProblemKind int

const (
	// ProblemFailed is a 5xx answer; Err is the full error behind it (the
	// client is told only the status text).
	ProblemFailed ProblemKind = iota
	// ProblemNoUsableACL is an access denied because the effective ACL of
	// Path cannot be resolved or compiled (fail closed, SECURITY.md row
	// 23): it needs the owner's attention.
	ProblemNoUsableACL
	// ProblemClientGone is a body that could not be written to the client.
	ProblemClientGone
	// ProblemDamagedBody is a stored body found damaged or unreadable
	// after the status was sent: the response was cut short.
	ProblemDamagedBody
)

// String is the problem kind in words, for a log line.
func (k ProblemKind) String() string {
	switch k {
	case ProblemFailed:
		return "request failed"
	case ProblemNoUsableACL:
		return "access denied: no usable ACL"
	case ProblemClientGone:
		return "body write failed"
	case ProblemDamagedBody:
		return "stored body is damaged or unreadable: response cut short"
	}
	return "problem"
}

// Problem is one problem met while serving a request.
type Problem struct {
	Kind   ProblemKind
	Method string // the request's method
	Path   string // the escaped request path, or the store path concerned
	Status int    // the status sent, for ProblemFailed
	Err    error
}

// problem hands p to the configured sink, if any.
func (h *Handler) problem(ctx context.Context, p Problem) {
	if h.problems != nil {
		h.problems(ctx, p)
	}
}
