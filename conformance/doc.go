// Package conformance holds Naamio's black-box conformance suite: tests that
// build the real binary, run it as a separate process on a loopback port and
// talk to it over HTTP only. Every requirement test is named after the Solid
// Protocol requirement ID it checks (solid-protocol.tsv) or after the
// SECURITY.md row it exercises ("security-row-NN-..."); COVERAGE.md maps each
// ID to its test. Run with `go test -v ./conformance/` to see the summary line
// `conformance: N passed, N failed` that TestMain prints last.
package conformance
