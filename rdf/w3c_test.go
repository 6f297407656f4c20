package rdf

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/naamio/naamio/internal/testdeps"
)

// The W3C RDF 1.1 test suites (https://w3c.github.io/rdf-tests/) are data
// kept outside the repository (README, Tests). Every test runs; a failure is allowed
// only when listed in testdata/w3c-known-failures.txt, and a listed test that
// passes fails the run so the list cannot go stale.

const (
	mfNS              = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
	rdftNS            = "http://www.w3.org/ns/rdftest#"
	defaultTurtleBase = "http://www.w3.org/2013/TurtleTests/"
)

// suiteDir locates the suites: $NAAMIO_W3C_TESTSUITES, else
// <repo>/../shared/testsuites. Without them the tests skip, saying where
// the suites come from, unless NAAMIO_REQUIRE_TEST_DEPS requires them (CI).
func suiteDir(t *testing.T) string {
	return testdeps.Suites(t, filepath.Join("..", "..", "shared", "testsuites"))
}

// w3cTest is one manifest entry.
type w3cTest struct {
	name, kind, action, result, base string
}

// readManifest parses manifest.ttl with our own Turtle parser and walks mf:entries.
func readManifest(t *testing.T, dir string) []w3cTest {
	t.Helper()
	const manifestIRI = "file:///suite/manifest.ttl"
	f, err := os.Open(filepath.Join(dir, "manifest.ttl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := Parse(f, MediaTurtle, manifestIRI, Limits{})
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	testBase := defaultTurtleBase
	if m := g.Match(NewIRI(manifestIRI), NewIRI(mfNS+"assumedTestBase"), Term{}); len(m) == 1 {
		testBase = m[0].O.Value
	}
	var tests []w3cTest
	for _, entry := range listItems(g, one(g, NewIRI(manifestIRI), mfNS+"entries")) {
		action := fileName(one(g, entry, mfNS+"action"))
		tests = append(tests, w3cTest{
			name:   one(g, entry, mfNS+"name").Value,
			kind:   strings.TrimPrefix(one(g, entry, RDFType).Value, rdftNS),
			action: action,
			result: fileName(one(g, entry, mfNS+"result")),
			base:   testBase + action,
		})
	}
	if len(tests) == 0 {
		t.Fatalf("manifest in %s lists no tests", dir)
	}
	return tests
}

// one returns the single object of (s, p, ?), or the zero Term.
func one(g *Graph, s Term, p string) Term {
	if m := g.Match(s, NewIRI(p), Term{}); len(m) > 0 {
		return m[0].O
	}
	return Term{}
}

// listItems walks an RDF collection (RDF 1.1 Semantics, rdf:first/rdf:rest).
func listItems(g *Graph, head Term) []Term {
	var items []Term
	for n := 0; head.Kind != 0 && head.Value != RDFNil && n < 10000; n++ {
		items = append(items, one(g, head, RDFFirst))
		head = one(g, head, RDFRest)
	}
	return items
}

func fileName(iri Term) string {
	if iri.IsZero() {
		return ""
	}
	return iri.Value[strings.LastIndexByte(iri.Value, '/')+1:]
}

// runW3CTest returns "" when the test passes, else the reason it failed.
func runW3CTest(dir string, tc w3cTest, media string) string {
	src, err := os.ReadFile(filepath.Join(dir, tc.action))
	if err != nil {
		return err.Error()
	}
	g, perr := Parse(strings.NewReader(string(src)), media, tc.base, Limits{})
	switch {
	case strings.HasSuffix(tc.kind, "NegativeSyntax"), strings.HasSuffix(tc.kind, "NegativeEval"):
		if perr == nil {
			return "parsed, but must be rejected"
		}
		return ""
	case perr != nil:
		return perr.Error()
	case strings.HasSuffix(tc.kind, "PositiveSyntax"):
		return ""
	case strings.HasSuffix(tc.kind, "Eval"):
		return compareWithResult(dir, tc, g)
	}
	return "unknown test type " + tc.kind
}

func compareWithResult(dir string, tc w3cTest, g *Graph) string {
	f, err := os.Open(filepath.Join(dir, tc.result))
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	want, err := Parse(f, MediaNTriples, tc.base, Limits{})
	if err != nil {
		return "expected result: " + err.Error()
	}
	iso, err := Isomorphic(g, want)
	if err != nil {
		return err.Error()
	}
	if !iso {
		return fmt.Sprintf("graph not isomorphic to %s", tc.result)
	}
	return ""
}

// knownFailures reads testdata/w3c-known-failures.txt (test-name TAB reason).
func knownFailures(t *testing.T) map[string]string {
	known := map[string]string{}
	f, err := os.Open(filepath.Join("testdata", "w3c-known-failures.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, _ := strings.Cut(line, "\t")
		known[name] = reason
	}
	return known
}

func TestW3C(t *testing.T) {
	root := suiteDir(t)
	known := knownFailures(t)
	suites := []struct{ name, dir, media string }{
		{"turtle", "w3c-rdf-turtle", MediaTurtle},
		{"n-triples", "w3c-rdf-n-triples", MediaNTriples},
	}
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			dir := filepath.Join(root, s.dir)
			passed, failed := 0, 0
			for _, tc := range readManifest(t, dir) {
				reason := runW3CTest(dir, tc, s.media)
				_, listed := known[tc.name]
				switch {
				case reason == "" && listed:
					passed++
					t.Errorf("%s passes now: remove it from testdata/w3c-known-failures.txt", tc.name)
				case reason == "":
					passed++
				case listed:
					failed++
				default:
					failed++
					t.Errorf("%s (%s %s): %s", tc.name, tc.kind, tc.action, reason)
				}
			}
			t.Logf("%s: %d passed, %d failed", s.name, passed, failed)
			fmt.Printf("W3C %s: %d passed, %d failed\n", s.name, passed, failed)
		})
	}
}
