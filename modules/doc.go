// Package modules is the Extism host of Naamio: pod owners install
// WebAssembly modules by writing a manifest into <pod>/settings/modules/,
// and the modules react to committed changes (from the change-log feed)
// or validate writes before they commit, as their own agent
// (<manifest IRI>#module) with no more rights than ordinary ACLs give it.
//
// This file set is being built in steps (issue 13); today it holds the
// manifest contract (manifest.go): parsing, the defaults, and the
// refusals a person installing a module is shown.
package modules
