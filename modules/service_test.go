package modules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
)

const (
	svcBase     = "https://pod.example/"
	svcOwner    = "https://pod.example/alice/profile/card#me"
	svcHelper   = "https://pod.example/bob/profile/card#me"
	svcManifest = "/alice/settings/modules/guest.json"
)

// svcPod is a pod /alice/ over a real store, served by an LDP handler
// whose guard is a module Service.
type svcPod struct {
	t   testing.TB
	st  *badgerstore.Store
	h   *ldp.Handler
	svc *Service
}

func podOf(p string) (string, string, bool) {
	if strings.HasPrefix(p, "/alice/") {
		return "/alice/", svcOwner, true
	}
	return "", "", false
}

// openSvcPod opens (or reopens, with the same store) the pod's handler
// and module service.
func openSvcPod(t testing.TB) (*svcPod, func() *svcPod) {
	t.Helper()
	st, res := ldptest.OpenStore(t, svcBase, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	ldptest.WriteACL(t, st, svcBase, "/.acl", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <`+svcOwner+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .`)
	cache := sharedCache
	open := func() *svcPod {
		records, err := st.KV(kv.Modules)
		if err != nil {
			t.Fatal(err)
		}
		svc, err := New(Config{Store: st, Records: records, CacheDir: cache, PodOf: podOf})
		if err != nil {
			t.Fatal(err)
		}
		h, err := ldp.NewHandler(st, ldp.Config{BaseURL: svcBase, ACL: res, NewGuard: svc.GuardFor})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.Close)
		t.Cleanup(func() { svc.Close(context.Background()) })
		if err := svc.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		return &svcPod{t: t, st: st, h: h, svc: svc}
	}
	return open(), open
}

func (p *svcPod) as(webid, method, path, ct string, body []byte) *httptest.ResponseRecorder {
	p.t.Helper()
	r := httptest.NewRequest(method, svcBase+strings.TrimPrefix(path, "/"), strings.NewReader(string(body)))
	r = r.WithContext(auth.WithAgent(r.Context(), auth.Agent{WebID: webid}))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	w := httptest.NewRecorder()
	p.h.ServeHTTP(w, r)
	return w
}

func (p *svcPod) must(webid, method, path, ct string, body []byte, want int) {
	p.t.Helper()
	if w := p.as(webid, method, path, ct, body); w.Code != want {
		p.t.Fatalf("%s %s: %d %s, want %d", method, path, w.Code, w.Body, want)
	}
}

// feed hands every change in the log to the installer, as the
// change-log feed does.
func (p *svcPod) feed() {
	p.t.Helper()
	cs, err := p.st.Changes(context.Background(), 0, 100000)
	if err != nil {
		p.t.Fatal(err)
	}
	if err := p.svc.Installer().Handle(context.Background(), cs); err != nil {
		p.t.Fatal(err)
	}
}

func (p *svcPod) echo(path, in string) (string, error) {
	p.svc.mu.RLock()
	m := p.svc.modules[path]
	p.svc.mu.RUnlock()
	if m == nil || m.prog == nil {
		return "", errNotRunning
	}
	out, err := m.call(context.Background(), "echo", []byte(in))
	return string(out), err
}

var errNotRunning = &CallError{Kind: "not running"}

func guestManifestJSON(bin []byte, version string, extra string) []byte {
	sum := sha256.Sum256(bin)
	return []byte(`{"name":"guest","version":"` + version + `","wasm":{"url":"guest.wasm","sha256":"` + hex.EncodeToString(sum[:]) + `"},
		"reactors":[{"export":"echo","container":"../../notes/"}],"config":{"suffix":"` + version + `"}` + extra + `}`)
}

