package conformance

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testdeps"
)

// journeyTimeout bounds one journey's Node run (each script bounds its
// steps and its whole run itself, below this).
const journeyTimeout = 4 * time.Minute

// artifactsDir is where journey name keeps its screenshots:
// $NAAMIO_ARTIFACTS/<name>/, default $HOME/.cache/naamio/artifacts/<name>/
// (never in the tree). It is emptied first, so it shows the last run.
func artifactsDir(t *testing.T, name string) string {
	t.Helper()
	root := os.Getenv("NAAMIO_ARTIFACTS")
	if root == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		root = filepath.Join(home, ".cache", "naamio", "artifacts")
	}
	dir := filepath.Join(root, name)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runJourney runs conformance/e2e/journeys/<name>.mjs in headless Chromium
// against the server at base (each of steps becomes the requirement
// journey-<name>-<step>), with env added and NAAMIO_BASE, NAAMIO_SHOTS
// (artifactsDir) and CHROMIUM set. It returns the screenshots' directory.
func runJourney(t *testing.T, name, base string, steps []string, env ...string) string {
	t.Helper()
	chromium, dir := testdeps.NeedChromium(t), e2eWorkspace(t)
	shots := artifactsDir(t, name)
	env = append(env, "NAAMIO_BASE="+base, "NAAMIO_SHOTS="+shots, "CHROMIUM="+chromium)
	runNodeSteps(t, dir, filepath.Join("journeys", name+".mjs"), journeyTimeout, "journey-"+name+"-", steps, env...)
	t.Logf("screenshots: %s", shots)
	return shots
}

// TestJourneyBrowse: issue 15 items 0, 1 and 5 in a real browser: sign
// up, land on the own pod's page, create a folder, upload (one file over
// 5 MiB, with progress), rename a file and a folder, sort, delete with
// confirmation, a phone's width and the keyboard (journeys/browse.mjs).
func TestJourneyBrowse(t *testing.T) {
	pod := "dora-" + podSuffix("journey")
	runJourney(t, "browse", srv.base, []string{"launch", "sign-up", "lands-on-own-pod", "create-folder",
		"upload-with-progress", "rename-file", "rename-folder", "sort-without-script", "anonymous-append", "delete-with-confirmation",
		"phone-and-keyboard", "contrast-aa"},
		"NAAMIO_EMAIL="+pod+"@example.org", "NAAMIO_PASSWORD=correct horse battery staple", "NAAMIO_POD="+pod)
}

// TestJourneyLoginReturn: issue 15 item 0: a browser's 401 is a page that
// offers to log in and returns to where it was; a 404 page links on
// (journeys/login-return.mjs).
func TestJourneyLoginReturn(t *testing.T) {
	a := newIdPAccount(t, srv, "erin")
	runJourney(t, "login-return", srv.base, []string{"launch", "private-page-offers-log-in", "log-in-returns-to-page",
		"not-found-page"},
		"NAAMIO_EMAIL="+a.email, "NAAMIO_PASSWORD="+a.password,
		"NAAMIO_PRIVATE="+srv.url(a.pod)+"settings/", "NAAMIO_PRIVATE_CHILD=prefs.ttl")
}

// TestJourneyHostileFiles: issue 15 item 5 and SECURITY row 58: uploaded
// HTML and SVG with script do not run when opened (page or ?raw), and a
// resource name with markup is shown as text (journeys/hostile-files.mjs).
func TestJourneyHostileFiles(t *testing.T) {
	a := newIdPAccount(t, srv, "fred")
	runJourney(t, "hostile-files", srv.base, []string{"launch", "log-in", "upload-hostile-files", "markup-name-is-inert",
		"html-page-runs-no-script", "html-raw-runs-no-script", "svg-page-runs-no-script", "svg-raw-runs-no-script"},
		"NAAMIO_EMAIL="+a.email, "NAAMIO_PASSWORD="+a.password, "NAAMIO_POD_URL="+srv.url(a.pod))
}
