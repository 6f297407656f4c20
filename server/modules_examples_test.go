package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testdeps"
	"github.com/naamio/naamio/internal/testissuer"
	"github.com/naamio/naamio/modules"
)

// The example modules of the author's guide (docs/modules.md) are built
// here from their sources, once per test binary, with the tool chain the
// guide tells an author to use, and run for real in a server: uploaded,
// installed by a manifest, granted by an ACL (issue 13, item 2).

type exampleBuild struct {
	once sync.Once
	bin  []byte
	err  error
}

var (
	indexerBuild   exampleBuild
	validatorBuild exampleBuild
)

// indexerWasm builds modules/examples/indexer (Go, go-pdk) for wasip1,
// as the guide does.
func indexerWasm(t testing.TB) []byte {
	t.Helper()
	indexerBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "naamio-indexer-")
		if err != nil {
			indexerBuild.err = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "indexer.wasm")
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, ".")
		cmd.Dir = filepath.Join("..", "modules", "examples", "indexer")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOFLAGS=")
		if b, err := cmd.CombinedOutput(); err != nil {
			indexerBuild.err = errors.New("building modules/examples/indexer: " + err.Error() + "\n" + string(b))
			return
		}
		indexerBuild.bin, indexerBuild.err = os.ReadFile(out)
	})
	if indexerBuild.err != nil {
		t.Fatal(indexerBuild.err)
	}
	return indexerBuild.bin
}

// eventValidatorWasm builds modules/examples/event-validator
// (AssemblyScript, @extism/as-pdk) with its own "npm run build", in a
// copy whose node_modules links to the locked packages Command installs;
// without node or those packages it skips (or fails when Node is required).
func eventValidatorWasm(t testing.TB) []byte {
	t.Helper()
	if _, err := exec.LookPath("npm"); err != nil {
		testdeps.Missing(t, testdeps.Node, "npm is not installed (Debian package npm); "+testdeps.Command+" installs it and runs every test")
	}
	mods := testdeps.NodeModules(t, "..", testdeps.EventValidator)
	validatorBuild.once.Do(func() {
		validatorBuild.bin, validatorBuild.err = buildEventValidator(mods)
	})
	if validatorBuild.err != nil {
		t.Fatal(validatorBuild.err)
	}
	return validatorBuild.bin
}

func buildEventValidator(mods string) ([]byte, error) {
	src := filepath.Join("..", filepath.FromSlash(testdeps.EventValidator.Dir))
	dir, err := os.MkdirTemp("", "naamio-event-validator-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	for _, f := range []string{"package.json", "package-lock.json", "assembly/index.ts"} {
		b, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(f)))
		if err != nil {
			return nil, err
		}
		dst := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return nil, err
		}
	}
	if err := os.Symlink(mods, filepath.Join(dir, "node_modules")); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "run", "build")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, errors.New("building modules/examples/event-validator: " + err.Error() + "\n" + string(b))
	}
	return os.ReadFile(filepath.Join(dir, "build", "event-validator.wasm"))
}

// podClient is the owner of the pod "alice" of a running server, talking
// to it over HTTP with a DPoP-bound token.
type podClient struct {
	t      testing.TB
	base   string
	access string
	key    *testissuer.Key
}

func newPodClient(t testing.TB) (*Server, *podClient) {
	s, base := serveAccounts(t, "alice")
	bg := startWorkers(context.Background(), s.workers...) // the feed, the reactors
	t.Cleanup(bg.stop)
	id, secret, key := scriptCredentials(t, s, "alice@example.org")
	st, access := tokenRequest(t, base, id, secret, key)
	if st != 200 {
		t.Fatalf("token: %d", st)
	}
	return s, &podClient{t: t, base: base, access: access, key: key}
}

// do sends a request (headers in pairs) and returns the status, the
// response headers and the body.
func (c *podClient) do(method, path, body string, headers ...string) (int, http.Header, string) {
	c.t.Helper()
	u := c.base + strings.TrimPrefix(path, "/")
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	proof, err := c.key.Proof(method, u, c.access, time.Now())
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "DPoP "+c.access)
	req.Header.Set("DPoP", proof)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// must sends a request and fails the test unless it gets want.
func (c *podClient) must(want int, method, path, body string, headers ...string) string {
	c.t.Helper()
	st, _, b := c.do(method, path, body, headers...)
	if st != want {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, st, want, b)
	}
	return b
}

