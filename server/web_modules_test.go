package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/web/modpage"
)

// planOf asks the modules page's plan endpoint (DPoP) and decodes it.
func (c *podClient) planOf(req map[string]string) modpage.Plan {
	c.t.Helper()
	b, _ := json.Marshal(req)
	body := c.must(http.StatusOK, "POST", modpage.PlanPath, string(b), "Content-Type", "application/json")
	var p modpage.Plan
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		c.t.Fatal(err)
	}
	return p
}

// applyPlan makes the plan's ACL writes as the page's script does.
func (c *podClient) applyPlan(p modpage.Plan) {
	c.t.Helper()
	for _, a := range p.ACLs {
		if a.CreateContainer {
			c.must(http.StatusCreated, "PUT", strings.TrimPrefix(a.Container, c.base), "", "If-None-Match", "*", "Content-Type", "text/turtle")
		}
		if a.Create {
			c.must(http.StatusCreated, "PUT", strings.TrimPrefix(a.URL, c.base), a.Body, "If-None-Match", "*", "Content-Type", "text/turtle")
		} else {
			c.must(http.StatusNoContent, "PUT", strings.TrimPrefix(a.URL, c.base), a.Body, "If-Match", a.ETag, "Content-Type", "text/turtle")
		}
	}
}

// The modules page's way of installing, end to end on a real server with
// the real module host and the Go indexer: the plan (DPoP) names exactly
// what the manifest asks for; the binary, the manifest and the planned
// ACLs written over the Solid API make the module run and react within
// those grants; disabling is a manifest write; the uninstall plan takes
// the grants away (issue 15 item 2). A session cookie never reaches the
// plan, and the page itself is only for a session.
func TestModulesPageInstallOverHTTP(t *testing.T) {
	bin := indexerWasm(t)
	s, c := newPodClient(t)
	sum := sha256.Sum256(bin)
	index := c.base + "alice/index/titles.ttl"
	manifest := `{"name": "indexer", "version": "1.0.0",
		"wasm": {"url": "indexer.wasm", "sha256": "` + hex.EncodeToString(sum[:]) + `"},
		"reactors": [{"export": "on_change", "container": "../../notes/", "contentTypes": ["text/turtle"]}],
		"access": [{"container": "../../index/", "modes": ["Read", "Write"]}],
		"config": {"index": "` + index + `"}, "limits": {"timeoutMs": 10000}}`

	p := c.planOf(map[string]string{"pod": "alice", "manifest": manifest})
	agent := c.base + "alice/settings/modules/indexer.json#module"
	if p.Agent != agent || len(p.Permissions) != 2 || len(p.ACLs) != 2 {
		t.Fatalf("plan: %+v", p)
	}
	c.must(http.StatusCreated, "PUT", "/alice/settings/modules/indexer.wasm", string(bin), "Content-Type", "application/wasm")
	c.must(http.StatusCreated, "PUT", "/alice/settings/modules/indexer.json", manifest, "Content-Type", "application/json")
	c.applyPlan(p)

	c.must(http.StatusCreated, "PUT", "/alice/notes/a.ttl", `<> <http://purl.org/dc/terms/title> "First" .`, "Content-Type", "text/turtle")
	deadline := time.Now().Add(30 * time.Second)
	for !slices.Contains(c.ntriples("/alice/index/titles.ttl"), `<`+c.base+`alice/notes/a.ttl> <http://purl.org/dc/terms/title> "First" .`) {
		if time.Now().After(deadline) {
			t.Fatalf("the indexer did not react: %+v", c.status("/alice/settings/modules/indexer.json"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st, ok := s.mods.Status("/alice/settings/modules/indexer.json"); !ok || st.Calls < 1 || st.State != "running" {
		t.Fatalf("status %+v", st)
	}

	// Disable: the manifest again with "disabled": true.
	c.must(http.StatusNoContent, "PUT", "/alice/settings/modules/indexer.json", strings.Replace(manifest, `"version"`, `"disabled": true, "version"`, 1), "Content-Type", "application/json")
	if st, _ := s.mods.Status("/alice/settings/modules/indexer.json"); st.State != "disabled" {
		t.Fatalf("disabled: %+v", st)
	}

	// Uninstall: the plan first (it reads the manifest), then the writes.
	u := c.planOf(map[string]string{"pod": "alice", "uninstall": "indexer"})
	c.must(http.StatusNoContent, "DELETE", "/alice/settings/modules/indexer.json", "")
	c.must(http.StatusNoContent, "DELETE", "/alice/settings/modules/indexer.wasm", "")
	c.applyPlan(u)
	for _, acl := range []string{"/alice/notes/.acl", "/alice/index/.acl"} {
		if b := c.must(http.StatusOK, "GET", acl, "", "Accept", "text/turtle"); strings.Contains(b, agent) {
			t.Fatalf("%s still names the module:\n%s", acl, b)
		}
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		if _, ok := s.mods.Status("/alice/settings/modules/indexer.json"); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("module still installed")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The plan is DPoP only: no token, no plan (a cookie does not count).
	req, _ := http.NewRequest("POST", c.base+strings.TrimPrefix(modpage.PlanPath, "/"), strings.NewReader(`{"pod":"alice","uninstall":"indexer"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", "naamio_session=anything")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("plan without a token: %d", resp.StatusCode)
	}
	// The page without a session: 401, an HTML page offering to log in.
	req, _ = http.NewRequest("GET", c.base+strings.TrimPrefix(modpage.PagePath, "/")+"?pod=alice", nil)
	req.Header.Set("Accept", "text/html")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page without a session: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// With pods on subdomains, the plan (asked on the base host) names the
// pod's own origin for the manifest, the agent, the containers and the
// ACLs, and the planned writes work there (issue 15 item 2).
func TestModulesPagePlanSubdomainPods(t *testing.T) {
	s, base, hostPort, client := subdomainServer(t)
	alice := "http://alice." + hostPort + "/"
	id, secret, key := scriptCredentials(t, s, "alice@example.org")
	tok := clientCredentialsToken(t, base, id, secret, key)
	do := func(method, url, body string, header ...string) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		proof, err := key.Proof(method, url, tok, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "DPoP "+tok)
		req.Header.Set("DPoP", proof)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		return resp.StatusCode, resp.Header, b.String()
	}
	manifest := `{"name":"m","version":"1","wasm":{"url":"m.wasm","sha256":"` + strings.Repeat("0", 64) + `"},
		"reactors":[{"export":"on_change","container":"../../notes/"}]}`
	b, _ := json.Marshal(map[string]string{"pod": "alice", "manifest": manifest})
	st, _, body := do("POST", base+strings.TrimPrefix(modpage.PlanPath, "/"), string(b), "Content-Type", "application/json")
	if st != 200 {
		t.Fatalf("plan: %d %s", st, body)
	}
	var p modpage.Plan
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	if p.Agent != alice+"settings/modules/m.json#module" || !p.Wasm.Local || len(p.ACLs) != 1 ||
		p.ACLs[0].URL != alice+"notes/.acl" || !p.ACLs[0].CreateContainer {
		t.Fatalf("plan: %s", body)
	}
	if st, _, b := do("PUT", p.ACLs[0].Container, "", "If-None-Match", "*", "Content-Type", "text/turtle"); st != 201 {
		t.Fatalf("container: %d %s", st, b)
	}
	if st, _, b := do("PUT", p.ACLs[0].URL, p.ACLs[0].Body, "If-None-Match", "*", "Content-Type", "text/turtle"); st != 201 {
		t.Fatalf("ACL: %d %s", st, b)
	}
	if _, _, acl := do("GET", alice+"notes/.acl", "", "Accept", "text/turtle"); !strings.Contains(acl, p.Agent) || !strings.Contains(acl, alice+"profile/card#me") {
		t.Fatalf("notes/.acl:\n%s", acl)
	}
	// bob's token cannot plan for alice's pod.
	if st, _, _ := do("POST", base+strings.TrimPrefix(modpage.PlanPath, "/"), `{"pod":"bob","uninstall":"m"}`, "Content-Type", "application/json"); st != 403 {
		t.Fatalf("alice planning for bob: %d", st)
	}
}
