package testdeps

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	// Command sets up what the tests need and runs them all (README).
	Command = "go run ./internal/testall"
	// RequireEnv lists the dependencies whose absence fails a test instead
	// of skipping it: "all", or a comma-separated list of Chromium, Node,
	// W3C, Root and Pebble.
	RequireEnv = "NAAMIO_REQUIRE_TEST_DEPS"
	// ModulesEnv names the directory holding node_modules for
	// conformance/e2e; by default it is under the user's cache directory.
	ModulesEnv = "NAAMIO_E2E_MODULES"
	// SuitesEnv names the directory holding the W3C suites
	// (w3c-rdf-turtle/, w3c-rdf-n-triples/).
	SuitesEnv = "NAAMIO_W3C_TESTSUITES"
	// ChromiumPath is Debian's Chromium (package chromium).
	ChromiumPath = "/usr/bin/chromium"
)

// The dependencies RequireEnv can name.
const (
	Chromium = "chromium"
	Node     = "node"
	W3C      = "w3c"
	// Root: tests that mount a file system of their own (the disk-full
	// tests on a small tmpfs) need to run as root.
	Root = "root"
)

// Packages are the e2e packages the tests use; all must be installed.
var Packages = []string{
	"@inrupt/solid-client",
	"@inrupt/solid-client-authn-node",
	"@inrupt/solid-client-authn-browser",
	"@inrupt/solid-client-notifications",
	"playwright-core",
	"esbuild",
	// SolidOS (issue 15 item 4): its dist/ is served to the browser tests.
	"mashlib",
}

// Required reports whether RequireEnv makes a missing dep a failure.
func Required(dep string) bool {
	for _, v := range strings.Split(os.Getenv(RequireEnv), ",") {
		v = strings.ToLower(strings.TrimSpace(v))
		if v == "all" || v == "1" || v == dep {
			return true
		}
	}
	return false
}

// Missing skips t, or fails it when dep is required, saying what is
// missing and how to get it.
func Missing(t testing.TB, dep, msg string) {
	t.Helper()
	if Required(dep) {
		t.Fatalf("%s (required: %s=%s)", msg, RequireEnv, os.Getenv(RequireEnv))
	}
	t.Skipf("%s; skipped (set %s=%s to make this a failure)", msg, RequireEnv, dep)
}

// NeedChromium returns the Chromium binary, or skips or fails t.
func NeedChromium(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		Missing(t, Chromium, fmt.Sprintf("headless Chromium is not at %s (Debian package chromium); %s installs it and runs every test", ChromiumPath, Command))
	}
	return ChromiumPath
}

// ModulesDir is where the e2e packages of the lock file lockFile are (or
// go): $NAAMIO_E2E_MODULES, else <user cache>/naamio/e2e-<lock hash>, so
// a changed lock file gets a fresh install.
func ModulesDir(lockFile string) (string, error) {
	if d := os.Getenv(ModulesEnv); d != "" {
		return filepath.Abs(d)
	}
	b, err := os.ReadFile(lockFile)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (set %s): %w", ModulesEnv, err)
	}
	return filepath.Join(cache, "naamio", "e2e-"+hex.EncodeToString(sum[:6])), nil
}

// InstalledMarker is written after npm ci succeeded in a modules dir.
const InstalledMarker = ".naamio-installed"

// Ready reports whether dir holds a complete install of Packages.
func Ready(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, InstalledMarker)); err != nil {
		return fmt.Errorf("no finished install in %s", dir)
	}
	for _, p := range Packages {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", filepath.FromSlash(p), "package.json")); err != nil {
			return fmt.Errorf("%s is not installed in %s", p, dir)
		}
	}
	return nil
}

// Workspace returns a temporary copy of the e2e project at src (its
// scripts and app, not node_modules) whose node_modules links to the
// installed packages; node runs the scripts from there. Without the
// packages it skips or fails t.
func Workspace(t testing.TB, src string) string {
	t.Helper()
	mods, err := ModulesDir(filepath.Join(src, "package-lock.json"))
	if err == nil {
		err = Ready(mods)
	}
	if err != nil {
		Missing(t, Node, fmt.Sprintf("the Node packages of conformance/e2e are not installed (%v); %s installs them (npm ci, outside the checkout) and runs every test", err, Command))
	}
	dst := t.TempDir()
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err == nil {
		err = os.Symlink(filepath.Join(mods, "node_modules"), filepath.Join(dst, "node_modules"))
	}
	if err != nil {
		t.Fatalf("e2e workspace: %v", err)
	}
	return dst
}

// Suites returns the directory of the W3C RDF suites: $NAAMIO_W3C_TESTSUITES,
// else def; without them it skips or fails t.
func Suites(t testing.TB, def string) string {
	t.Helper()
	dir := os.Getenv(SuitesEnv)
	if dir == "" {
		dir = def
	}
	if _, err := os.Stat(filepath.Join(dir, "w3c-rdf-turtle", "manifest.ttl")); err != nil {
		Missing(t, W3C, fmt.Sprintf("the W3C RDF test suites are not at %s. They are not part of the repository: "+
			"copy rdf/rdf11/rdf-turtle and rdf/rdf11/rdf-n-triples of https://github.com/w3c/rdf-tests "+
			"to w3c-rdf-turtle/ and w3c-rdf-n-triples/ of one directory and set %s to it", dir, SuitesEnv))
	}
	return dir
}