// Installing is writing a manifest: a valid one runs when the write is
// acknowledged; replacing it upgrades; deleting it uninstalls; it
// survives a restart (from kv.Modules and the compilation cache); one
// stored without starting (a crash between commit and start) is started
// from the change log.
func TestInstallUpgradeUninstallRestart(t *testing.T) {
	p, reopen := openSvcPod(t)
	bin := guestWasm(t)
	p.must(svcOwner, "PUT", "/alice/settings/modules/guest.wasm", "application/wasm", bin, http.StatusCreated)
	p.must(svcOwner, "PUT", svcManifest, "application/json", guestManifestJSON(bin, "1", ""), http.StatusCreated)
	if out, err := p.echo(svcManifest, "v"); err != nil || out != "v1" {
		t.Fatalf("after install: %q, %v", out, err)
	}
	if st, ok := p.svc.Status(svcManifest); !ok || st.State != StateRunning || st.Calls != 1 {
		t.Fatalf("status %+v", st)
	}
	p.must(svcOwner, "PUT", svcManifest, "application/json", guestManifestJSON(bin, "2", ""), http.StatusNoContent)
	if out, err := p.echo(svcManifest, "v"); err != nil || out != "v2" {
		t.Fatalf("after upgrade: %q, %v", out, err)
	}
	p.feed() // the feed sees the versions already running: nothing changes
	if out, _ := p.echo(svcManifest, "v"); out != "v2" {
		t.Fatalf("after the feed: %q", out)
	}

	// Restart: the module runs again without a write.
	p.svc.Close(context.Background())
	p = reopen()
	if out, err := p.echo(svcManifest, "v"); err != nil || out != "v2" {
		t.Fatalf("after restart: %q, %v", out, err)
	}

	// Uninstall.
	p.must(svcOwner, "DELETE", svcManifest, "", nil, http.StatusNoContent)
	p.feed()
	if _, ok := p.svc.Status(svcManifest); ok {
		t.Fatal("still installed after its manifest was deleted")
	}
	if _, err := p.svc.cfg.Records.Get(context.Background(), keyWasm+hex.EncodeToString(sha(bin))); err == nil {
		t.Error("the binary of the last module naming it is still recorded")
	}

	// A manifest stored without starting (written straight to the store,
	// as a crash after the commit leaves it) starts from the change log.
	if _, _, err := p.st.Put(context.Background(), ldp.PutRequest{Path: svcManifest, ContentType: "application/json",
		Body: strings.NewReader(string(guestManifestJSON(bin, "3", "")))}); err != nil {
		t.Fatal(err)
	}
	p.feed()
	if out, err := p.echo(svcManifest, "v"); err != nil || out != "v3" {
		t.Fatalf("from the change log: %q, %v", out, err)
	}
}

