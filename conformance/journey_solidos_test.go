package conformance

import (
	"bytes"
	"context"
	"io"
	"net"
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
	mashlib := mashlibServer(t)
	s := startIdPServer(t, nil, "--data-browser", "solidos", "--mashlib-url", mashlib+"/")
	solidOSJourney(t, s, "solidos", mashlib, httpClient)
}

// TestJourneySolidOSSubdomainPods is the same journey on a server with
// --pod-layout subdomain (base http://localhost:PORT/): the pod, and so
// the shell, is on http://<pod>.localhost:PORT/ (Chromium resolves
// *.localhost to loopback), and SolidOS logs in with the provider on the
// base host, cross-origin.
func TestJourneySolidOSSubdomainPods(t *testing.T) {
	mashlib := mashlibServer(t)
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addr)
	s, err := launchAt(naamioBin, filepath.Join(t.TempDir(), "data"), addr, "--base-url", "http://localhost:"+port+"/",
		"--pod-layout", "subdomain", "--data-browser", "solidos", "--mashlib-url", mashlib+"/")
	if err != nil {
		t.Fatal(err)
	}
	s.base = "http://localhost:" + port + "/"
	t.Cleanup(func() { _ = s.kill() })
	if err := s.waitHealthy(healthTimeout); err != nil {
		t.Fatalf("%v\n%s", err, s.logTail())
	}
	// Every *.localhost host is this server, as in Chromium.
	d := &net.Dialer{Timeout: 10 * time.Second}
	tr := &http.Transport{Proxy: nil, DisableCompression: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		}}
	t.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Timeout: requestTimeout, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	solidOSJourney(t, s, "solidos-subdomain", mashlib, c)
}

// mashlibServer serves mashlib's dist/ from its own loopback origin and
// returns that origin.
func mashlibServer(t *testing.T) string {
	t.Helper()
	dist := filepath.Join(e2eWorkspace(t), "node_modules", "mashlib", "dist")
	m := httptest.NewServer(http.FileServer(http.Dir(dist)))
	t.Cleanup(m.Close)
	return m.URL
}

// solidOSJourney runs journeys/solidos.mjs (as journey name) against s,
// whose shell loads mashlib from the origin mashlib; c reaches the pods'
// hosts.
func solidOSJourney(t *testing.T, s *server, name, mashlib string, c *http.Client) {
	suffix := randomHex()[:8]
	email, podName := "sol-"+suffix+"@example.org", "sol-"+suffix
	acct := accountAPI(t, s, email, podName, true)
	key, err := testissuer.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	token := tokensOf(t, tokenRequest(t, s, key, url.Values{"grant_type": {"client_credentials"}, "scope": {"webid"}}, acct.id, acct.secret)).Access
	asOwner := func(method, u string, body []byte, kv ...string) *reply {
		proof, err := key.Proof(method, u, token, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return send(t, c, method, u, body, append(kv, "Authorization", "DPoP "+token, "DPoP", proof)...)
	}
	anonymous := func(method, u string, kv ...string) *reply { return send(t, c, method, u, nil, kv...) }

	// A stored page whose scripts, if they ever ran, would mark the window.
	evil := acct.pod + "evil.html"
	mustStatus(t, asOwner(http.MethodPut, evil, []byte(`<!doctype html><title>evil</title>`+
		`<script>window.PWNED = 1; try { top.PWNED = 1 } catch (e) {}</script>`+
		`<img src="x" onerror="top.PWNED = 2">`), "Content-Type", "text/html"), http.StatusCreated, http.StatusNoContent)
	// Public, so that SolidOS's iframe (which cannot send a DPoP token)
	// loads the page itself rather than a 401.
	mustStatus(t, asOwner(http.MethodPut, evil+".acl", []byte(`@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#public> a acl:Authorization; acl:agentClass <http://xmlns.com/foaf/0.1/Agent>; acl:accessTo <evil.html>; acl:mode acl:Read.
<#owner> a acl:Authorization; acl:agent <`+acct.webID+`>; acl:accessTo <evil.html>; acl:mode acl:Read, acl:Write, acl:Control.
`), "Content-Type", "text/turtle"), http.StatusCreated, http.StatusNoContent)
	mustStatus(t, anonymous(http.MethodGet, evil, "Accept", "text/html"), http.StatusOK)

	requirement(t, name+"-shell-for-private-resource", func(t *testing.T) {
		r := anonymous(http.MethodGet, acct.pod, "Accept", "text/html,*/*;q=0.8", "Sec-Fetch-Mode", "navigate",
			"Sec-Fetch-Dest", "document", "Sec-Fetch-Site", "none")
		mustStatus(t, r, http.StatusOK)
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(string(r.body), mashlib+"/mashlib.min.js") || !strings.Contains(csp, "script-src "+mashlib+"/ 'sha256-") {
			t.Fatalf("not the shell: CSP %q\n%s", csp, r.body)
		}
		// An RDF client and a script's fetch still get the resource.
		mustStatus(t, anonymous(http.MethodGet, acct.pod, "Accept", "text/turtle"), http.StatusUnauthorized)
		mustStatus(t, anonymous(http.MethodGet, acct.pod, "Accept", "text/html", "Sec-Fetch-Mode", "cors",
			"Sec-Fetch-Dest", "empty"), http.StatusUnauthorized)
	})

	folder, nick := "from-solidos-"+suffix, "solidos-"+suffix
	// runJourney's, with the one script for both layouts.
	chromium, dir := testdeps.NeedChromium(t), e2eWorkspace(t)
	shots := artifactsDir(t, name)
	runNodeSteps(t, dir, filepath.Join("journeys", "solidos.mjs"), journeyTimeout, "journey-"+name+"-", solidosSteps,
		"NAAMIO_BASE="+s.base, "NAAMIO_SHOTS="+shots, "CHROMIUM="+chromium,
		"NAAMIO_POD_URL="+acct.pod,
		"NAAMIO_EMAIL="+email,
		"NAAMIO_PASSWORD=correct horse battery staple",
		"NAAMIO_FOLDER="+folder,
		"NAAMIO_NICK="+nick,
		"NAAMIO_EVIL_URL="+evil)

	requirement(t, name+"-write-folder-on-server", func(t *testing.T) {
		r := asOwner(http.MethodGet, acct.pod+folder+"/", nil, "Accept", "text/turtle")
		mustStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Header.Get("Link"), "BasicContainer") {
			t.Errorf("%s is not a container: Link %q", folder, r.Header.Get("Link"))
		}
		mustStatus(t, anonymous(http.MethodGet, acct.pod+folder+"/", "Accept", "text/turtle"), http.StatusUnauthorized)
	})
	requirement(t, name+"-write-profile-on-server", func(t *testing.T) {
		r := anonymous(http.MethodGet, acct.webID, "Accept", "application/n-triples")
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

// send makes one request with client c (kv: header name/value pairs).
func send(t *testing.T, c *http.Client, method, u string, body []byte, kv ...string) *reply {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Add(kv[i], kv[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		t.Fatal(err)
	}
	return &reply{Response: resp, body: b, url: u}
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
