package conformance

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testdeps"
	"github.com/naamio/naamio/internal/testissuer"
)

// solidosTimeout bounds the SolidOS journey (the script bounds each step
// at 30 s and the whole run at 150 s itself).
const solidosTimeout = 3 * time.Minute

// solidosSteps are the journey's steps, in order (e2e/journeys/solidos.mjs).
var solidosSteps = []string{"launch", "shell-offers-login", "login", "logged-in", "browse-folder",
	"browse-profile", "write-folder", "write-profile", "stored-script-inert"}

// TestJourneySolidOS (issue 15 item 4): a server started with
// --data-browser solidos --mashlib-url <folder> gives a browser's HTML
// request for any pod resource, private ones too, the SolidOS shell, which
// loads real mashlib (npm package mashlib, its dist/ served from a second
// loopback origin as an operator would serve it). Headless Chromium logs in
// with Naamio's provider from SolidOS's own log-in, browses, makes a folder
// with SolidOS's UI and adds a profile triple with its update manager; the
// writes are then checked here, on the server, as the owner and as nobody.
// A stored HTML page with scripts is opened too: they must not run
// (SECURITY row 58).
func TestJourneySolidOS(t *testing.T) {
	chromium, dir := testdeps.NeedChromium(t), e2eWorkspace(t)
	dist := filepath.Join(dir, "node_modules", "mashlib", "dist")
	mashlib := httptest.NewServer(http.FileServer(http.Dir(dist)))
	defer mashlib.Close()
	s := startIdPServer(t, nil, "--data-browser", "solidos", "--mashlib-url", mashlib.URL+"/")

	suffix := randomHex()[:8]
	email, podName := "sol-"+suffix+"@example.org", "sol-"+suffix
	acct := accountAPI(t, s, email, podName, true)
	owner := ownerToken(t, s, acct)

	// A stored page whose scripts, if they ever ran, would mark the window.
	evil := acct.pod + "evil.html"
	mustStatus(t, owner.do(t, http.MethodPut, evil, []byte(`<!doctype html><title>evil</title>`+
		`<script>window.PWNED = 1; try { top.PWNED = 1 } catch (e) {}</script>`+
		`<img src="x" onerror="top.PWNED = 2">`), "Content-Type", "text/html"), http.StatusCreated, http.StatusNoContent)
	// Public, so that SolidOS's iframe (which cannot send a DPoP token)
	// loads the page itself rather than a 401.
	mustStatus(t, owner.do(t, http.MethodPut, evil+".acl", []byte(`@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#public> a acl:Authorization; acl:agentClass <http://xmlns.com/foaf/0.1/Agent>; acl:accessTo <evil.html>; acl:mode acl:Read.
<#owner> a acl:Authorization; acl:agent <`+acct.webID+`>; acl:accessTo <evil.html>; acl:mode acl:Read, acl:Write, acl:Control.
`), "Content-Type", "text/turtle"), http.StatusCreated, http.StatusNoContent)
	mustStatus(t, s.doAs(t, nil, http.MethodGet, evil, nil, "Accept", "text/html"), http.StatusOK)

	requirement(t, "solidos-shell-for-private-resource", func(t *testing.T) {
		r := s.doAs(t, nil, http.MethodGet, acct.pod, nil, "Accept", "text/html,*/*;q=0.8", "Sec-Fetch-Mode", "navigate",
			"Sec-Fetch-Dest", "document", "Sec-Fetch-Site", "none")
		mustStatus(t, r, http.StatusOK)
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(string(r.body), mashlib.URL+"/mashlib.min.js") || !strings.Contains(csp, "script-src "+mashlib.URL+"/ 'sha256-") {
			t.Fatalf("not the shell: CSP %q\n%s", csp, r.body)
		}
		// An RDF client and a script's fetch still get the resource.
		mustStatus(t, s.doAs(t, nil, http.MethodGet, acct.pod, nil, "Accept", "text/turtle"), http.StatusUnauthorized)
		mustStatus(t, s.doAs(t, nil, http.MethodGet, acct.pod, nil, "Accept", "text/html", "Sec-Fetch-Mode", "cors",
			"Sec-Fetch-Dest", "empty"), http.StatusUnauthorized)
	})

	folder, nick := "from-solidos-"+suffix, "solidos-"+suffix
	runNodeSteps(t, dir, "journeys/solidos.mjs", solidosTimeout, "solidos-journey-", solidosSteps,
		"NAAMIO_BASE="+s.base,
		"NAAMIO_POD_URL="+acct.pod,
		"NAAMIO_EMAIL="+email,
		"NAAMIO_PASSWORD=correct horse battery staple",
		"NAAMIO_FOLDER="+folder,
		"NAAMIO_NICK="+nick,
		"NAAMIO_EVIL_URL="+evil,
		"CHROMIUM="+chromium)

	requirement(t, "solidos-write-folder-on-server", func(t *testing.T) {
		r := owner.do(t, http.MethodGet, acct.pod+folder+"/", nil, "Accept", "text/turtle")
		mustStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Header.Get("Link"), "BasicContainer") {
			t.Errorf("%s is not a container: Link %q", folder, r.Header.Get("Link"))
		}
		mustStatus(t, s.doAs(t, nil, http.MethodGet, acct.pod+folder+"/", nil, "Accept", "text/turtle"), http.StatusUnauthorized)
	})
	requirement(t, "solidos-write-profile-on-server", func(t *testing.T) {
		r := s.doAs(t, nil, http.MethodGet, acct.webID, nil, "Accept", "application/n-triples")
		mustStatus(t, r, http.StatusOK)
		want := "<" + acct.webID + "> <http://xmlns.com/foaf/0.1/nick> \"" + nick + "\" ."
		if !strings.Contains(string(r.body), want) {
			t.Errorf("profile lacks %s:\n%s", want, r.body)
		}
	})
	if t.Failed() {
		t.Logf("server log:\n%s", s.logTail())
	}
}

// ownerToken logs in with the account's client credential (accountAPI
// withCredentials) and returns a DPoP-bound token for it.
func ownerToken(t *testing.T, s *server, acct cssAccount) *agentToken {
	t.Helper()
	key, err := testissuer.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	r := tokenRequest(t, s, key, url.Values{"grant_type": {"client_credentials"}, "scope": {"webid"}}, acct.id, acct.secret)
	return &agentToken{s: s, key: key, token: tokensOf(t, r).Access}
}
