package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/modules"
)

// The server wires the module host: a manifest written over HTTP installs
// (422 with the reason when it is not valid), its responses link to the
// status document (readable as the manifest is), and the reactor runs
// from the change-log feed after a write it may read.
func TestModulesOverHTTP(t *testing.T) {
	s, base := serveAccounts(t, "alice")
	// The change-log feed and the reactor workers run as Serve runs them.
	bg := startWorkers(context.Background(), s.workers...)
	t.Cleanup(bg.stop)
	id, secret, key := scriptCredentials(t, s, "alice@example.org")
	st, access := tokenRequest(t, base, id, secret, key)
	if st != 200 {
		t.Fatalf("token: %d", st)
	}
	bin, err := os.ReadFile("../modules/testdata/reactor.wasm")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bin)
	manifest := `{"name":"r","version":"1","wasm":{"url":"r.wasm","sha256":"` + hex.EncodeToString(sum[:]) + `"},
		"reactors":[{"export":"on_change","container":"../../notes/"}]}`
	agent := base + "alice/settings/modules/r.json#module"
	send := func(method, path, ct, body string, want int) *http.Response {
		t.Helper()
		resp := sendWith(t, method, base, path, ct, body, access, key)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d", method, path, resp.StatusCode, want)
		}
		return resp
	}
	send("PUT", "/alice/notes/", "", "", http.StatusCreated)
	send("PUT", "/alice/notes/.acl", "text/turtle", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <`+base+`alice/profile/card#me> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#module> a acl:Authorization ; acl:agent <`+agent+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .`, http.StatusCreated)
	send("PUT", "/alice/settings/modules/r.wasm", "application/wasm", string(bin), http.StatusCreated)
	send("PUT", "/alice/settings/modules/r.json", "application/json", strings.Replace(manifest, `"version":"1"`, `"version":1`, 1), http.StatusUnprocessableEntity)
	send("PUT", "/alice/settings/modules/r.json", "application/json", manifest, http.StatusCreated)

	link := send("GET", "/alice/settings/modules/r.json", "", "", http.StatusOK).Header.Get("Link")
	statusPath := modules.StatusPrefix + "/alice/settings/modules/r.json"
	if !strings.Contains(link, `<`+strings.TrimSuffix(base, "/")+statusPath+`>; rel="`+modules.RelStatus+`"`) {
		t.Fatalf("manifest Link: %s", link)
	}
	if resp := sendWith(t, "GET", base, statusPath, "", "", "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous status: %d", resp.StatusCode)
	}
	c := &podClient{t: t, base: base, access: access, key: key}
	status := func() modules.Status { return c.status("/alice/settings/modules/r.json") }
	if st := status(); st.State != modules.StateRunning || st.Calls != 0 {
		t.Fatalf("status after install: %+v", st)
	}
	send("PUT", "/alice/notes/a.ttl", "text/turtle", `<#x> <urn:ex:v> 1 .`, http.StatusCreated)
	deadline := time.Now().Add(30 * time.Second)
	for status().Calls < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the reactor was not called: %+v", status())
		}
		time.Sleep(20 * time.Millisecond)
	}

	// With the server stopped, the operator reads what was recorded.
	bg.stop()
	closeServer(s)
	cli := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		full := append([]string{args[0], "--data", s.cfg.DataDir}, args[1:]...)
		if err := moduleCommand(full, &out, &errOut); err != nil {
			t.Fatalf("naamio module %v: %v %s", args, err, errOut.String())
		}
		return out.String()
	}
	if out := cli("list"); !strings.Contains(out, "/alice/settings/modules/r.json") || !strings.Contains(out, "running") {
		t.Errorf("module list:\n%s", out)
	}
	var rec modules.Installed
	if err := json.Unmarshal([]byte(cli("status", "/alice/settings/modules/r.json")), &rec); err != nil || rec.Status.Calls < 1 || rec.Manifest.Name != "r" {
		t.Errorf("module status: %+v %v", rec, err)
	}
	if out := cli("logs", "/alice/settings/modules/r.json"); !strings.Contains(out, "installed r 1") {
		t.Errorf("module logs:\n%s", out)
	}
}

// naamio module refuses what it cannot do, saying why.
func TestModuleCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	st, err := openStopped(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "list, status or logs expected"},
		{[]string{"remove"}, "list, status or logs expected"},
		{[]string{"status", "--data", dir}, "1 argument(s) expected"},
		{[]string{"list", "--data", dir, "extra"}, "0 argument(s) expected"},
		{[]string{"logs", "--data", dir, "/nobody/settings/modules/x.json"}, "no module is installed from"},
		{[]string{"list", "--data", filepath.Join(dir, "missing")}, "data directory"},
	} {
		var out, errOut bytes.Buffer
		err := moduleCommand(tc.args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("naamio module %v: %v, want an error saying %q", tc.args, err, tc.want)
		}
	}
	var out, errOut bytes.Buffer
	if err := moduleCommand([]string{"list", "--data", dir}, &out, &errOut); err != nil || !strings.Contains(out.String(), "no modules installed") {
		t.Errorf("list of an empty store: %q, %v", out.String(), err)
	}
}
