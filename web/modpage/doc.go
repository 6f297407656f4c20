// Package modpage is the modules page (issue 15 item 2): a pod owner sees
// the Wasm modules installed in their pod (state, counters, log) at
// /.web/modules?pod=<name>, and installs, disables, upgrades and
// uninstalls them from it.
//
// The page only shows data: the server renders it for the person's
// session, reading the pod through the LDP handler as that person (WAC
// decides) and the modules' live status from the module host. Every write
// — the binary, the manifest, the ACLs — is made by the page's script with
// solidFetch (DPoP) through the ordinary Solid API, as the module contract
// says (install = write the manifest). The one thing a Solid request
// cannot do is served by a JSON endpoint authenticated like any Solid
// request (DPoP, never the cookie): POST /.web/api/modules/plan reads a
// manifest as the server will, fetches a binary from an https URL through
// the SSRF-safe client to check its size and SHA-256, and answers exactly
// which containers, modes and hosts the module asks for and the ACL
// documents that grant that (the permission prompt), or that take the
// module's grants away again (uninstall).
package modpage
