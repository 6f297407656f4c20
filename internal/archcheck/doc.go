// Package archcheck holds the table of which project package may import
// which (the design's dependency rules) and checks the module against it.
// .ci/run runs its test, so an import the table does not allow fails CI.
//
// Only the imports of non-test files are checked: they are the program's
// dependency graph. Tests may import test helpers and real stores freely
// (ldp's tests use ldp/badgerstore and internal/testissuer).
//
// A package belongs to the row with the longest matching path (ldp/badgerstore
// has its own row; idp/op falls under idp). A package that no row covers is
// reported too, so a new top-level package has to be placed in the table.
package archcheck