// install uploads bin beside the manifest at settings/modules/<name>.json
// and writes the manifest (manifest JSON with WASM_SHA256 replaced by
// the binary's digest, as sha256sum prints it); it returns the module's
// agent.
func (c *podClient) install(name string, bin []byte, manifest string) string {
	c.t.Helper()
	sum := sha256.Sum256(bin)
	c.must(http.StatusCreated, "PUT", "/alice/settings/modules/"+name+".wasm", string(bin), "Content-Type", "application/wasm")
	c.must(http.StatusCreated, "PUT", "/alice/settings/modules/"+name+".json",
		strings.ReplaceAll(manifest, "WASM_SHA256", hex.EncodeToString(sum[:])), "Content-Type", "application/json")
	return c.base + "alice/settings/modules/" + name + ".json#module"
}

// grant writes the ACL of container (a path ending in /): the owner
// keeps everything, the module's agent gets modes on it and below.
func (c *podClient) grant(container, agent, modes string) {
	c.t.Helper()
	c.must(http.StatusCreated, "PUT", container+".acl", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <`+c.base+`alice/profile/card#me> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#module> a acl:Authorization ; acl:agent <`+agent+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode `+modes+` .`, "Content-Type", "text/turtle")
}

// status reads the status document the manifest links to.
func (c *podClient) status(manifest string) modules.Status {
	c.t.Helper()
	_, h, _ := c.do("HEAD", manifest, "")
	var u string
	for _, l := range h.Values("Link") {
		for _, part := range strings.Split(l, ",") {
			if strings.Contains(part, `rel="`+modules.RelStatus+`"`) {
				u = strings.Trim(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]), "<>")
			}
		}
	}
	if !strings.HasPrefix(u, c.base) {
		c.t.Fatalf("no status link on %s: %v", manifest, h.Values("Link"))
	}
	st, _, b := c.do("GET", strings.TrimPrefix(u, c.base), "")
	var out modules.Status
	if st != 200 || json.Unmarshal([]byte(b), &out) != nil {
		c.t.Fatalf("status %s: %d %s", u, st, b)
	}
	return out
}

