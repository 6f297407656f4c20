package modpage

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/safehttp"
	"github.com/naamio/naamio/internal/testissuer"
	"github.com/naamio/naamio/ldp/ldptest"
	"github.com/naamio/naamio/modules"
	"github.com/naamio/naamio/rdf"
)

const zeroSum = "0000000000000000000000000000000000000000000000000000000000000000"

// planAs posts a plan request as agent (nil: anonymous) and decodes it.
func (p *pod) planAs(t *testing.T, agent *testissuer.Agent, req any) (int, *Plan, string) {
	t.Helper()
	b, _ := json.Marshal(req)
	resp, body := ldptest.Send(t, agent, "POST", p.base+strings.TrimPrefix(PlanPath, "/"), "application/json", string(b))
	if resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("plan answered %q, %q", resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
	if resp.StatusCode != 200 {
		return resp.StatusCode, nil, body
	}
	var plan Plan
	if err := json.Unmarshal([]byte(body), &plan); err != nil {
		t.Fatal(err)
	}
	return 200, &plan, body
}

// apply makes the plan's ACL writes as the owner, as the page's script
// does (the container first when it is missing; If-Match / If-None-Match).
func (p *pod) apply(t *testing.T, plan *Plan) {
	t.Helper()
	for _, a := range plan.ACLs {
		if a.CreateContainer {
			p.must(t, "PUT", strings.TrimPrefix(a.Container, p.base), "text/turtle", "", 201, "If-None-Match", "*")
		}
		cond := []string{"If-Match", a.ETag}
		want := 204
		if a.Create {
			cond, want = []string{"If-None-Match", "*"}, 201
		}
		p.must(t, "PUT", strings.TrimPrefix(a.URL, p.base), "text/turtle", a.Body, want, cond...)
	}
}

func indexerManifest(version, extra string) string {
	return `{"name":"indexer","version":"` + version + `","wasm":{"url":"indexer.wasm","sha256":"` + zeroSum + `"},
	"reactors":[{"export":"on_change","container":"../../notes/","contentTypes":["text/turtle"]}],
	"access":[{"container":"../../index/","modes":["Read","Write"]}]` + extra + `}`
}

// modesOf reads the modes an ACL gives agent with acl:default on container.
func modesOf(g *rdf.Graph, container, agent string) []string {
	var out []string
	for _, t := range g.Match(rdf.Term{}, rdf.NewIRI(aclAgent), rdf.NewIRI(agent)) {
		if !g.Has(rdf.Triple{S: t.S, P: rdf.NewIRI(aclDefault), O: rdf.NewIRI(container)}) {
			continue
		}
		for _, m := range g.Match(t.S, rdf.NewIRI(aclMode), rdf.Term{}) {
			out = append(out, strings.TrimPrefix(m.O.Value, aclNS))
		}
	}
	slices.Sort(out)
	return out
}

// Install, upgrade and uninstall plans grant the module's agent exactly
// what the manifest asks for, keep everyone else's access (the inherited
// public Read is copied into a new ACL; the owner keeps Control), and take
// the grants away again on uninstall (issue 15 item 2).
func TestPlanInstallUpgradeUninstall(t *testing.T) {
	p := newPod(t, nil)
	p.must(t, "PUT", "alice/notes/", "text/turtle", "", 201)
	p.must(t, "PUT", "alice/notes/a.ttl", "text/turtle", `<> <http://purl.org/dc/terms/title> "A" .`, 201)

	st, plan, body := p.planAs(t, p.owner, map[string]string{"pod": "alice", "manifest": indexerManifest("1.0.0", "")})
	if st != 200 {
		t.Fatalf("plan: %d %s", st, body)
	}
	agent := p.root + "settings/modules/indexer.json#module"
	if plan.Agent != agent || plan.Upgrade || !plan.Grows || !plan.Wasm.Local {
		t.Fatalf("plan: %+v", plan)
	}
	wantPerm := []Permission{
		{Container: p.root + "index/", Modes: []string{"Read", "Write"}, Why: []string{"asked for in the manifest (access)"}, New: []string{"Read", "Write"}},
		{Container: p.root + "notes/", Modes: []string{"Read"}, Why: []string{"reacts to changes in it (on_change)"}, New: []string{"Read"}},
	}
	if got, _ := json.Marshal(plan.Permissions); string(got) != mustJSON(wantPerm) {
		t.Fatalf("permissions %s\nwant %s", got, mustJSON(wantPerm))
	}
	if len(plan.ACLs) != 2 || !plan.ACLs[0].Create || !plan.ACLs[0].CreateContainer || !plan.ACLs[1].Create || plan.ACLs[1].CreateContainer {
		t.Fatalf("acl writes: %+v", plan.ACLs)
	}
	p.apply(t, plan)
	if got := modesOf(p.acl(t, "alice/notes/.acl"), p.root+"notes/", agent); !slices.Equal(got, []string{"Read"}) {
		t.Fatalf("notes grant %v", got)
	}
	if got := modesOf(p.acl(t, "alice/index/.acl"), p.root+"index/", agent); !slices.Equal(got, []string{"Read", "Write"}) {
		t.Fatalf("index grant %v", got)
	}
	// Nobody else's access changed: the public still reads, the owner
	// still controls.
	if resp, _ := ldptest.Send(t, nil, "GET", p.root+"notes/a.ttl", "", ""); resp.StatusCode != 200 {
		t.Fatalf("public read after the new ACL: %d", resp.StatusCode)
	}
	p.must(t, "GET", "alice/notes/.acl", "", "", 200)
	p.must(t, "PUT", "alice/settings/modules/indexer.json", "application/json", indexerManifest("1.0.0", ""), 201)

	// The same version again asks for nothing new and writes nothing.
	_, again, _ := p.planAs(t, p.owner, map[string]string{"pod": "alice", "manifest": indexerManifest("1.0.0", "")})
	if !again.Upgrade || again.Grows || len(again.ACLs) != 0 {
		t.Fatalf("same manifest again: %+v", again)
	}
	// An upgrade asking for Write on notes/ and a host grows (prompted
	// again); dropping index/ takes that grant away.
	up := strings.Replace(indexerManifest("2.0.0", `,"allowedHosts":["api.example.org"]`),
		`"access":[{"container":"../../index/","modes":["Read","Write"]}]`, `"access":[{"container":"../../notes/","modes":["Write"]}]`, 1)
	st, plan, body = p.planAs(t, p.owner, map[string]string{"pod": "alice", "manifest": up})
	if st != 200 || !plan.Upgrade || !plan.Grows {
		t.Fatalf("upgrade: %d %s", st, body)
	}
	if len(plan.Permissions) != 1 || !slices.Equal(plan.Permissions[0].New, []string{"Write"}) ||
		len(plan.Hosts) != 1 || !plan.Hosts[0].New || len(plan.Removed) != 1 || plan.Removed[0].Container != p.root+"index/" {
		t.Fatalf("upgrade plan: %s", body)
	}
	p.apply(t, plan)
	if got := modesOf(p.acl(t, "alice/notes/.acl"), p.root+"notes/", agent); !slices.Equal(got, []string{"Read", "Write"}) {
		t.Fatalf("notes grant after upgrade %v", got)
	}
	if got := modesOf(p.acl(t, "alice/index/.acl"), p.root+"index/", agent); len(got) != 0 {
		t.Fatalf("index grant left after upgrade %v", got)
	}
	p.must(t, "PUT", "alice/settings/modules/indexer.json", "application/json", up, 204)

	// Uninstall: every grant of the module's agent goes.
	st, plan, body = p.planAs(t, p.owner, map[string]string{"pod": "alice", "uninstall": "indexer"})
	if st != 200 || len(plan.ACLs) != 1 {
		t.Fatalf("uninstall: %d %s", st, body)
	}
	p.apply(t, plan)
	g := p.acl(t, "alice/notes/.acl")
	if len(g.Match(rdf.Term{}, rdf.Term{}, rdf.NewIRI(agent))) != 0 {
		t.Fatalf("module still named after uninstall")
	}
	if got := modesOf(g, p.root+"notes/", p.owner.WebID); !slices.Equal(got, []string{"Control", "Read", "Write"}) {
		t.Fatalf("owner's modes after uninstall %v", got)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// Who may ask: the pod's owner, authenticated by DPoP. Anonymous callers,
// a cookie without a token, a forged token and another person are
// refused; so is every malformed request (bad-input table).
func TestPlanRefusals(t *testing.T) {
	p := newPod(t, nil)
	ok := map[string]string{"pod": "alice", "manifest": indexerManifest("1.0.0", "")}
	send := func(agent *testissuer.Agent, method, ct, body string, header ...string) (int, string) {
		resp, b := ldptest.Send(t, agent, method, p.base+strings.TrimPrefix(PlanPath, "/"), ct, body, header...)
		return resp.StatusCode, b
	}
	okBody := mustJSON(ok)
	for _, tc := range []struct {
		name   string
		agent  *testissuer.Agent
		method string
		ct     string
		body   string
		header []string
		want   int
		reason string
	}{
		{"anonymous", nil, "POST", "application/json", okBody, nil, 401, "log in"},
		{"session cookie only (never authenticates)", nil, "POST", "application/json", okBody, []string{"Cookie", "session=alice"}, 401, "log in"},
		{"forged token", nil, "POST", "application/json", okBody, []string{"Authorization", "DPoP not.a.token", "DPoP", "x"}, 401, "log in"},
		{"another person", p.other, "POST", "application/json", okBody, nil, 403, "owner"},
		{"GET", p.owner, "GET", "", "", nil, 405, "POST"},
		{"form post", p.owner, "POST", "application/x-www-form-urlencoded", "pod=alice", nil, 415, "application/json"},
		{"not JSON", p.owner, "POST", "application/json", "{", nil, 400, "JSON"},
		{"unknown field", p.owner, "POST", "application/json", `{"pod":"alice","manifest":"{}","grant":"all"}`, nil, 400, "JSON"},
		{"neither", p.owner, "POST", "application/json", `{"pod":"alice"}`, nil, 400, "either"},
		{"both", p.owner, "POST", "application/json", `{"pod":"alice","manifest":"{}","uninstall":"x"}`, nil, 400, "either"},
		{"huge body", p.owner, "POST", "application/json", `{"pod":"alice","manifest":"` + strings.Repeat("x", maxPlanRequest) + `"}`, nil, 413, "larger"},
		{"no such pod", p.owner, "POST", "application/json", `{"pod":"bob","uninstall":"x"}`, nil, 403, "owner"},
		{"pod path traversal", p.owner, "POST", "application/json", `{"pod":"../alice","uninstall":"x"}`, nil, 403, "owner"},
		{"pod markup", p.owner, "POST", "application/json", `{"pod":"<script>alert(1)</script>","uninstall":"x"}`, nil, 403, "owner"},
		{"uninstall path traversal", p.owner, "POST", "application/json", `{"pod":"alice","uninstall":"../../x"}`, nil, 400, "name"},
		{"uninstall nothing installed", p.owner, "POST", "application/json", `{"pod":"alice","uninstall":"ghost"}`, nil, 404, "no module"},
		{"invalid manifest", p.owner, "POST", "application/json", mustJSON(map[string]string{"pod": "alice", "manifest": `{"name":"x"}`}), nil, 422, "version"},
		{"manifest with unknown field", p.owner, "POST", "application/json", mustJSON(map[string]string{"pod": "alice", "manifest": indexerManifest("1", `,"description":"<img src=x onerror=alert(1)>"`)}), nil, 422, "unknown field"},
		{"container of another pod", p.owner, "POST", "application/json", mustJSON(map[string]string{"pod": "alice", "manifest": strings.Replace(indexerManifest("1", ""), "../../index/", "../../../bob/", 1)}), nil, 422, "not a container of this pod"},
		{"non-https binary", p.owner, "POST", "application/json", mustJSON(map[string]string{"pod": "alice", "manifest": strings.Replace(indexerManifest("1", ""), "indexer.wasm", "http://example.org/i.wasm", 1)}), nil, 422, "https"},
		{"binary in another pod", p.owner, "POST", "application/json", mustJSON(map[string]string{"pod": "alice", "manifest": strings.Replace(indexerManifest("1", ""), "indexer.wasm", "../../../bob/i.wasm", 1)}), nil, 422, "same pod"},
		{"binary on a pod host of this server", p.owner, "POST", "application/json", mustJSON(map[string]string{"pod": "alice", "manifest": strings.Replace(indexerManifest("1", ""), "indexer.wasm", "https://bob."+strings.TrimSuffix(strings.TrimPrefix(p.base, "http://"), "/")+"/i.wasm", 1)}), nil, 422, "same pod"},
		{"binary with no fetch client", p.owner, "POST", "application/json", mustJSON(map[string]string{"pod": "alice", "manifest": strings.Replace(indexerManifest("1", ""), "indexer.wasm", "https://example.org/i.wasm", 1)}), nil, 422, "upload"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, b := send(tc.agent, tc.method, tc.ct, tc.body, tc.header...)
			if st != tc.want || !strings.Contains(b, tc.reason) {
				t.Fatalf("%d %s; want %d mentioning %q", st, b, tc.want, tc.reason)
			}
			if strings.Contains(b, "<") {
				t.Fatalf("answer carries markup: %s", b)
			}
		})
	}
}

// Markup in a manifest's version (allowed: no spaces) comes back in the
// plan JSON escaped, never as markup.
func TestPlanEscapesMarkup(t *testing.T) {
	p := newPod(t, nil)
	st, _, body := p.planAs(t, p.owner, map[string]string{"pod": "alice", "manifest": indexerManifest("<script>alert(1)</script>", "")})
	if st != 200 || strings.Contains(body, "<script>") || !strings.Contains(body, `\u003cscript\u003e`) {
		t.Fatalf("%d %s", st, body)
	}
}

// A binary named by an https URL is fetched and checked before the owner
// is asked (SECURITY rows 49, 50): the SSRF-safe client refuses a private
// address; a wrong SHA-256, an oversized binary and an error status are
// refused with a reason; a good one is sized.
func TestPlanFetchesBinary(t *testing.T) {
	good := []byte("\x00asm\x01\x00\x00\x00 a module")
	sum := sha256.Sum256(good)
	goodSum := hex.EncodeToString(sum[:])
	big := make([]byte, modules.MaxWasm+1)
	bigSum := sha256.Sum256(big)
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/good.wasm":
			_, _ = w.Write(good)
		case "/big.wasm":
			_, _ = w.Write(big)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(tls.Close)
	manifest := func(u, sum string) string {
		return mustJSON(map[string]string{"pod": "alice", "manifest": strings.Replace(strings.Replace(indexerManifest("1", ""), "indexer.wasm", u, 1), zeroSum, sum, 1)})
	}
	// The server's own client: every private address is refused at dial.
	safe := safehttp.New(safehttp.Options{Timeout: 5 * time.Second, MaxBody: modules.MaxWasm + 1}).HTTPClient()
	t.Run("private address", func(t *testing.T) {
		p := newPod(t, safe)
		resp, b := ldptest.Send(t, p.owner, "POST", p.base+strings.TrimPrefix(PlanPath, "/"), "application/json", manifest(tls.URL+"/good.wasm", goodSum))
		if resp.StatusCode != 422 || !strings.Contains(b, "forbidden") {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
	})
	// The rest with a client that trusts the test server's certificate
	// (the size and digest checks are the page's own).
	p := newPod(t, tls.Client())
	for _, tc := range []struct {
		name, path, sum string
		want            int
		reason          string
	}{
		{"good", "/good.wasm", goodSum, 200, `"size":` + itoa(len(good))},
		{"wrong sha256", "/good.wasm", zeroSum, 422, "has the SHA-256 " + goodSum},
		{"oversized", "/big.wasm", hex.EncodeToString(bigSum[:]), 422, "larger than 10 MiB"},
		{"missing", "/gone.wasm", goodSum, 422, "answered 404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := ldptest.Send(t, p.owner, "POST", p.base+strings.TrimPrefix(PlanPath, "/"), "application/json", manifest(tls.URL+tc.path, tc.sum))
			if resp.StatusCode != tc.want || !strings.Contains(b, tc.reason) {
				t.Fatalf("%d %s; want %d with %q", resp.StatusCode, b, tc.want, tc.reason)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
