package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
)

// Issue 10 items 1, 3 and 6, against real server processes: what happens to
// a WebID, its grants and its tokens when an account or credential is
// deleted, and to the administrator when the first sign-up fails.

const accountPassword = "correct horse battery staple"

// apiAccount is an account made through the account API
// (/.account/, CSS-compatible), with the account token that drives it.
type apiAccount struct {
	s                   *server
	token               string
	podControl          string
	credControl         string
	pod, webID          string
	credID, credSecret  string
	credResource, email string
}

// newAPIAccount makes an account with a password (no pod yet).
func newAPIAccount(t *testing.T, s *server, email string) *apiAccount {
	t.Helper()
	a := &apiAccount{s: s, email: email}
	r := a.send(t, http.MethodPost, s.url("/.account/account/"), map[string]any{})
	mustStatus(t, r, http.StatusOK, http.StatusCreated)
	a.token, _ = jsonObject(t, r)["authorization"].(string)
	r = s.doAs(t, nil, http.MethodGet, "/.account/", nil, "Authorization", "CSS-Account-Token "+a.token)
	var idx struct {
		Controls struct {
			Account  struct{ Pod, ClientCredentials string }
			Password struct{ Create string }
		}
	}
	if err := json.Unmarshal(r.body, &idx); err != nil || idx.Controls.Password.Create == "" || a.token == "" {
		t.Fatalf("controls: %v %s", err, r)
	}
	a.podControl, a.credControl = idx.Controls.Account.Pod, idx.Controls.Account.ClientCredentials
	mustStatus(t, a.send(t, http.MethodPost, idx.Controls.Password.Create, map[string]any{"email": email, "password": accountPassword}),
		http.StatusOK, http.StatusCreated)
	return a
}

func (a *apiAccount) send(t *testing.T, method, u string, body any) *reply {
	t.Helper()
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	kv := []string{"Content-Type", "application/json"}
	if a.token != "" {
		kv = append(kv, "Authorization", "CSS-Account-Token "+a.token)
	}
	return a.s.doAs(t, nil, method, u, b, kv...)
}

// makePod asks for pod name and returns the reply; on success it keeps
// the pod and WebID.
func (a *apiAccount) makePod(t *testing.T, name string) *reply {
	t.Helper()
	r := a.send(t, http.MethodPost, a.podControl, map[string]any{"name": name})
	if r.StatusCode == http.StatusOK || r.StatusCode == http.StatusCreated {
		m := jsonObject(t, r)
		a.pod, _ = m["pod"].(string)
		a.webID, _ = m["webId"].(string)
	}
	return r
}

// makeCredential makes a client credential for the account's WebID.
func (a *apiAccount) makeCredential(t *testing.T) {
	t.Helper()
	r := a.send(t, http.MethodPost, a.credControl, map[string]any{"name": "row-test", "webId": a.webID})
	mustStatus(t, r, http.StatusOK, http.StatusCreated)
	m := jsonObject(t, r)
	a.credID, _ = m["id"].(string)
	a.credSecret, _ = m["secret"].(string)
	a.credResource, _ = m["resource"].(string)
	if a.credID == "" || a.credSecret == "" || a.credResource == "" {
		t.Fatalf("credential: %s", r)
	}
}

// agentToken is a DPoP-bound access token and its key.
type agentToken struct {
	s     *server
	key   *testissuer.Key
	token string
}

// login gets an access token with the account's client credential.
func (a *apiAccount) login(t *testing.T) *agentToken {
	t.Helper()
	key, err := testissuer.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	r := tokenRequest(t, a.s, key, url.Values{"grant_type": {"client_credentials"}, "scope": {"webid"}}, a.credID, a.credSecret)
	return &agentToken{s: a.s, key: key, token: tokensOf(t, r).Access}
}

