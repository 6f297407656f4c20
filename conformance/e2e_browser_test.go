package conformance

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testdeps"
)

// Bounds of the browser end-to-end run (the driver bounds each of its
// steps at 20 s and its whole run at 90 s itself).
const (
	bundleTimeout  = time.Minute
	browserTimeout = 2 * time.Minute
)

// browserSteps are the driver's steps, in order (conformance/e2e/browser.mjs).
var browserSteps = []string{"launch", "open-app", "redirect-to-login", "signup",
	"consent", "logged-in", "write-read", "private-to-others", "credentialed-discovery"}

// TestInruptBrowserClient: headless Chromium, driven by playwright-core,
// opens a test app that uses @inrupt/solid-client-authn-browser on its own
// origin, is sent to Naamio's log-in page, signs up there (creating an
// account and a pod), consents, comes back logged in with the new WebID,
// and writes and reads a private resource in the pod with
// @inrupt/solid-client (issue 5, item 6b).
func TestInruptBrowserClient(t *testing.T) {
	chromium, dir := testdeps.NeedChromium(t), e2eWorkspace(t)
	issuerURL := strings.TrimSuffix(srv.base, "/")
	runBrowserE2E(t, chromium, dir, "e2e-inrupt-browser-", issuerURL, func(pod string) string { return issuerURL + "/" + pod + "/" })
}

// TestInruptBrowserClientSubdomainPods is the same journey on a server
// with --pod-layout subdomain: the new pod is http://<pod>.localhost:PORT/
// (Chromium resolves every *.localhost name to loopback), a cross-origin
// resource server of its own, while log-in stays on http://localhost:PORT.
func TestInruptBrowserClientSubdomainPods(t *testing.T) {
	chromium, dir := testdeps.NeedChromium(t), e2eWorkspace(t)
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addr)
	base := "http://localhost:" + port + "/"
	s, err := launchAt(naamioBin, t.TempDir(), addr, "--base-url", base, "--pod-layout", "subdomain")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.kill() }()
	if err := s.waitHealthy(healthTimeout); err != nil {
		t.Fatalf("%v\n%s", err, s.logTail())
	}
	issuerURL := strings.TrimSuffix(base, "/")
	runBrowserE2E(t, chromium, dir, "e2e-inrupt-browser-subdomain-", issuerURL, func(pod string) string {
		return "http://" + pod + ".localhost:" + port + "/"
	})
	if t.Failed() {
		t.Logf("server log:\n%s", s.logTail())
	}
}

// runBrowserE2E runs browser.mjs of the e2e workspace dir with chromium
// against the server at issuerURL, whose new pods are at podURL(name);
// each step is a requirement named prefix+step.
func runBrowserE2E(t *testing.T, chromium, dir, prefix, issuerURL string, podURL func(pod string) string) {

	// Bundle the app into a temporary directory and serve it from its own
	// loopback origin, apart from the Naamio server's.
	bundle := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), bundleTimeout)
	defer cancel()
	build := exec.CommandContext(ctx, "node", "build-app.mjs", bundle)
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("bundling the test app: %v\n%s", err, out)
	}
	app := httptest.NewServer(http.FileServer(http.Dir(bundle)))
	defer app.Close()

	pod := "carol-" + podSuffix("browser")
	runNodeSteps(t, dir, "browser.mjs", browserTimeout, prefix, browserSteps,
		"NAAMIO_ISSUER="+issuerURL,
		"NAAMIO_APP_URL="+app.URL+"/?issuer="+issuerURL,
		"NAAMIO_EMAIL="+pod+"@example.org",
		"NAAMIO_PASSWORD=correct horse battery staple",
		"NAAMIO_POD="+pod,
		"NAAMIO_POD_URL="+podURL(pod),
		"CHROMIUM="+chromium)
}
