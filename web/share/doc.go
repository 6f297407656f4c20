// Package share presents two pages of a pod (issue 15 item 1):
//
//   - the sharing page, /.web/share?resource=<url>: who can read, append,
//     write and control a resource or folder, read from its effective ACL
//     (its own, or the acl:default rules of the nearest ancestor that has
//     one, marked as inherited and from where), and its script's editor
//     that adds a person (WebID or Fediverse handle), a group, the public
//     or all logged-in agents, and removes them;
//   - the profile page, /.web/profile?pod=<name>: the owner's name and
//     photo and what apps and Fediverse peers see of them.
//
// Both pages are rendered by the server for the session's WebID and show
// data only: every read goes through the LDP handler in process with the
// request's agent set to that WebID (ui.AsUser), so WAC decides exactly as
// for that person, and nobody without Control of a resource sees its
// sharing. Every write is made by the page's script through naamio.js's
// solidFetch (DPoP) to the normal Solid API: a PUT of the new ACL to the
// URL of the resource's Link rel="acl", a PATCH (N3 Patch) of the profile,
// a PUT of the photo. The one thing the server does for the script is
// resolve a Fediverse handle to a WebID (/.web/api/resolve-handle), an
// endpoint authenticated by DPoP like the rest of the Solid API, never by
// the cookie.
//
// # Never locking the owner out
//
// The script refuses an edit that would take Control of the resource (and,
// for a folder, of what it holds) away from the pod's owner or from the
// person editing, when they had it by name before (share-acl.js
// checkEdit), and gives the owner Control back when the ACL lacked it
// (withOwner). Behind it, the server refuses any ACL written through the
// pages' own client that would leave the writer without Control of its
// subject (ldp.Config.KeepsControl), and any ACL the evaluator cannot
// honour. Other Solid clients may still give Control up, as WAC allows.
//
// # What the page edits
//
// Authorizations naming only this resource (acl:accessTo) and, for a
// folder, its members (acl:default), for agents, groups and the two agent
// classes. Authorizations limited to apps of some origin (acl:origin) or
// that also name other resources are shown and written back unchanged, as
// is every triple that is not about an Authorization. An ACL with terms the
// evaluator refuses (acl:condition, unknown modes or predicates) is shown
// as Turtle and not edited: rewriting only the part the page understands
// would change its meaning. The first edit of a resource that inherits its
// sharing writes an ACL of its own that starts from the inherited rules,
// so nothing changes that the person did not change.
package share
