package archcheck

import (
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Check returns one line per import in graph that rules do not allow, and
// per package no rule covers. graph maps a package (a path inside the
// module, "." for the root) to the project packages it imports, in the
// same form.
func Check(rules []Rule, graph map[string][]string) []string {
	pkgs := make([]string, 0, len(graph))
	for p := range graph {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	var bad []string
	for _, p := range pkgs {
		r, ok := ruleFor(rules, p)
		if !ok {
			bad = append(bad, fmt.Sprintf("%s: no row in the import table (internal/archcheck/table.go)", p))
			continue
		}
		for _, imp := range graph[p] {
			if !allowed(r, imp) {
				bad = append(bad, fmt.Sprintf("%s imports %s: the row %q allows %s", p, imp, r.Pkg, list(r.MayImport)))
			}
		}
	}
	return bad
}

// ruleFor is the row with the longest path covering pkg.
func ruleFor(rules []Rule, pkg string) (Rule, bool) {
	var best Rule
	found := false
	for _, r := range rules {
		if covers(r.Pkg, pkg) && (!found || len(r.Pkg) > len(best.Pkg)) {
			best, found = r, true
		}
	}
	return best, found
}

// covers reports whether the row path row covers pkg ("." only the root).
func covers(row, pkg string) bool {
	if row == "." {
		return pkg == "."
	}
	return pkg == row || strings.HasPrefix(pkg, row+"/")
}

func allowed(r Rule, imp string) bool {
	for _, a := range r.MayImport {
		switch {
		case a == "*":
			return true
		case strings.HasSuffix(a, "/..."):
			if covers(strings.TrimSuffix(a, "/..."), imp) {
				return true
			}
		case a == imp:
			return true
		}
	}
	return false
}

func list(allow []string) string {
	if len(allow) == 0 {
		return "no project package"
	}
	return strings.Join(allow, ", ")
}

// Graph reads the module at root (its go.mod names the module) and returns
// the project imports of every package's non-test files, as Check takes
// them. Build constraints are those of the running platform.
func Graph(root string) (map[string][]string, error) {
	module, err := modulePath(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	graph := map[string][]string{}
	err = walk(root, func(rel string, all []string) {
		imports := []string{}
		for _, imp := range all {
			if imp == module {
				imports = append(imports, ".")
			} else if strings.HasPrefix(imp, module+"/") {
				imports = append(imports, strings.TrimPrefix(imp, module+"/"))
			}
		}
		graph[rel] = imports
	})
	return graph, err
}

// Confined lists outside modules that only some packages may import (a
// path prefix, and the packages allowed): Prometheus stays in the metrics
// registry and the wiring, so the lower packages expose plain hooks.
var Confined = map[string][]string{
	"github.com/prometheus/": {"server", "internal/metrics"},
}

// CheckConfined returns one line per non-test import of a Confined module
// by a package it does not allow, in the module at root.
func CheckConfined(root string, confined map[string][]string) ([]string, error) {
	var bad []string
	err := walk(root, func(rel string, all []string) {
		for _, imp := range all {
			for prefix, pkgs := range confined {
				if strings.HasPrefix(imp, prefix) && !slices.Contains(pkgs, rel) {
					bad = append(bad, fmt.Sprintf("%s imports %s: only %s may (archcheck.Confined)", rel, imp, strings.Join(pkgs, ", ")))
				}
			}
		}
	})
	sort.Strings(bad)
	return bad, err
}

// walk calls fn with every package's path inside the module at root and
// all the imports of its non-test files.
func walk(root string, fn func(rel string, imports []string)) error {
	return filepath.WalkDir(root, func(dir string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if dir != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules" || name == "vendor") {
			return filepath.SkipDir
		}
		if dir != root {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		p, err := build.Default.ImportDir(dir, 0)
		var noGo *build.NoGoError
		if errors.As(err, &noGo) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			return err
		}
		fn(filepath.ToSlash(rel), p.Imports)
		return nil
	})
}

func modulePath(gomod string) (string, error) {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`), nil
		}
	}
	return "", fmt.Errorf("%s: no module line", gomod)
}
