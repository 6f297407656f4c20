// Package conformance holds Naamio's black-box conformance suite: tests that
// build the real binary, run it as a separate process on a loopback port and
// talk to it over HTTP only. Every requirement test is named after the Solid
// Protocol requirement ID it checks or after the row of SECURITY.md (in this
// directory) it exercises ("security-row-NN-..."); COVERAGE.md maps each ID
// to its test. Run with `go test -v ./conformance/` to see the summary line
// `conformance: N passed, N failed` that TestMain prints last.
//
// The suite imports none of the server's packages. Its project imports are
// internal/testdeps, which finds Chromium and the Node packages of e2e/
// outside the checkout (the tests that need them skip without them, naming
// the one test command `go run ./internal/testall`, unless
// NAAMIO_REQUIRE_TEST_DEPS requires them), and internal/testissuer, a test
// peer: TestMain starts one Solid-OIDC issuer on
// 127.0.0.1, and every server it launches gets --owner-webid (the issuer's
// "owner" WebID, written into the root ACL on first start) and
// --allow-fetch-addr (the issuer's address). srv.do, srv.try, srv.put and
// srv.raw sign every request as the owner with a DPoP-bound token and a fresh
// DPoP proof, so tests that are not about access control keep their meaning;
// srv.doAs / srv.tryAs / srv.rawAs act as another agent or, with a nil agent,
// anonymously. Access control itself is tested in acl_matrix_test.go,
// security_acl_test.go, security_auth_test.go and wac_test.go.
package conformance
