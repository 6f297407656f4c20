package modules

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const self = "https://pod.example/alice/settings/modules/counter.json"

const sum = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// The manifest of the contract parses, with IRIs resolved against
// the manifest and defaults filled in.
func TestParseManifestContractExample(t *testing.T) {
	m, err := ParseManifest([]byte(`{"name": "counter", "version": "1.0.0",
	 "wasm": {"url": "counter.wasm", "sha256": "`+sum+`"},
	 "reactors":   [{"export": "on_change", "container": "../../notes/", "recursive": true,
	                 "types": ["Create", "Update", "Delete"], "contentTypes": ["text/turtle"]}],
	 "validators": [{"export": "validate", "container": "../../notes/", "contentTypes": ["text/turtle"]}],
	 "allowedHosts": ["api.example.org"], "config": {"k": "v"},
	 "limits": {"timeoutMs": 1000, "memoryMiB": 16}}`), self)
	if err != nil {
		t.Fatal(err)
	}
	want := &Manifest{
		Name: "counter", Version: "1.0.0",
		Wasm: Wasm{URL: "https://pod.example/alice/settings/modules/counter.wasm", SHA256: sum},
		Reactors: []Reactor{{Export: "on_change", Container: "https://pod.example/alice/notes/", Recursive: true,
			Types: []string{"Create", "Update", "Delete"}, ContentTypes: []string{"text/turtle"}}},
		Validators:   []Validator{{Export: "validate", Container: "https://pod.example/alice/notes/", ContentTypes: []string{"text/turtle"}}},
		AllowedHosts: []string{"api.example.org"}, Config: map[string]string{"k": "v"},
		Limits: Limits{TimeoutMs: 1000, MemoryMiB: 16},
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got  %+v\nwant %+v", m, want)
	}
}

// access declares the rights a module needs beyond Read on the containers
// it watches and guards (issue 15 item 2: the permission prompt shows it;
// the server grants nothing from it).
func TestParseManifestAccess(t *testing.T) {
	m, err := ParseManifest([]byte(`{"name":"idx","version":"1","wasm":{"url":"i.wasm","sha256":"`+sum+`"},
		"reactors":[{"export":"on_change","container":"../../notes/"}],
		"access":[{"container":"../../index/","modes":["Read","Write"]},{"container":"../../log/","modes":["Append"]}]}`), self)
	if err != nil {
		t.Fatal(err)
	}
	want := []Access{{Container: "https://pod.example/alice/index/", Modes: []string{"Read", "Write"}},
		{Container: "https://pod.example/alice/log/", Modes: []string{"Append"}}}
	if !reflect.DeepEqual(m.Access, want) {
		t.Fatalf("access %+v, want %+v", m.Access, want)
	}
	mod := newModule("/alice/settings/modules/idx.json", self, "", m)
	pathOf := func(iri string) (string, bool) {
		p, ok := strings.CutPrefix(iri, "https://pod.example")
		return p, ok
	}
	if err := mod.placeIn(pathOf, "/alice/"); err != nil {
		t.Fatalf("placeIn: %v", err)
	}
	if err := mod.placeIn(pathOf, "/bob/"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "reactors[0].container") {
		t.Fatalf("another pod's container: %v", err)
	}
	m.Reactors[0].Container = "https://pod.example/bob/notes/"
	if err := mod.placeIn(pathOf, "/bob/"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "access[0].container") {
		t.Fatalf("access in another pod: %v", err)
	}
}

// Defaults: recursive false, all three types, any content type, 1,000 ms
// and 16 MiB; a subdomain pod's manifest resolves on its own host.
func TestParseManifestDefaults(t *testing.T) {
	m, err := ParseManifest([]byte(`{"name":"idx","version":"0.1","wasm":{"url":"https://cdn.example/i.wasm","sha256":"`+sum+`"},
		"reactors":[{"export":"on_change","container":"/notes/"}]}`), "http://alice.localhost:8080/settings/modules/idx.json")
	if err != nil {
		t.Fatal(err)
	}
	r := m.Reactors[0]
	if r.Recursive || !reflect.DeepEqual(r.Types, changeTypes) || r.ContentTypes != nil || r.Container != "http://alice.localhost:8080/notes/" {
		t.Errorf("reactor defaults: %+v", r)
	}
	if m.Limits != (Limits{TimeoutMs: DefaultTimeoutMs, MemoryMiB: DefaultMemoryMiB}) {
		t.Errorf("limits: %+v", m.Limits)
	}
}

