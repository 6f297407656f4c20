// Package acl evaluates Web Access Control (WAC): a compiled ACL document in,
// the access modes of one agent out. It performs no I/O of its
// own. A Resolver finds the effective ACL resource through a Loader the caller
// (ldp/) supplies, compiles it once per ACL version and caches the result per
// path until Invalidate reports a change; the caller also supplies a
// GroupChecker for acl:agentGroup.
//
// # Failing closed
//
// Compile and Parse return an error for an ACL that does not parse (ErrInvalid)
// or that uses anything this package cannot honour (ErrUnsupported: unknown
// predicates on an Authorization, unknown modes or agent classes,
// acl:condition or any other unimplemented acl: term). On any error the caller
// denies the request; it never falls back to the parent container's ACL or to
// public access (SECURITY row 23). Resources without any ACL on their
// ancestor chain are likewise denied: the root container always has an ACL
// (server-root-container-acl).
//
// # Effective ACL
//
// For a resource R, Resolver.Effective walks from R upwards (WAC §"ACL Inheritance
// Algorithm"): if R has an ACL resource with a representation, the decision is
// a.Modes(ctx, R, false, …) — acl:accessTo <R> only. Otherwise, for the nearest
// ancestor container C that has one, it is a.Modes(ctx, C, true, …) —
// acl:default <C> only. An ACL is never combined with another ACL.
//
// # Modes required per operation
//
// This is the reference table for the ldp integration. "Parent" is the
// container that holds (or will hold) the target; every row's modes are
// checked against the effective ACL of the resource named in that column.
//
//	request                               target (R)              parent (C)
//	------------------------------------  ----------------------  ------------------
//	GET, HEAD R                           Read                    –
//	OPTIONS                               – (no check)            –
//	POST C (create a member R)            –                       Append ¹
//	PUT R, R exists                       Write                   –
//	PUT R, R absent (create)              Write ²                 Append ¹ ³
//	PATCH R, R exists                     ModesForPatch(…) ⁴      –
//	PATCH R, R absent (create)            ModesForPatch(…) ² ⁴    Append ¹ ³
//	DELETE R                              Write                   Write ⁵
//	any method on R.acl                   Control on R ⁶          –
//	GET, HEAD R.meta (description)        as for R ⁷              –
//
// Notes:
//
//  1. Adding a member to a container is an append to it (WAC §"Access Modes":
//     acl:Append, e.g. POST; Write implies Append). server-create-operation.
//  2. server-create-operation: the resource to be created needs Append or Write
//     "as needed by the operation", evaluated on the ACL it will inherit
//     (inherited=true on the nearest ancestor's ACL). PUT replaces content:
//     Write. PATCH needs what its parts need.
//  3. When intermediate containers are created (Solid Protocol
//     server-put-patch-intermediate-containers), Append is needed on the
//     nearest existing ancestor, which is the container that gains a member.
//  4. ModesForPatch(where≠∅, inserts≠∅, deletes≠∅): Read for a WHERE
//     (server-n3-patch-where), Append for inserts (server-n3-patch-insert),
//     Read and Write for deletes (server-n3-patch-delete). An Append-only
//     agent can therefore PATCH with inserts only (SECURITY row 20).
//  5. server-delete-operation: Write on the resource and on its container.
//  6. server-control-operation: reading or writing an ACL resource needs
//     Control on the resource it belongs to, by any method, including creating
//     it (SECURITY row 26). POST never creates an .acl (SECURITY row 6).
//  7. Solid Protocol server-description-resource-authorization.
//
// When the agent lacks Read on R, the response for a missing and an existing R
// must be the same (SECURITY row 21); 401 when the agent is anonymous, 403
// when authenticated. Responses to GET and HEAD carry
// WACAllow(a.Allow(…)) (server-wac-allow).
package acl
