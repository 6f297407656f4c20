package archcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepositoryImports: every package of this module imports only what
// the table allows (issue 11 item 8). .ci/run runs it by name.
func TestRepositoryImports(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	graph, err := Graph(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{".", "rdf", "ldp", "ldp/badgerstore", "server", "idp/op", "internal/archcheck"} {
		if _, ok := graph[p]; !ok {
			t.Fatalf("package %q not found in %s (found %d packages)", p, root, len(graph))
		}
	}
	for _, v := range Check(Rules, graph) {
		t.Error(v)
	}
}

// TestRepositoryImportsConfined: Prometheus is imported only by the metrics
// registry and the wiring (issue 16 item 4); a package of a temporary
// module that imports it elsewhere is reported.
func TestRepositoryImportsConfined(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bad, err := CheckConfined(root, Confined)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range bad {
		t.Error(v)
	}
	tmp := t.TempDir()
	files := map[string]string{
		"go.mod":          "module example.com/m\n",
		"ldp/x.go":        "package ldp\nimport _ \"github.com/prometheus/client_golang/prometheus\"\n",
		"server/x.go":     "package server\nimport _ \"github.com/prometheus/client_golang/prometheus\"\n",
		"ldp/x_test.go":   "package ldp\nimport _ \"github.com/prometheus/common/expfmt\"\n",
		"internal/y/y.go": "package y\nimport _ \"github.com/prometheus/common/expfmt\"\n",
	}
	for name, body := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(tmp, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bad, err = CheckConfined(tmp, Confined)
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) != 2 || !strings.HasPrefix(bad[0], "internal/y imports github.com/prometheus/common/expfmt") ||
		!strings.HasPrefix(bad[1], "ldp imports github.com/prometheus/client_golang/prometheus") {
		t.Errorf("confined imports reported: %q", bad)
	}
}

// TestCheckCatchesForbiddenImports: a synthetic import graph with one
// forbidden import per kind of rule is reported line by line, and the
// allowed imports beside them are not.
func TestCheckCatchesForbiddenImports(t *testing.T) {
	graph := map[string][]string{
		".":                  {"server"},
		"rdf":                {"ldp"},         // a leaf importing upwards
		"kv":                 {"ldp"},         // the new leaf
		"acl":                {"rdf", "auth"}, // one allowed, one not
		"ldp":                {"rdf", "acl", "auth", "event", "idp"},
		"ldp/badgerstore":    {"ldp", "event", "kv", "acl"},
		"idp/op":             {"idp/account", "auth", "ldp", "server"},
		"notify":             {"event", "kv", "idp"}, // a row for a package still to come
		"federation/deliver": {"internal/safehttp", "web"},
		"modules":            {"ldp", "event", "kv"},
		"web":                {"idp/op", "ldp/badgerstore"},
		"internal/mail":      {"internal/safehttp"},
		"server":             {"ldp", "idp/op", "internal/mail", "web"},
		"conformance":        {"internal/testissuer"},
		"newthing":           nil, // no row at all
	}
	want := []string{
		"acl imports auth",
		"conformance imports internal/testissuer",
		"federation/deliver imports web",
		"idp/op imports server",
		"internal/mail imports internal/safehttp",
		"kv imports ldp",
		"ldp imports idp",
		"ldp/badgerstore imports acl",
		"newthing: no row",
		"notify imports idp",
		"rdf imports ldp",
		"web imports ldp/badgerstore",
	}
	got := Check(Rules, graph)
	if len(got) != len(want) {
		t.Errorf("got %d violations, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if i >= len(got) || !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("violation %d: got %q, want it to start with %q", i, at(got, i), want[i])
		}
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(none)"
}

// TestGraphReadsImports: Graph finds the project imports of real files,
// skips test files, other modules and testdata, and keeps build
// constraints; Check then catches the forbidden one.
func TestGraphReadsImports(t *testing.T) {
	root := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.org/m\n\ngo 1.22\n")
	write("main.go", "package main\n\nimport _ \"example.org/m/server\"\n\nfunc main() {}\n")
	write("server/s.go", "package server\n\nimport (\n\t_ \"fmt\"\n\t_ \"example.org/m/ldp\"\n)\n")
	write("ldp/l.go", "package ldp\n\nimport _ \"example.org/m/rdf\"\n")
	write("ldp/l_test.go", "package ldp\n\nimport _ \"example.org/m/server\"\n")
	write("rdf/r.go", "package rdf\n\nimport _ \"example.org/m/ldp\"\n") // forbidden
	write("rdf/ignored.go", "//go:build ignore\n\npackage rdf\n\nimport _ \"example.org/m/server\"\n")
	write("rdf/testdata/x.go", "package x\n\nimport _ \"example.org/m/server\"\n")
	write("tools/go.mod", "module example.org/tools\n")
	write("tools/t.go", "package tools\n\nimport _ \"example.org/m/server\"\n")
	graph, err := Graph(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(graph) != 4 || strings.Join(graph["."], ",") != "server" || strings.Join(graph["server"], ",") != "ldp" ||
		strings.Join(graph["ldp"], ",") != "rdf" || strings.Join(graph["rdf"], ",") != "ldp" {
		t.Fatalf("graph = %v", graph)
	}
	got := Check(Rules, graph)
	if len(got) != 1 || !strings.HasPrefix(got[0], "rdf imports ldp") {
		t.Fatalf("violations = %q, want only rdf imports ldp", got)
	}
}