// ntriples reads a document as N-Triples, its lines sorted (nil: 404).
func (c *podClient) ntriples(path string) []string {
	c.t.Helper()
	st, _, b := c.do("GET", path, "", "Accept", "application/n-triples")
	if st == http.StatusNotFound {
		return nil
	}
	if st != 200 {
		c.t.Fatalf("GET %s: %d %s", path, st, b)
	}
	var lines []string
	for _, l := range strings.Split(b, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	slices.Sort(lines)
	return lines
}

// The Go example: index/titles.ttl follows the titles of the Turtle
// documents in notes/ — created, updated, deleted — written by the module
// as its own agent, through the grants of ordinary ACLs.
func TestModuleExampleIndexer(t *testing.T) {
	bin := indexerWasm(t)
	_, c := newPodClient(t)
	const title = "<http://purl.org/dc/terms/title>"
	notes, index := c.base+"alice/notes/", c.base+"alice/index/titles.ttl"
	c.must(http.StatusCreated, "PUT", "/alice/notes/", "")
	c.must(http.StatusCreated, "PUT", "/alice/index/", "")
	agent := c.base + "alice/settings/modules/indexer.json#module"
	c.grant("/alice/notes/", agent, "acl:Read")
	c.grant("/alice/index/", agent, "acl:Read, acl:Write")
	c.install("indexer", bin, `{"name": "indexer", "version": "1.0.0",
		"wasm": {"url": "indexer.wasm", "sha256": "WASM_SHA256"},
		"reactors": [{"export": "on_change", "container": "../../notes/", "contentTypes": ["text/turtle"]}],
		"config": {"index": "`+index+`"},
		"limits": {"timeoutMs": 10000}}`) // the longest: a loaded CI machine runs -race

	turtle := []string{"Content-Type", "text/turtle"}
	c.must(http.StatusCreated, "PUT", "/alice/notes/a.ttl", `<> <http://purl.org/dc/terms/title> "First" .`, turtle...)
	c.must(http.StatusCreated, "PUT", "/alice/notes/b.ttl", `<#it> <http://purl.org/dc/terms/title> "Zweite"@de, "Second"@en ; <urn:ex:n> 2 .`, turtle...)
	c.must(http.StatusCreated, "PUT", "/alice/notes/c.ttl", `<#it> <urn:ex:n> 3 .`, turtle...)
	c.must(http.StatusCreated, "PUT", "/alice/notes/d.txt", `no title`, "Content-Type", "text/plain")
	waitIndex := func(want ...string) {
		t.Helper()
		slices.Sort(want)
		deadline := time.Now().Add(60 * time.Second)
		for {
			got := c.ntriples("/alice/index/titles.ttl")
			if slices.Equal(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("index:\n%s\nwant:\n%s\nmodule status: %+v", strings.Join(got, "\n"), strings.Join(want, "\n"), c.status("/alice/settings/modules/indexer.json"))
			}
			time.Sleep(25 * time.Millisecond)
		}
	}
	entry := func(doc, lit string) string { return "<" + notes + doc + "> " + title + " " + lit + " ." }
	waitIndex(entry("a.ttl", `"First"`), entry("b.ttl", `"Second"@en`), entry("b.ttl", `"Zweite"@de`))

	// An update replaces the document's entries; a patch is an update too.
	c.must(http.StatusNoContent, "PUT", "/alice/notes/a.ttl", `<> <http://purl.org/dc/terms/title> "First, \"revised\"" .`, turtle...)
	c.must(http.StatusNoContent, "PATCH", "/alice/notes/c.ttl", `@prefix solid: <http://www.w3.org/ns/solid/terms#>.
_:p a solid:InsertDeletePatch; solid:inserts { <c.ttl> <http://purl.org/dc/terms/title> "Third" . }.`, "Content-Type", "text/n3")
	// A delete removes them.
	c.must(http.StatusNoContent, "DELETE", "/alice/notes/b.ttl", "")
	waitIndex(entry("a.ttl", `"First, \"revised\""`), entry("c.ttl", `"Third"`))

	st := c.status("/alice/settings/modules/indexer.json")
	if st.State != modules.StateRunning || st.Failures != 0 || st.DeadLetters != 0 || st.Calls < 6 {
		t.Fatalf("module status: %+v", st)
	}
}

// The AssemblyScript example: a write of a document with a schema:Event
// that has no schema:startDate is refused with 422 and the module's
// reason, and nothing is stored; one with a start date is stored.
func TestModuleExampleEventValidator(t *testing.T) {
	bin := eventValidatorWasm(t)
	_, c := newPodClient(t)
	c.must(http.StatusCreated, "PUT", "/alice/events/", "")
	agent := c.base + "alice/settings/modules/events.json#module"
	c.grant("/alice/events/", agent, "acl:Read")
	c.install("events", bin, `{"name": "event-validator", "version": "1.0.0",
		"wasm": {"url": "events.wasm", "sha256": "WASM_SHA256"},
		"validators": [{"export": "validate", "container": "../../events/", "contentTypes": ["text/turtle"]}],
		"limits": {"timeoutMs": 10000}}`)

	turtle := []string{"Content-Type", "text/turtle"}
	const prefixes = "@prefix schema: <http://schema.org/> . @prefix s: <https://schema.org/> .\n"
	for _, c2 := range []struct {
		name, doc, body string
		want            int
		reason          string // in the 422 body
	}{
		{"event without startDate", "launch.ttl", `<#it> a schema:Event ; schema:name "Launch \"day\" ✓" .`, 422,
			"module event-validator: a schema:Event needs a schema:startDate; <" + c.base + "alice/events/launch.ttl#it> has none"},
		{"https schema.org event without startDate", "launch.ttl", `<#it> a s:Event ; s:name "Launch" .`, 422, "<" + c.base + "alice/events/launch.ttl#it> has none"},
		{"one of two events without startDate", "two.ttl", `<#a> a schema:Event ; schema:startDate "2026-12-24" . [] a schema:Event .`, 422, "_:"},
		{"event with startDate", "launch.ttl", `<#it> a schema:Event ; schema:startDate "2026-12-24T18:00:00Z" .`, 201, ""},
		{"https event with startDate", "other.ttl", `<#it> a s:Event ; s:startDate "2026-12-24" .`, 201, ""},
		{"no event", "note.ttl", `<#it> schema:name "not an event" .`, 201, ""},
	} {
		st, _, body := c.do("PUT", "/alice/events/"+c2.doc, prefixes+c2.body, turtle...)
		if st != c2.want || !strings.Contains(body, c2.reason) {
			t.Errorf("%s: %d %q, want %d with %q", c2.name, st, body, c2.want, c2.reason)
		}
		if c2.want == 422 {
			if got := c.ntriples("/alice/events/" + c2.doc); got != nil {
				t.Errorf("%s: refused but stored: %v", c2.name, got)
			}
		}
	}
	// Nothing of the refused versions was stored: launch.ttl holds the
	// accepted one.
	if got := strings.Join(c.ntriples("/alice/events/launch.ttl"), "\n"); !strings.Contains(got, "startDate") {
		t.Errorf("launch.ttl: %s", got)
	}
	// A PATCH that takes the start date away is refused too (the
	// validator sees the document as it would be).
	c.must(http.StatusUnprocessableEntity, "PATCH", "/alice/events/launch.ttl", `@prefix solid: <http://www.w3.org/ns/solid/terms#>.
_:p a solid:InsertDeletePatch; solid:deletes { <launch.ttl#it> <http://schema.org/startDate> "2026-12-24T18:00:00Z" . }.`, "Content-Type", "text/n3")
	st := c.status("/alice/settings/modules/events.json")
	if st.State != modules.StateRunning || st.Failures != 0 || st.Calls != 7 {
		t.Fatalf("module status: %+v", st)
	}
}
