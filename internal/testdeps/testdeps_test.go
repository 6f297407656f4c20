package testdeps

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRequired(t *testing.T) {
	for _, c := range []struct {
		env, dep string
		want     bool
	}{
		{"", Chromium, false},
		{"all", W3C, true},
		{"1", Node, true},
		{"chromium,node", Chromium, true},
		{"chromium, node", Node, true},
		{"chromium,node", W3C, false},
		{"W3C", W3C, true},
		{"0", Chromium, false},
	} {
		t.Setenv(RequireEnv, c.env)
		if got := Required(c.dep); got != c.want {
			t.Errorf("%s=%q: Required(%q) = %v, want %v", RequireEnv, c.env, c.dep, got, c.want)
		}
	}
}

// TestWorkspace: the copy holds the scripts and the app but not a
// node_modules of the source; its node_modules links to the install.
func TestWorkspace(t *testing.T) {
	src, mods := t.TempDir(), t.TempDir()
	write := func(p, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(src, "package-lock.json"), "{}")
	write(filepath.Join(src, "run.mjs"), "x")
	write(filepath.Join(src, "app", "index.html"), "<p>")
	write(filepath.Join(src, "node_modules", "stale", "package.json"), "{}")
	t.Setenv(ModulesEnv, mods)

	if err := Ready(mods); err == nil {
		t.Fatal("an empty directory is Ready")
	}
	for _, p := range Packages {
		write(filepath.Join(mods, "node_modules", filepath.FromSlash(p), "package.json"), "{}")
	}
	if err := Ready(mods); err == nil {
		t.Fatal("packages without the finished-install marker are Ready")
	}
	write(filepath.Join(mods, InstalledMarker), "")
	if err := Ready(mods); err != nil {
		t.Fatal(err)
	}

	dir := Workspace(t, src)
	for _, f := range []string{"run.mjs", "package-lock.json", filepath.Join("app", "index.html"),
		filepath.Join("node_modules", "playwright-core", "package.json")} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("workspace lacks %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "stale")); err == nil {
		t.Error("the source's node_modules was copied")
	}
	if target, err := os.Readlink(filepath.Join(dir, "node_modules")); err != nil || target != filepath.Join(mods, "node_modules") {
		t.Errorf("node_modules links to %q (%v), want %q", target, err, filepath.Join(mods, "node_modules"))
	}
}

// TestModulesDirFollowsLockFile: by default the install directory is
// named after the lock file's content, so a new lock gets a fresh install.
func TestModulesDirFollowsLockFile(t *testing.T) {
	t.Setenv(ModulesEnv, "")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	lock := filepath.Join(t.TempDir(), "package-lock.json")
	dirs := map[string]bool{}
	for _, body := range []string{"{}", `{"v":2}`} {
		if err := os.WriteFile(lock, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := ModulesDir(lock)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Dir(filepath.Dir(d)) != os.Getenv("XDG_CACHE_HOME") {
			t.Errorf("ModulesDir = %s, not under XDG_CACHE_HOME", d)
		}
		dirs[d] = true
	}
	if len(dirs) != 2 {
		t.Fatalf("two lock files share one install directory: %v", dirs)
	}
}

// TestReadyPackages: an install counts only when it was finished (the
// marker) and holds every package the project needs.
func TestReadyPackages(t *testing.T) {
	dir := t.TempDir()
	pkgs := []string{"assemblyscript", "@extism/as-pdk"}
	if ReadyPackages(dir, pkgs) == nil {
		t.Fatal("an empty directory is ready")
	}
	for _, p := range pkgs {
		d := filepath.Join(dir, "node_modules", filepath.FromSlash(p))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "package.json"), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if ReadyPackages(dir, pkgs) == nil {
		t.Fatal("an unfinished install (no marker) is ready")
	}
	if err := os.WriteFile(filepath.Join(dir, InstalledMarker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ReadyPackages(dir, pkgs); err != nil {
		t.Fatal(err)
	}
	if ReadyPackages(dir, append(pkgs, "missing")) == nil {
		t.Fatal("ready without a package it needs")
	}
	// The directory follows the lock file's content.
	lock := filepath.Join(t.TempDir(), "package-lock.json")
	os.WriteFile(lock, []byte("a"), 0o644)
	a, err := ProjectDir(lock)
	os.WriteFile(lock, []byte("b"), 0o644)
	b, err2 := ProjectDir(lock)
	if err != nil || err2 != nil || a == b {
		t.Fatalf("ProjectDir: %q %q %v %v", a, b, err, err2)
	}
}