// Every refusal is ErrInvalid (422) with a reason naming the field.
func TestParseManifestRefusals(t *testing.T) {
	wasm := `"wasm":{"url":"m.wasm","sha256":"` + sum + `"}`
	reactor := `"reactors":[{"export":"on_change","container":"../../notes/"}]`
	ok := func(extra string) string {
		return `{"name":"m","version":"1",` + wasm + `,` + reactor + extra + `}`
	}
	for _, tc := range []struct{ name, body, reason string }{
		{"not JSON", `{`, "cut short"},
		{"array", `[]`, "JSON object"},
		{"two values", ok("") + `{}`, "more than one JSON value"},
		{"unknown top-level field", ok(`,"permissions":["all"]`), `unknown field "permissions"`},
		{"unknown nested field", `{"name":"m","version":"1",` + wasm + `,"reactors":[{"export":"a","container":"/n/","filter":"x"}]}`, `unknown field "filter"`},
		{"missing name", `{"version":"1",` + wasm + `,` + reactor + `}`, "name: required"},
		{"bad name", `{"name":"../x","version":"1",` + wasm + `,` + reactor + `}`, "name:"},
		{"upper-case name", `{"name":"Counter","version":"1",` + wasm + `,` + reactor + `}`, "name:"},
		{"missing version", `{"name":"m",` + wasm + `,` + reactor + `}`, "version: required"},
		{"version not a string", `{"name":"m","version":1,` + wasm + `,` + reactor + `}`, "version: wrong kind"},
		{"missing wasm", `{"name":"m","version":"1",` + reactor + `}`, "wasm.url: required"},
		{"missing sha256", `{"name":"m","version":"1","wasm":{"url":"m.wasm"},` + reactor + `}`, "wasm.sha256: required"},
		{"upper-case sha256", `{"name":"m","version":"1","wasm":{"url":"m.wasm","sha256":"` + strings.ToUpper(sum) + `"},` + reactor + `}`, "wasm.sha256"},
		{"short sha256", `{"name":"m","version":"1","wasm":{"url":"m.wasm","sha256":"abc"},` + reactor + `}`, "wasm.sha256"},
		{"http wasm elsewhere", `{"name":"m","version":"1","wasm":{"url":"http://evil.example/m.wasm","sha256":"` + sum + `"},` + reactor + `}`, "over https"},
		{"file wasm", `{"name":"m","version":"1","wasm":{"url":"file:///etc/passwd","sha256":"` + sum + `"},` + reactor + `}`, "wasm.url"},
		{"no reactor or validator", `{"name":"m","version":"1",` + wasm + `}`, "at least one reactor or validator"},
		{"empty lists", `{"name":"m","version":"1",` + wasm + `,"reactors":[],"validators":[]}`, "at least one"},
		{"missing export", `{"name":"m","version":"1",` + wasm + `,"reactors":[{"container":"/n/"}]}`, "reactors[0].export"},
		{"bad export", `{"name":"m","version":"1",` + wasm + `,"validators":[{"export":"a b","container":"/n/"}]}`, "validators[0].export"},
		{"container not a container", `{"name":"m","version":"1",` + wasm + `,"reactors":[{"export":"a","container":"/n"}]}`, "must end with /"},
		{"container elsewhere", `{"name":"m","version":"1",` + wasm + `,"reactors":[{"export":"a","container":"https://other.example/n/"}]}`, "on this server"},
		{"container missing", `{"name":"m","version":"1",` + wasm + `,"reactors":[{"export":"a"}]}`, "container: required"},
		{"unknown type", `{"name":"m","version":"1",` + wasm + `,"reactors":[{"export":"a","container":"/n/","types":["Move"]}]}`, "types"},
		{"repeated type", `{"name":"m","version":"1",` + wasm + `,"reactors":[{"export":"a","container":"/n/","types":["Create","Create"]}]}`, "at most once"},
		{"empty types", `{"name":"m","version":"1",` + wasm + `,"reactors":[{"export":"a","container":"/n/","types":[]}]}`, "types"},
		{"bad content type", `{"name":"m","version":"1",` + wasm + `,"validators":[{"export":"a","container":"/n/","contentTypes":["turtle"]}]}`, "contentTypes"},
		{"wildcard content type", `{"name":"m","version":"1",` + wasm + `,"validators":[{"export":"a","container":"/n/","contentTypes":["text/*"]}]}`, "contentTypes"},
		{"host with scheme", ok(`,"allowedHosts":["https://api.example.org"]`), "allowedHosts[0]"},
		{"host with port", ok(`,"allowedHosts":["api.example.org:443"]`), "allowedHosts[0]"},
		{"bare wildcard host", ok(`,"allowedHosts":["*"]`), "allowedHosts[0]"},
		{"config not strings", ok(`,"config":{"k":1}`), "config: wrong kind"},
		{"timeout too long", ok(`,"limits":{"timeoutMs":10001}`), "limits.timeoutMs"},
		{"negative timeout", ok(`,"limits":{"timeoutMs":-1}`), "limits.timeoutMs"},
		{"fractional timeout", ok(`,"limits":{"timeoutMs":1.5}`), "limits.timeoutMs: wrong kind"},
		{"memory too large", ok(`,"limits":{"memoryMiB":65}`), "limits.memoryMiB"},
		// access (issue 15 item 2: what the permission prompt shows)
		{"access Control", ok(`,"access":[{"container":"../../index/","modes":["Control"]}]`), "access[0].modes"},
		{"access unknown mode", ok(`,"access":[{"container":"../../index/","modes":["read"]}]`), "access[0].modes"},
		{"access no modes", ok(`,"access":[{"container":"../../index/","modes":[]}]`), "access[0].modes"},
		{"access repeated mode", ok(`,"access":[{"container":"../../index/","modes":["Read","Read"]}]`), "access[0].modes"},
		{"access not a container", ok(`,"access":[{"container":"../../index","modes":["Read"]}]`), "access[0].container"},
		{"access elsewhere", ok(`,"access":[{"container":"https://other.example/x/","modes":["Read"]}]`), "access[0].container"},
		{"huge manifest", ok(`,"config":{"k":"` + strings.Repeat("x", MaxManifest) + `"}`), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseManifest([]byte(tc.body), self)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %+v, %v; want ErrInvalid", m, err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("reason %q does not mention %q", err, tc.reason)
			}
		})
	}
}

// FuzzParseManifest: any body is a valid manifest or ErrInvalid, never a
// panic; an accepted manifest satisfies the contract's invariants.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"name":"m","version":"1","wasm":{"url":"m.wasm","sha256":"` + sum + `"},"reactors":[{"export":"a","container":"/n/"}]}`))
	f.Add([]byte(`{"name":"m","version":"1","wasm":{"url":"//x/m","sha256":"` + sum + `"},"validators":[{"export":"a","container":"./"}],"limits":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParseManifest(body, self)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			return
		}
		if len(m.Reactors)+len(m.Validators) == 0 || m.Limits.TimeoutMs < 1 || m.Limits.TimeoutMs > MaxTimeoutMs ||
			m.Limits.MemoryMiB < 1 || m.Limits.MemoryMiB > MaxMemoryMiB {
			t.Fatalf("accepted %+v", m)
		}
		for _, r := range m.Reactors {
			if !strings.HasPrefix(r.Container, "https://pod.example/") || !strings.HasSuffix(r.Container, "/") {
				t.Fatalf("container %q", r.Container)
			}
		}
	})
}
