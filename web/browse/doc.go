// Package browse serves the pages of pod data at the resources' own URLs:
// a GET or HEAD that a browser makes as a navigation and that prefers
// text/html over every RDF type (Wants) is answered with a page rendered
// on the server for the browser's session, so it works without
// JavaScript; every other request reaches the LDP handler unchanged, so
// Solid clients keep getting RDF.
//
// What a page shows, it reads through the LDP handler in-process, as the
// session's WebID (ui.AsUser): WAC decides exactly as for a request that
// person makes, never more. A page never writes: the scripts of a page
// write through naamio.js's solidFetch to the normal Solid API with a
// DPoP-bound token (issue 15; SECURITY rows on stored script).
//
// Files: browse.go (dispatcher and the in-process requests), accept.go
// (Wants), container.go (the container page), errors.go (401/403/404
// pages, the landing page), document*.go (the document page: owned by the
// "webdoc" work, reached through serveDocument).
package browse
