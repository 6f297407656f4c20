package conformance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testdeps"
)

// nodeTimeout bounds one Node end-to-end run.
const nodeTimeout = 2 * time.Minute

// e2eWorkspace is a temporary copy of the Node project of real Solid
// clients (conformance/e2e) linked to its installed packages, which live
// outside the checkout (internal/testdeps). Without them, or without
// Node, the test skips with a message naming the one test command, or
// fails when NAAMIO_REQUIRE_TEST_DEPS requires them (CI).
func e2eWorkspace(t *testing.T) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		testdeps.Missing(t, testdeps.Node, "node is not installed (Debian package nodejs); "+testdeps.Command+" installs it and runs every test")
	}
	return testdeps.Workspace(t, filepath.Join(root, "conformance", "e2e"))
}

// accountAPI drives the account API as a script written for the Community
// Solid Server would: create an account, add an email/password login,
// create a pod, and (when withCredentials) client credentials for its WebID.
type cssAccount struct {
	pod, webID, id, secret string
}

func accountAPI(t *testing.T, s *server, email, podName string, withCredentials bool) cssAccount {
	t.Helper()
	post := func(u, token string, body any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		kv := []string{"Content-Type", "application/json"}
		if token != "" {
			kv = append(kv, "Authorization", "CSS-Account-Token "+token)
		}
		r := s.doAs(t, nil, http.MethodPost, u, b, kv...)
		if r.StatusCode != http.StatusOK && r.StatusCode != http.StatusCreated {
			t.Fatalf("POST %s: %s", u, r)
		}
		var out map[string]any
		if err := json.Unmarshal(r.body, &out); err != nil {
			t.Fatalf("POST %s: %v: %s", u, err, r.body)
		}
		return out
	}
	str := func(m map[string]any, k string) string {
		v, _ := m[k].(string)
		if v == "" {
			t.Fatalf("no %q in %v", k, m)
		}
		return v
	}
	token := str(post(s.url("/.account/account/"), "", map[string]any{}), "authorization")
	r := s.doAs(t, nil, http.MethodGet, "/.account/", nil, "Authorization", "CSS-Account-Token "+token)
	var idx struct {
		Controls struct {
			Account  struct{ Pod, ClientCredentials string }
			Password struct{ Create string }
		}
	}
	if err := json.Unmarshal(r.body, &idx); err != nil || idx.Controls.Password.Create == "" || idx.Controls.Account.Pod == "" {
		t.Fatalf("controls: %v %s", err, r)
	}
	post(idx.Controls.Password.Create, token, map[string]any{"email": email, "password": "correct horse battery staple"})
	made := post(idx.Controls.Account.Pod, token, map[string]any{"name": podName})
	acct := cssAccount{pod: str(made, "pod"), webID: str(made, "webId")}
	if withCredentials {
		cred := post(idx.Controls.Account.ClientCredentials, token, map[string]any{"name": "e2e", "webId": acct.webID})
		acct.id, acct.secret = str(cred, "id"), str(cred, "secret")
	}
	return acct
}

// TestInruptNodeClient: @inrupt/solid-client-authn-node logs in with client
// credentials made through the account API, and @inrupt/solid-client
// creates, reads, updates and deletes a private resource in the account's
// pod and is refused on another user's pod (issue 5, item 6a).
func TestInruptNodeClient(t *testing.T) {
	dir := e2eWorkspace(t)
	suffix := podSuffix("e2e")
	alice := accountAPI(t, srv, "alice-"+suffix+"@example.org", "alice-"+suffix, true)
	bob := accountAPI(t, srv, "bob-"+suffix+"@example.org", "bob-"+suffix, false)
	runNodeSteps(t, dir, "inrupt-node.mjs", nodeTimeout, "e2e-inrupt-node-", []string{"login", "create", "read", "update",
		"private-to-others", "refused-read-other-pod", "refused-write-other-pod", "delete"},
		"NAAMIO_ISSUER="+srv.base,
		"NAAMIO_CLIENT_ID="+alice.id,
		"NAAMIO_CLIENT_SECRET="+alice.secret,
		"NAAMIO_OWN_POD="+alice.pod,
		"NAAMIO_OTHER_POD="+bob.pod)
}

// podSuffix is a unique, pod-name-safe suffix for one test's accounts.
func podSuffix(name string) string {
	s := strings.TrimPrefix(fresh(name), "/")
	return strings.Trim(strings.ToLower(strings.NewReplacer("/", "", "_", "-").Replace(s)), "-")
}

// runNodeSteps runs a Node script of conformance/e2e with env added,
// within limit. The script prints one JSON line per step
// ({"step","ok","detail"}); each of steps becomes the requirement
// prefix+step, failing when it did not run or did not pass.
func runNodeSteps(t *testing.T, dir, script string, limit time.Duration, prefix string, steps []string, env ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	results := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var st struct {
			Step   string `json:"step"`
			OK     bool   `json:"ok"`
			Detail string `json:"detail"`
		}
		if json.Unmarshal(sc.Bytes(), &st) != nil {
			continue
		}
		if st.OK {
			results[st.Step] = ""
			t.Logf("%s: ok %s", st.Step, st.Detail)
		} else {
			results[st.Step] = st.Detail
		}
	}
	for _, name := range steps {
		requirement(t, prefix+name, func(t *testing.T) {
			why, ran := results[name]
			switch {
			case !ran:
				t.Fatalf("step did not run (node: %v)\nstdout:\n%s\nstderr:\n%s", runErr, out, stderr.String())
			case why != "":
				t.Fatalf("%s\nlog:\n%s", why, stderr.String())
			}
		})
	}
	if runErr != nil && !t.Failed() {
		t.Fatal(fmt.Errorf("node: %w\n%s", runErr, stderr.String()))
	}
}
