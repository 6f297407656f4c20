// Package ldp owns every Solid Protocol and Linked Data Platform rule of
// the server: the resource model (paths, containers and containment,
// auxiliary resources such as .acl and .meta), what each HTTP method does
// to it (GET/HEAD with content negotiation, conditional requests and
// ranges; PUT, POST, PATCH with N3 Patch and SPARQL Update; DELETE), and
// the headers and storage description that go with it. It is served by
// one http.Handler (NewHandler), whose errors are mapped to statuses in one
// place (statusFor, errors.go).
//
// Who is calling is established once per request by auth's middleware,
// which puts the agent in the request's context (auth.AgentFrom); ldp asks package acl what
// that agent may do (Web Access Control) before it reads a body or reveals
// whether a resource exists. Storage goes through the Store interface
// (store.go), implemented by ldp/badgerstore and checked by the shared
// suite in ldp/storetest; a Store commits each write together with its
// change-log entry (package event), so what happens after a write is
// driven by the change log, not by this package. The public IRIs of
// resources, including pods on their own hosts, come from the Locator.
//
// Of this project, ldp imports only rdf, acl, auth and event; it knows
// nothing of the identity provider, which provisions pods through the
// Store like any other writer, nor of logging: what the operator should
// know of (the error behind a 5xx, an unusable ACL, a damaged body) goes to
// Config.Problems (problem.go), and the server logs it.
package ldp
