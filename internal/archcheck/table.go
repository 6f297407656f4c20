package archcheck

// Rule is one row of the table: the package (a path inside the module,
// "." for the main package at the root) and the project packages it may
// import. "x/..." allows x and every package below it; "*" allows all.
type Rule struct {
	Pkg       string
	MayImport []string
}

// Rules is the dependency table of the design. Rows for packages that do
// not exist yet (notify, federation, modules) are checked once they appear.
var Rules = []Rule{
	// main.go: the binary.
	{".", []string{"server"}},
	// Leaves: the RDF model, parsers, writer and patches; the change-log
	// entry and feed; the key-value interface for server-internal records.
	{"rdf", nil},
	{"event", nil},
	{"kv", nil},
	// Web Access Control: graph in, decision out.
	{"acl", []string{"rdf"}},
	// Solid-OIDC resource server: DPoP, tokens, issuer discovery.
	{"auth", []string{"rdf", "internal/..."}},
	// Solid/LDP rules, the Store interface, the LDP handler.
	{"ldp", []string{"rdf", "acl", "auth", "event"}},
	// ldp.Store (and kv.KV) on Badger.
	{"ldp/badgerstore", []string{"ldp", "event", "kv"}},
	// The suite every Store passes.
	{"ldp/storetest", []string{"ldp", "event"}},
	// Real parts (store, issuer) for handler tests; imported by tests only.
	{"ldp/ldptest", []string{"ldp/...", "rdf", "acl", "auth", "event", "internal/..."}},
	// Identity provider, accounts, pod provisioning, and their subpackages.
	{"idp", []string{"idp/...", "auth", "ldp", "rdf", "kv"}},
	// Solid Notifications channels fed from the change log.
	{"notify", []string{"ldp", "acl", "event", "kv"}},
	// ActivityPub: actor, inbox, outbox, delivery from the change log.
	// (The service wires its own subpackages: the delivery queue, HTTP
	// Signatures and the remote fetcher.)
	{"federation", []string{"ldp", "rdf", "event", "kv", "internal/...", "federation/deliver", "federation/httpsig", "federation/remote"}},
	// Fetching remote AS2 documents and keys; its key cache resolves keys
	// for httpsig.
	{"federation/remote", []string{"federation/httpsig", "internal/..."}},
	// Extism host: reactors on the change log, validators in the write path
	// (rdf: validators get the proposed document as N-Triples, pod_list
	// reads a container's members).
	{"modules", []string{"ldp", "rdf", "event", "kv"}},
	// Embedded pages: only the package they present.
	{"web", []string{"idp/...", "web/ui"}},
	// The one layout, style, scripts and CSP of every page; AsUser builds
	// the agent of the pages' in-process requests.
	{"web/ui", []string{"auth"}},
	// Pod pages at the resources' own URLs: dispatcher, container and
	// document pages, landing page, 401/403 pages.
	{"web/browse", []string{"web/ui", "rdf", "auth"}},
	// The SolidOS data browser's shell page (--data-browser solidos).
	{"web/solidos", nil},
	// The sharing and profile pages and the handle resolver of their
	// scripts: read ACLs and profiles (rdf), check them as the evaluator
	// does (acl), the request's agent (auth).
	{"web/share", []string{"web/ui", "rdf", "acl", "auth"}},
	// The modules page (issue 15 item 2): the module host's manifest and
	// status, ACLs read and planned as RDF, the agent of a request.
	{"web/modpage", []string{"web/ui", "modules", "rdf", "auth"}},
	// The Fediverse page and its JSON API (issue 15 item 3).
	{"web/fedpage", []string{"web/ui", "federation", "auth"}},
	// Config, wiring, routes, lifecycle, logging: everything.
	{"server", []string{"*"}},
	// Small shared helpers no one else should see.
	{"internal", nil},
	// The Prometheus registry and families (issue 16 item 4): no project
	// package; the lower packages expose plain hooks that server connects.
	{"internal/metrics", nil},
	// The one test command: sets up what the tests need, then runs them.
	{"internal/testall", []string{"internal/testdeps"}},
	// A real Fedify server for the federation tests; imported by tests only.
	{"internal/fedipeer", []string{"internal/testdeps"}},
	// Black-box tests against the built binary: they talk HTTP.
	{"conformance", nil},
	// Load tools.
	{"bench", []string{"auth", "rdf", "internal/..."}},
}
