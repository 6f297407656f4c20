// Package fedpage is the Fediverse page (issue 15 item 3) at
// <base>/.web/fediverse?pod=<name>: a pod owner's handle, followers and
// following, the Follow requests waiting for a locked account, a timeline
// of the inbox (posts, replies, likes, boosts, follows), the owner's own
// posts, and forms to compose, delete, follow by @name@host, approve and
// reject requests, like, boost and reply.
//
// The page is rendered by the server for the browser's session and shows
// only what the session's WebID may read: each read starts with an
// in-process request to the LDP handler as that WebID (ui.AsUser: Read on
// <pod>/inbox/ for the timeline, on <pod>/outbox/ for the posts), so WAC
// decides exactly as for any Solid request; the Follow requests, which
// are not pod data, are shown to the pod's owner only. Without JavaScript
// the page still shows everything.
//
// Every write is made by the page's script (web/ui/static/fediverse.js)
// with naamio.js's solidFetch — a DPoP-bound token, never the cookie — as
// a C2S POST to the owner's outbox (ActivityPub §6), which decides who may
// post (the owner only). What no Solid request can do is a JSON endpoint
// under <base>/.web/api/fediverse/, authenticated by the server's Solid-
// OIDC middleware (DPoP) and for the pod's owner only: resolve a handle
// with WebFinger through the SSRF-safe client (resolve), and list the
// waiting Follow requests (pending).
//
// Remote content is untrusted: a post's HTML is never sent to the browser
// as markup. It is turned into plain text (text nodes kept, paragraphs
// and line breaks kept as paragraphs and lines, links reduced to their
// text, script/style content dropped; see Text) and rendered escaped by
// html/template, under the pages' strict Content-Security-Policy. Names
// are federation.PlainName text; every link a remote document gives is
// shown only when it is http(s).
package fedpage
