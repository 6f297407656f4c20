package conformance

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestJourneyModules: issue 15 items 2 and 6 in a real browser: a person
// signs up, installs the Go indexer of modules/examples (built here, as
// the author's guide builds it) from the modules page with an uploaded
// .wasm, sees the permission prompt (declining writes nothing), allows it,
// sees it react to a note (counters, log, the index), checks a phone's
// width, upgrades it (asked again for a new host), disables and
// uninstalls it, its ACL grants removed
// (journeys/modules.mjs).
func TestJourneyModules(t *testing.T) {
	wasm := buildIndexer(t)
	pod := "mo-" + podSuffix("modules")
	runJourney(t, "modules", srv.base, []string{"launch", "signup", "open-page", "permission-prompt",
		"decline", "approve-running", "reacts", "phone", "upgrade-prompts-again", "disable", "uninstall"},
		"NAAMIO_EMAIL="+pod+"@example.org", "NAAMIO_PASSWORD=correct horse battery staple",
		"NAAMIO_POD="+pod, "NAAMIO_WASM="+wasm)
}

// buildIndexer builds modules/examples/indexer for wasip1 as the guide
// does, into the test's temporary directory.
func buildIndexer(t *testing.T) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "indexer.wasm")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-buildmode=c-shared", "-o", out, ".")
	cmd.Dir = filepath.Join(root, "modules", "examples", "indexer")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the indexer: %v\n%s", err, b)
	}
	return out
}
