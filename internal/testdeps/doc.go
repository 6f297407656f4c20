// Package testdeps finds what some tests need beside the checkout — headless
// Chromium, the Node packages of conformance/e2e, the W3C RDF suites, the
// Pebble ACME test server — and
// decides what a test does when one is missing: it skips with a message
// naming the command that sets everything up (Command), unless the
// environment requires that dependency (RequireEnv, which .ci/run sets to
// "all"), and then it fails.
//
// The Node packages never go into the checkout: they are installed with
// npm ci from conformance/e2e/package-lock.json into a cache directory
// (ModulesDir), and each test runs the e2e scripts from a temporary copy
// whose node_modules links there (Workspace). ES modules ignore NODE_PATH,
// so the link is how Node finds them.
package testdeps
