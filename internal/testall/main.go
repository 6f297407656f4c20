// Command testall is the one test command of the README: run from the
// repository root as
//
//	go run ./internal/testall [go test arguments]
//
// It installs what the tests need and is missing — Debian's chromium (and
// nodejs, npm, and gcc for -race) with apt-get, as root or through sudo; the Node packages of
// conformance/e2e/package-lock.json (and of the Node projects testdeps.NodeProjects
// names) with npm ci into a cache directory
// outside the checkout; Let's Encrypt's Pebble ACME test server with go
// install into a cache directory (testdeps.PebbleDir) — and then runs go test (by default -race ./...)
// with those dependencies required, so a browser test that cannot run
// fails instead of skipping. The W3C RDF suites are not downloaded: the
// tests that use them skip, saying where they come from, unless
// NAAMIO_REQUIRE_TEST_DEPS says they are required (CI sets "all").
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/naamio/naamio/internal/testdeps"
)

const (
	aptTimeout    = 15 * time.Minute
	npmTimeout    = 10 * time.Minute
	pebbleTimeout = 10 * time.Minute
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "testall:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if _, err := os.Stat("go.mod"); err != nil {
		return fmt.Errorf("run me from the repository root: %w", err)
	}
	var pkgs []string
	if _, err := os.Stat(testdeps.ChromiumPath); err != nil {
		pkgs = append(pkgs, "chromium")
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			pkgs = append(pkgs, map[string]string{"node": "nodejs", "npm": "npm"}[tool])
		}
	}
	if len(args) == 0 {
		args = []string{"-race", "./..."}
	}
	if slices.Contains(args, "-race") && !haveCC() {
		pkgs = append(pkgs, "gcc", "libc6-dev") // the race detector needs cgo
	}
	if len(pkgs) > 0 {
		if err := aptInstall(pkgs); err != nil {
			return err
		}
	}
	warnOldNode()
	mods, err := nodeModules(filepath.Join("conformance", "e2e"))
	if err != nil {
		return err
	}
	for _, p := range testdeps.NodeProjects {
		dir, err := testdeps.ProjectDir(filepath.Join(filepath.FromSlash(p.Dir), "package-lock.json"))
		if err != nil {
			return err
		}
		if testdeps.ReadyPackages(dir, p.Packages) != nil {
			if err := npmCI(filepath.FromSlash(p.Dir), dir); err != nil {
				return err
			}
			if err := testdeps.ReadyPackages(dir, p.Packages); err != nil {
				return err
			}
		}
	}
	if err := buildPebble(); err != nil {
		return err
	}
	if !slices.ContainsFunc(args, func(a string) bool {
		return strings.HasPrefix(a, "-timeout") || strings.HasPrefix(a, "--timeout")
	}) {
		// go test's own default (10 min per package binary) is too tight
		// for the server and conformance packages under -race on a
		// 2-core machine shared with browsers and peers.
		args = append([]string{"-timeout=30m"}, args...)
	}
	cmd := exec.Command("go", append([]string{"test"}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), testdeps.ModulesEnv+"="+mods)
	if os.Getenv(testdeps.RequireEnv) == "" {
		cmd.Env = append(cmd.Env, testdeps.RequireEnv+"="+testdeps.Chromium+","+testdeps.Node+","+testdeps.Pebble)
	}
	fmt.Fprintf(os.Stderr, "== go test %v (%s=%s)\n", args, testdeps.ModulesEnv, mods)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go test: %w", err)
	}
	return nil
}

// haveCC reports whether the C compiler cgo uses is installed.
func haveCC() bool {
	cc := "gcc"
	if out, err := exec.Command("go", "env", "CC").Output(); err == nil && strings.TrimSpace(string(out)) != "" {
		cc = strings.Fields(string(out))[0]
	}
	_, err := exec.LookPath(cc)
	return err == nil
}

// warnOldNode says when node is older than the e2e packages want
// (package.json engines: node >= 20); Debian 12's nodejs is 18.
func warnOldNode() {
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testall: warning: node --version:", err)
		return
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	if major, err := strconv.Atoi(strings.SplitN(v, ".", 2)[0]); err != nil || major < 20 {
		fmt.Fprintf(os.Stderr, "testall: warning: node %s is older than the 20 the e2e packages want; the Node and browser tests may fail\n", v)
	}
}

// aptInstall installs Debian packages, through sudo unless root.
func aptInstall(pkgs []string) error {
	fmt.Fprintf(os.Stderr, "== apt-get install %v\n", pkgs)
	prefix := []string{}
	if os.Geteuid() != 0 {
		if _, err := exec.LookPath("sudo"); err != nil {
			return fmt.Errorf("%v missing: installing them needs root or sudo", pkgs)
		}
		prefix = []string{"sudo"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), aptTimeout)
	defer cancel()
	for _, a := range [][]string{
		{"apt-get", "update"},
		append([]string{"env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "--no-install-recommends"}, pkgs...),
	} {
		argv := append(append([]string{}, prefix...), a...)
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%v: %w", argv, err)
		}
	}
	return nil
}

// nodeModules installs the locked e2e packages into their cache directory
// unless a finished install is there, and returns the directory.
func nodeModules(e2e string) (string, error) {
	lock := filepath.Join(e2e, "package-lock.json")
	dir, err := testdeps.ModulesDir(lock)
	if err != nil {
		return "", err
	}
	if testdeps.Ready(dir) == nil {
		return dir, nil
	}
	if err := npmCI(e2e, dir); err != nil {
		return "", err
	}
	return dir, testdeps.Ready(dir)
}

// npmCI installs the locked packages of the Node project in src into dir
// (its package.json and package-lock.json are copied there) and marks the
// install finished.
func npmCI(src, dir string) error {
	fmt.Fprintf(os.Stderr, "== npm ci into %s\n", dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), npmTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm ci in %s: %w\n%s", dir, err, out.String())
	}
	return os.WriteFile(filepath.Join(dir, testdeps.InstalledMarker), nil, 0o644)
}

// buildPebble builds the Pebble commands the ACME test runs into their
// cache directory unless they are there (go install of the pinned
// version; the module does not enter go.mod).
func buildPebble() error {
	dir, err := testdeps.PebbleDir()
	if err != nil {
		return err
	}
	if testdeps.PebbleReady(dir) == nil {
		return nil
	}
	fmt.Fprintf(os.Stderr, "== go install pebble %s into %s\n", testdeps.PebbleVersion, dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), pebbleTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", testdeps.PebbleInstallArgs()...)
	// Outside the checkout: go install pkg@version ignores the current
	// module, and GOBIN puts the commands in the cache.
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %v: %w\n%s", testdeps.PebbleInstallArgs(), err, out.String())
	}
	return testdeps.PebbleReady(dir)
}