func sha(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// A manifest or binary that is not valid is refused with 422 and a reason
// a person can act on, and nothing is stored; whoever may not write the
// module container may not install.
func TestInstallRefusals(t *testing.T) {
	p, _ := openSvcPod(t)
	bin := guestWasm(t)
	p.must(svcOwner, "PUT", "/alice/settings/modules/guest.wasm", "application/wasm", bin, http.StatusCreated)
	// Bob may write the module container but not read what is in it.
	p.must(svcOwner, "PUT", "/alice/settings/modules/.acl", "text/turtle", []byte(`@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <`+svcOwner+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#bob> a acl:Authorization ; acl:agent <`+svcHelper+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Write .`), http.StatusCreated)
	other := sha256.Sum256([]byte("other"))
	for _, tc := range []struct {
		name   string
		webid  string
		body   []byte
		want   int
		reason string
	}{
		{"not JSON", svcOwner, []byte("{"), 422, "cut short"},
		{"unknown field", svcOwner, guestManifestJSON(bin, "1", `,"permissions":"all"`), 422, `unknown field "permissions"`},
		{"digest differs", svcOwner, []byte(strings.Replace(string(guestManifestJSON(bin, "1", "")), hex.EncodeToString(sha(bin)), hex.EncodeToString(other[:]), 1)), 422, "SHA-256 is"},
		{"binary missing", svcOwner, []byte(strings.Replace(string(guestManifestJSON(bin, "1", "")), "guest.wasm", "nothing.wasm", 1)), 422, "cannot be read by you (404)"},
		{"binary in another pod", svcOwner, []byte(strings.Replace(string(guestManifestJSON(bin, "1", "")), "guest.wasm", "/bob/x.wasm", 1)), 422, "same pod"},
		{"https binary with no fetcher", svcOwner, []byte(strings.Replace(string(guestManifestJSON(bin, "1", "")), "guest.wasm", "https://cdn.example/x.wasm", 1)), 422, "upload the .wasm"},
		{"export missing", svcOwner, []byte(strings.Replace(string(guestManifestJSON(bin, "1", "")), `"export":"echo"`, `"export":"on_delete"`, 1)), 422, `exports no function "on_delete"`},
		{"installer cannot read the binary", svcHelper, guestManifestJSON(bin, "1", ""), 422, "cannot be read by you (403)"},
		{"stranger", "https://eve.example/#me", guestManifestJSON(bin, "1", ""), 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := p.as(tc.webid, "PUT", svcManifest, "application/json", tc.body)
			if w.Code != tc.want || !strings.Contains(w.Body.String(), tc.reason) {
				t.Fatalf("%d %q; want %d with %q", w.Code, w.Body, tc.want, tc.reason)
			}
			if w := p.as(svcOwner, "GET", svcManifest, "", nil); w.Code != http.StatusNotFound {
				t.Fatalf("refused manifest stored: %d", w.Code)
			}
			if _, ok := p.svc.Status(svcManifest); ok {
				t.Fatal("refused module installed")
			}
		})
	}
	// Files beside the manifest that are not JSON are not manifests.
	p.must(svcOwner, "PUT", "/alice/settings/modules/README.txt", "text/plain", []byte("notes"), http.StatusCreated)
}

// Validators run before the commit of an RDF document they cover and
// may Read: a refusal is 422 with the module's reason, a trap or a
// timeout 503, and nothing is stored; documents the module may not read,
// or outside its container, are not put to it.
func TestValidators(t *testing.T) {
	p, _ := openSvcPod(t)
	bin := guestWasm(t)
	p.must(svcOwner, "PUT", "/alice/notes/", "", nil, http.StatusCreated)
	p.must(svcOwner, "PUT", "/alice/hidden/", "", nil, http.StatusCreated)
	p.must(svcOwner, "PUT", "/alice/settings/modules/guest.wasm", "application/wasm", bin, http.StatusCreated)
	manifest := []byte(`{"name":"guard","version":"1","wasm":{"url":"guest.wasm","sha256":"` + hex.EncodeToString(sha(bin)) + `"},
		"validators":[{"export":"validate","container":"../../","contentTypes":["text/turtle"]}],"limits":{"timeoutMs":500}}`)
	p.must(svcOwner, "PUT", svcManifest, "application/json", manifest, http.StatusCreated)
	// The module may read notes/ (and what is below it), not hidden/.
	p.must(svcOwner, "PUT", "/alice/notes/.acl", "text/turtle", []byte(`@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <`+svcOwner+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#module> a acl:Authorization ; acl:agent <`+svcBase+`alice/settings/modules/guest.json#module> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .`), http.StatusCreated)
	doc := func(word string) []byte { return []byte(`<#it> <http://example.org/says> "` + word + `" .`) }
	for _, tc := range []struct {
		name, method, path, ct string
		body                   []byte
		want                   int
		reason                 string
	}{
		{"allowed", "PUT", "/alice/notes/a.ttl", "text/turtle", doc("hello"), 201, ""},
		{"refused with the module's reason", "PUT", "/alice/notes/b.ttl", "text/turtle", doc("forbidden"), 422, "module guard: forbidden is not allowed here"},
		{"refused in a subfolder too", "PUT", "/alice/notes/deep/c.ttl", "text/turtle", doc("forbidden"), 422, "forbidden"},
		{"refused patch", "PATCH", "/alice/notes/a.ttl", "text/n3", []byte(`@prefix solid: <http://www.w3.org/ns/solid/terms#>. _:p a solid:InsertDeletePatch; solid:inserts { <#it> <http://example.org/says> "forbidden" . }.`), 422, "forbidden"},
		{"refused post", "POST", "/alice/notes/", "text/turtle", doc("forbidden"), 422, "forbidden"},
		{"JSON-LD is stored as Turtle and validated", "PUT", "/alice/notes/j.ttl", "application/ld+json", []byte(`{"@id":"#it","http://example.org/says":"forbidden"}`), 422, "forbidden"},
		{"a trap refuses with 503", "PUT", "/alice/notes/d.ttl", "text/turtle", doc("crash"), 503, ""},
		{"a timeout refuses with 503", "PUT", "/alice/notes/e.ttl", "text/turtle", doc("spin"), 503, ""},
		{"not RDF: not validated", "PUT", "/alice/notes/f.txt", "text/plain", []byte("forbidden"), 201, ""},
		{"unreadable by the module: not validated", "PUT", "/alice/hidden/g.ttl", "text/turtle", doc("forbidden"), 201, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := p.as(svcOwner, tc.method, tc.path, tc.ct, tc.body)
			if w.Code != tc.want || !strings.Contains(w.Body.String(), tc.reason) {
				t.Fatalf("%d %q; want %d with %q", w.Code, w.Body, tc.want, tc.reason)
			}
			if tc.want >= 400 {
				if g := p.as(svcOwner, "GET", tc.path, "", nil); strings.Contains(g.Body.String(), "forbidden") || strings.Contains(g.Body.String(), "crash") {
					t.Fatalf("refused write stored: %q", g.Body)
				}
			}
		})
	}
	st, _ := p.svc.Status(svcManifest)
	if st.Failures < 2 {
		t.Errorf("status %+v: the trap and the timeout are failures", st)
	}
}

// The status endpoint: readable as the manifest is (401 anonymous, 403
// for another agent, the same whether a module is installed there or
// not), GET and HEAD only, and odd paths are 404, never another
// module's status.
func TestStatusEndpointBadInput(t *testing.T) {
	p, _ := openSvcPod(t)
	bin := guestWasm(t)
	p.must(svcOwner, "PUT", "/alice/settings/modules/guest.wasm", "application/wasm", bin, http.StatusCreated)
	p.must(svcOwner, "PUT", svcManifest, "application/json", guestManifestJSON(bin, "1", ""), http.StatusCreated)
	get := func(webid, method, path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, svcBase+strings.TrimPrefix(path, "/"), nil)
		if webid != "" {
			r = r.WithContext(auth.WithAgent(r.Context(), auth.Agent{WebID: webid}))
		}
		w := httptest.NewRecorder()
		p.svc.ServeHTTP(w, r)
		return w
	}
	st := StatusPrefix + svcManifest
	for _, tc := range []struct {
		name, webid, method, path string
		want                      int
	}{
		{"owner", svcOwner, "GET", st, 200},
		{"owner HEAD", svcOwner, "HEAD", st, 200},
		{"anonymous", "", "GET", st, 401},
		{"another agent", svcHelper, "GET", st, 403},
		{"another agent, nothing installed", svcHelper, "GET", StatusPrefix + "/alice/settings/modules/none.json", 403},
		{"owner, nothing installed", svcOwner, "GET", StatusPrefix + "/alice/settings/modules/none.json", 404},
		{"POST", svcOwner, "POST", st, 405},
		{"DELETE", svcOwner, "DELETE", st, 405},
		{"the prefix alone", svcOwner, "GET", StatusPrefix, 404},
		{"dot segments", svcOwner, "GET", StatusPrefix + "/alice/settings/modules/x/../guest.json", 404},
		{"encoded slash", svcOwner, "GET", StatusPrefix + "/alice/settings%2Fmodules/guest.json", 404},
		{"trailing slash", svcOwner, "GET", st + "/", 404},
		{"huge path", svcOwner, "GET", StatusPrefix + "/" + strings.Repeat("a/", 4000), 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := get(tc.webid, tc.method, tc.path)
			if w.Code != tc.want {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, w.Code, w.Body, tc.want)
			}
			if tc.want == 200 && tc.method == "GET" && !strings.Contains(w.Body.String(), `"state":"running"`) {
				t.Fatalf("body %s", w.Body)
			}
		})
	}
}
