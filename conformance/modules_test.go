package conformance

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Wasm modules against the real server process (issue 13): a single-owner
// server installs its modules in /settings/modules/. The modules are the
// WebAssembly test fixtures of modules/testdata (their text is beside
// them).

// fixtureWasm reads modules/testdata/<name>.wasm from the repository.
func fixtureWasm(t *testing.T, name string) []byte {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "modules", "testdata", name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// moduleAgentACL gives the owner everything on container and the module
// agent of the manifest at manifestPath Read on it.
func moduleAgentACL(manifestPath string) string {
	return `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <` + owner.WebID + `> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#module> a acl:Authorization ; acl:agent <` + srv.url(manifestPath) + `#module> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .`
}

func TestModules(t *testing.T) {
	uniq := strings.ReplaceAll(t.Name(), "/", "-")
	ttl := []string{"Content-Type", "text/turtle"}

	requirement(t, "module-install-status", func(t *testing.T) {
		bin := fixtureWasm(t, "reactor")
		srv.put(t, "/settings/modules/"+uniq+".wasm", "application/wasm", bin)
		manifest := `{"name":"r","version":"1","wasm":{"url":"` + uniq + `.wasm","sha256":"` + sha256Hex(bin) + `"},
			"reactors":[{"export":"on_change","container":"../../"}]}`
		mp := "/settings/modules/" + uniq + ".json"
		srv.put(t, mp, "application/json", []byte(manifest))
		r := srv.do(t, http.MethodGet, mp, nil)
		var status string
		for _, l := range r.Header.Values("Link") {
			for _, part := range strings.Split(l, ",") {
				if strings.Contains(part, `rel="https://naamio.org/ns#moduleStatus"`) {
					status = strings.Trim(strings.TrimSpace(strings.Split(part, ";")[0]), "<>")
				}
			}
		}
		if status == "" {
			t.Fatalf("no moduleStatus link: %v", r.Header.Values("Link"))
		}
		st := srv.do(t, http.MethodGet, status, nil)
		var doc struct{ State string }
		if st.StatusCode != http.StatusOK || json.Unmarshal(st.body, &doc) != nil || doc.State != "running" {
			t.Fatalf("status: %s", st)
		}
		if a := srv.doAs(t, nil, http.MethodGet, status, nil); a.StatusCode != http.StatusUnauthorized {
			t.Fatalf("anonymous status: %s", a)
		}
		srv.do(t, http.MethodDelete, mp, nil)
	})

	// SECURITY row 45: a validator that never returns is stopped at its
	// timeout; the write is refused (503) and the server keeps serving.
	requirement(t, "security-row-45-module-loops", func(t *testing.T) {
		bin := fixtureWasm(t, "loop")
		c := "/" + uniq + "-45/"
		mp := "/settings/modules/" + uniq + "-45.json"
		srv.put(t, c, "text/turtle", nil)
		srv.put(t, c+".acl", "text/turtle", []byte(moduleAgentACL(mp)))
		srv.put(t, "/settings/modules/"+uniq+"-loop.wasm", "application/wasm", bin)
		srv.put(t, mp, "application/json", []byte(`{"name":"loop","version":"1","wasm":{"url":"`+uniq+`-loop.wasm","sha256":"`+sha256Hex(bin)+`"},
			"validators":[{"export":"validate","container":"../../`+strings.Trim(c, "/")+`/"}],"limits":{"timeoutMs":300}}`))
		start := time.Now()
		r := srv.do(t, http.MethodPut, c+"doc.ttl", []byte(`<#a> <urn:ex:p> 1 .`), ttl...)
		if r.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("write through a looping validator: %s", r)
		}
		t.Logf("refused after %v", time.Since(start).Round(time.Millisecond))
		if g := srv.do(t, http.MethodGet, c+"doc.ttl", nil); g.StatusCode != http.StatusNotFound {
			t.Fatalf("refused write stored: %s", g)
		}
		if h := srv.doAs(t, nil, http.MethodGet, "/.naamio/health", nil); h.StatusCode != http.StatusOK {
			t.Fatalf("health: %s", h)
		}
		srv.put(t, "/"+uniq+"-45-elsewhere.ttl", "text/turtle", []byte(`<#a> <urn:ex:p> 1 .`))
		srv.do(t, http.MethodDelete, mp, nil)
	})

	// SECURITY row 46: a validator that grows its memory without end is
	// trapped at its cap; the write is refused and the server serves on.
	requirement(t, "security-row-46-module-memory", func(t *testing.T) {
		bin := fixtureWasm(t, "grow")
		c := "/" + uniq + "-46/"
		mp := "/settings/modules/" + uniq + "-46.json"
		srv.put(t, c, "text/turtle", nil)
		srv.put(t, c+".acl", "text/turtle", []byte(moduleAgentACL(mp)))
		srv.put(t, "/settings/modules/"+uniq+"-grow.wasm", "application/wasm", bin)
		srv.put(t, mp, "application/json", []byte(`{"name":"grow","version":"1","wasm":{"url":"`+uniq+`-grow.wasm","sha256":"`+sha256Hex(bin)+`"},
			"validators":[{"export":"validate","container":"../../`+strings.Trim(c, "/")+`/"}],"limits":{"memoryMiB":2,"timeoutMs":10000}}`))
		if r := srv.do(t, http.MethodPut, c+"doc.ttl", []byte(`<#a> <urn:ex:p> 1 .`), ttl...); r.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("write through a growing validator: %s", r)
		}
		if h := srv.doAs(t, nil, http.MethodGet, "/.naamio/health", nil); h.StatusCode != http.StatusOK {
			t.Fatalf("health: %s", h)
		}
		srv.do(t, http.MethodDelete, mp, nil)
	})

	// SECURITY row 49: a huge module, a wrong sha256, imports the host does
	// not offer: refused at install (422 with the reason), nothing stored.
	requirement(t, "security-row-49-refused-at-install", func(t *testing.T) {
		good := fixtureWasm(t, "reactor")
		foreign := fixtureWasm(t, "foreign_import")
		huge := make([]byte, 11<<20)
		copy(huge, good)
		srv.put(t, "/settings/modules/"+uniq+"-good.wasm", "application/wasm", good)
		srv.put(t, "/settings/modules/"+uniq+"-foreign.wasm", "application/wasm", foreign)
		srv.put(t, "/settings/modules/"+uniq+"-huge.wasm", "application/wasm", huge)
		manifest := func(file, sum string) []byte {
			return []byte(`{"name":"m","version":"1","wasm":{"url":"` + uniq + `-` + file + `.wasm","sha256":"` + sum + `"},
				"reactors":[{"export":"on_change","container":"../../"}]}`)
		}
		for _, tc := range []struct{ name, file, sum, reason string }{
			{"wrong sha256", "good", sha256Hex([]byte("other")), "SHA-256"},
			{"import not offered", "foreign", sha256Hex(foreign), "imports system"},
			{"over 10 MiB", "huge", sha256Hex(huge), "larger than 10 MiB"},
		} {
			mp := "/settings/modules/" + uniq + "-49.json"
			r := srv.do(t, http.MethodPut, mp, manifest(tc.file, tc.sum), "Content-Type", "application/json")
			if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), tc.reason) {
				t.Fatalf("%s: %s", tc.name, r)
			}
			if g := srv.do(t, http.MethodGet, mp, nil); g.StatusCode != http.StatusNotFound {
				t.Fatalf("%s: refused manifest stored: %s", tc.name, g)
			}
		}
	})
}