// do sends a request with the token and a fresh proof.
func (at *agentToken) do(t *testing.T, method, p string, body []byte, kv ...string) *reply {
	t.Helper()
	u := at.s.url(p)
	proof, err := at.key.Proof(method, u, at.token, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return at.s.doAs(t, nil, method, u, body, append(kv, "Authorization", "DPoP "+at.token, "DPoP", proof)...)
}

// webSignup signs up through the page /.idp/signup with browser b.
func webSignup(t *testing.T, s *server, b *browser, email, pod string) *reply {
	t.Helper()
	page := b.get(t, s.url("/.idp/signup"))
	mustStatus(t, page, http.StatusOK)
	v := hiddenFields(page.body)
	v.Set("email", email)
	v.Set("password", accountPassword)
	v.Set("pod", pod)
	return b.send(t, http.MethodPost, s.url("/.idp/signup"), strings.NewReader(v.Encode()),
		"Content-Type", "application/x-www-form-urlencoded", "Origin", strings.TrimSuffix(s.base, "/"))
}

// webDeleteAccount logs in through /.idp/login and deletes the account on
// its page.
func webDeleteAccount(t *testing.T, s *server, email string) {
	t.Helper()
	b := newBrowser(t, "")
	page := b.get(t, s.url("/.idp/login"))
	v := hiddenFields(page.body)
	v.Set("email", email)
	v.Set("password", accountPassword)
	origin := strings.TrimSuffix(s.base, "/")
	r := b.send(t, http.MethodPost, s.url("/.idp/login"), strings.NewReader(v.Encode()),
		"Content-Type", "application/x-www-form-urlencoded", "Origin", origin)
	mustStatus(t, r, http.StatusSeeOther, http.StatusFound)
	page = b.get(t, s.url("/.idp/account"))
	mustStatus(t, page, http.StatusOK)
	v = url.Values{"csrf": {hiddenFields(page.body).Get("csrf")}, "password": {accountPassword}}
	r = b.send(t, http.MethodPost, s.url("/.idp/account/delete"), strings.NewReader(v.Encode()),
		"Content-Type", "application/x-www-form-urlencoded", "Origin", origin)
	mustStatus(t, r, http.StatusOK)
	if !bytes.Contains(r.body, []byte("deleted")) {
		t.Fatalf("account not deleted: %s", r)
	}
}

// naamioOffline runs an offline command of the binary (the server stopped).
func naamioOffline(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, naamioBin, args...)
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("naamio %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// noOwner makes a launched server start without --owner-webid: the root
// has no ACL until the first administrator's pod is made.
const noOwner = "--owner-webid="

func TestSecurityAccounts(t *testing.T) {
	// SECURITY.md row 57: dave, the administrator (root owner) who was also
	// given Read on a folder of alice's, deletes his account. Signing up
	// as dave again is refused on the page and in the account API; after
	// naamio pod release (offline) the stranger who signs up as dave gets
	// the same WebID and none of dave's grants.
	requirement(t, "security-row-57-deleted-pod-name-reserved", func(t *testing.T) {
		s := startIdPServer(t, nil, noOwner)
		dave := newAPIAccount(t, s, "dave-"+randomHex()+"@example.org")
		mustStatus(t, dave.makePod(t, "dave"), http.StatusOK, http.StatusCreated)
		dave.makeCredential(t)
		alice := newAPIAccount(t, s, "alice-"+randomHex()+"@example.org")
		mustStatus(t, alice.makePod(t, "alice"), http.StatusOK, http.StatusCreated)
		alice.makeCredential(t)
		asDave, asAlice := dave.login(t), alice.login(t)
		mustStatus(t, asDave.do(t, http.MethodGet, "/", nil), http.StatusOK) // the administrator owns the root
		mustStatus(t, asAlice.do(t, http.MethodPut, "/alice/shared/note.txt", []byte("for dave"), "Content-Type", "text/plain"),
			http.StatusCreated, http.StatusNoContent, http.StatusOK)
		acl := `@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#alice> a acl:Authorization; acl:agent <` + alice.webID + `>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.
<#dave> a acl:Authorization; acl:agent <` + dave.webID + `>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read.`
		mustStatus(t, asAlice.do(t, http.MethodPut, "/alice/shared/.acl", []byte(acl), "Content-Type", "text/turtle"),
			http.StatusCreated, http.StatusNoContent, http.StatusOK)
		mustStatus(t, asDave.do(t, http.MethodGet, "/alice/shared/note.txt", nil), http.StatusOK)

		webDeleteAccount(t, s, dave.email)
		r := webSignup(t, s, newBrowser(t, ""), "stranger-"+randomHex()+"@example.org", "dave")
		if r.StatusCode != http.StatusUnprocessableEntity || !bytes.Contains(r.body, []byte("deleted account")) {
			t.Errorf("sign-up page with a deleted pod's name: want 422 saying why, got %s", r)
		}
		stranger := newAPIAccount(t, s, "stranger-"+randomHex()+"@example.org")
		if r := stranger.makePod(t, "dave"); r.StatusCode != http.StatusConflict {
			t.Errorf("account API with a deleted pod's name: want 409, got %s", r)
		}
		if t.Failed() {
			return
		}

		// The administrator frees the name; the stranger signs up with it.
		if err := s.stop(); err != nil {
			t.Fatal(err)
		}
		out := naamioOffline(t, "", "pod", "release", "--data", s.data, "--base-url", s.base, "dave")
		for _, want := range []string{"from /.acl", "from /alice/shared/.acl", "released dave"} {
			if !strings.Contains(out, want) {
				t.Errorf("pod release said %q, want %q in it", out, want)
			}
		}
		s2, err := restartServer(s, noOwner)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s2.stop() })
		stranger = newAPIAccount(t, s2, "stranger-"+randomHex()+"@example.org")
		if r := stranger.makePod(t, "dave"); r.StatusCode != http.StatusOK && r.StatusCode != http.StatusCreated {
			t.Fatalf("after the release: %s", r)
		}
		if stranger.webID != dave.webID {
			t.Fatalf("the stranger's WebID %q, dave's was %q", stranger.webID, dave.webID)
		}
		stranger.makeCredential(t)
		asStranger := stranger.login(t)
		for _, p := range []string{"/", "/.acl", "/alice/shared/note.txt", "/alice/shared/"} {
			if r := asStranger.do(t, http.MethodGet, p, nil); r.StatusCode != http.StatusForbidden {
				t.Errorf("GET %s as the stranger with dave's old WebID: want 403, got %s", p, r)
			}
		}
		// The new pod is theirs; alice's credential outlives the restart.
		mustStatus(t, asStranger.do(t, http.MethodGet, "/dave/", nil), http.StatusOK)
		alice.s = s2
		mustStatus(t, alice.login(t).do(t, http.MethodGet, "/alice/shared/note.txt", nil), http.StatusOK)
	})

	// SECURITY.md row 59: deleting a client credential (account API) or the
	// account (account page) refuses its access tokens at once.
	requirement(t, "security-row-59-tokens-die-with-credential-and-account", func(t *testing.T) {
		name := "row59-" + randomHex()
		a := newAPIAccount(t, srv, name+"@example.org")
		mustStatus(t, a.makePod(t, name), http.StatusOK, http.StatusCreated)
		a.makeCredential(t)
		first := a.login(t)
		mustStatus(t, first.do(t, http.MethodGet, "/"+name+"/", nil), http.StatusOK)
		mustStatus(t, a.send(t, http.MethodDelete, a.credResource, nil), http.StatusOK, http.StatusNoContent)
		if r := first.do(t, http.MethodGet, "/"+name+"/", nil); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("token of a deleted credential: want 401, got %s", r)
		}
		a.makeCredential(t)
		second := a.login(t)
		mustStatus(t, second.do(t, http.MethodGet, "/"+name+"/profile/card", nil), http.StatusOK)
		webDeleteAccount(t, srv, a.email)
		// The token is refused as such (401), not answered for the
		// missing pod (404).
		if r := second.do(t, http.MethodGet, "/"+name+"/profile/card", nil); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("token of a deleted account: want 401, got %s", r)
		}
	})

	// Issue 10, item 6: the first sign-up fails after its account was
	// written (its pod name collides with a container made offline); the
	// next sign-up becomes the administrator and owns the root, as the log
	// promised.
	requirement(t, "issue10-item6-failed-first-signup-keeps-the-admin", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "data")
		if err := os.MkdirAll(data, 0o700); err != nil {
			t.Fatal(err)
		}
		naamioOffline(t, `@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#nobody> a acl:Authorization; acl:agent <https://nobody.example/profile/card#me>; acl:accessTo <./>; acl:mode acl:Read.`,
			"acl", "set", "--data", data, "/taken/")
		s, err := startServer(naamioBin, data, noOwner)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.stop() })
		r := webSignup(t, s, newBrowser(t, ""), "first-"+randomHex()+"@example.org", "taken")
		if r.StatusCode != http.StatusUnprocessableEntity || !bytes.Contains(r.body, []byte("taken")) {
			t.Fatalf("first sign-up onto an existing container: want 422 (name taken), got %s", r)
		}
		next := newAPIAccount(t, s, "next-"+randomHex()+"@example.org")
		mustStatus(t, next.makePod(t, "next"), http.StatusOK, http.StatusCreated)
		next.makeCredential(t)
		if r := next.login(t).do(t, http.MethodGet, "/", nil); r.StatusCode != http.StatusOK {
			t.Errorf("GET / as the first successful sign-up: want 200 (the administrator owns the root), got %s", r)
		}
		if !strings.Contains(s.logTail(), "root ACL written") {
			t.Errorf("the log does not say the root ACL was written:\n%s", s.logTail())
		}
	})
}
