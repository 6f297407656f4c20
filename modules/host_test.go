package modules

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
)

const (
	hostBase   = "https://pod.example/"
	hostOwner  = "https://pod.example/alice/profile/card#me"
	hostModule = "https://pod.example/alice/settings/modules/guest.json#module"
)

// hostPod is a real store and LDP handler where the owner has every mode
// and the module may read and write /alice/notes/ only, with the guest
// module compiled against a Host over that handler.
func hostPod(t *testing.T) (*program, *ldp.Handler) {
	t.Helper()
	st, res := ldptest.OpenStore(t, hostBase, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	ldptest.WriteACL(t, st, hostBase, "/.acl", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <`+hostOwner+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .`)
	h, err := ldp.NewHandler(st, ldp.Config{BaseURL: hostBase, ACL: res})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	owner := auth.WithAgent(context.Background(), auth.Agent{WebID: hostOwner})
	for _, w := range []struct{ path, ct, body string }{
		{"/alice/notes/", "", ""},
		{"/alice/notes/a.ttl", "text/turtle", `<#it> <http://purl.org/dc/terms/title> "A" .`},
		{"/alice/private.txt", "text/plain", "secret"},
		{"/alice/notes/.acl", "text/turtle", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <` + hostOwner + `> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#module> a acl:Authorization ; acl:agent <` + hostModule + `> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write .`},
	} {
		r := httptest.NewRequest(http.MethodPut, hostBase+strings.TrimPrefix(w.path, "/"), strings.NewReader(w.body)).WithContext(owner)
		if w.ct != "" {
			r.Header.Set("Content-Type", w.ct)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code >= 300 {
			t.Fatalf("set-up PUT %s: %d %s", w.path, rec.Code, rec.Body)
		}
	}
	host := &Host{LDP: h}
	e, err := NewEngine(sharedCache, host.Call, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	bin := guestWasm(t)
	pg, err := e.compile(context.Background(), guestManifest(bin, Limits{TimeoutMs: 10000, MemoryMiB: 32},
		map[string]string{"container": hostBase + "alice/notes/"}), bin, func(string, string) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.close(context.Background()) })
	return pg, h
}

func invoke(t *testing.T, pg *program, export, input string) []byte {
	t.Helper()
	ctx := withInvocation(context.Background(), &invocation{agent: hostModule, owner: hostOwner})
	out, err := pg.call(ctx, export, []byte(input))
	if err != nil {
		t.Fatalf("%s: %v", export, err)
	}
	return out
}

// The pod_* functions answer with the status the same request gets over
// HTTP as the module's agent, and never trap: bad JSON, an IRI outside
// the server, an unknown encoding are answers too.
func TestHostFunctions(t *testing.T) {
	pg, _ := hostPod(t)
	notes := hostBase + "alice/notes/"
	for _, tc := range []struct {
		name, fn, in string
		status       int
		check        func(hostResponse) bool
	}{
		{"get turtle", "pod_get", `{"iri":"` + notes + `a.ttl"}`, 200,
			func(r hostResponse) bool { return strings.Contains(r.Body, `"A"`) && r.ETag != "" && r.Encoding == "" }},
		{"put text", "pod_put", `{"iri":"` + notes + `b.txt","contentType":"text/plain","body":"hello"}`, 201, nil},
		{"get it back", "pod_get", `{"iri":"` + notes + `b.txt"}`, 200, func(r hostResponse) bool { return r.Body == "hello" }},
		{"put binary", "pod_put", `{"iri":"` + notes + `c.bin","contentType":"application/octet-stream","body":"AAEC/w==","encoding":"base64"}`, 201, nil},
		{"binary comes back base64", "pod_get", `{"iri":"` + notes + `c.bin"}`, 200,
			func(r hostResponse) bool { return r.Body == "AAEC/w==" && r.Encoding == "base64" }},
		{"patch", "pod_patch", `{"iri":"` + notes + `a.ttl","body":"@prefix solid: <http://www.w3.org/ns/solid/terms#>. _:p a solid:InsertDeletePatch; solid:inserts { <#it> <http://purl.org/dc/terms/creator> \"m\" . }."}`, 204, nil},
		{"list", "pod_list", `{"iri":"` + notes + `"}`, 200, func(r hostResponse) bool {
			return len(r.Members) == 3 && r.Members[0] == notes+"a.ttl" && r.Members[2] == notes+"c.bin"
		}},
		{"delete", "pod_delete", `{"iri":"` + notes + `b.txt"}`, 204, nil},
		{"gone", "pod_get", `{"iri":"` + notes + `b.txt"}`, 404, nil},
		{"WAC says no to reading", "pod_get", `{"iri":"` + hostBase + `alice/private.txt"}`, 403, nil},
		{"WAC says no to writing", "pod_put", `{"iri":"` + hostBase + `alice/x.txt","contentType":"text/plain","body":"x"}`, 403, nil},
		{"ACLs need Control", "pod_get", `{"iri":"` + notes + `.acl"}`, 403, nil},
		{"garbage JSON", "pod_get", `{"iri":`, 400, nil},
		{"unknown field", "pod_get", `{"iri":"` + notes + `a.ttl","method":"DELETE"}`, 400, nil},
		{"IRI elsewhere", "pod_get", `{"iri":"https://evil.example/x"}`, 400, nil},
		{"IRI not absolute", "pod_get", `{"iri":"../x"}`, 400, nil},
		{"bad base64", "pod_put", `{"iri":"` + notes + `d","contentType":"text/plain","body":"***","encoding":"base64"}`, 400, nil},
		{"unknown encoding", "pod_put", `{"iri":"` + notes + `d","contentType":"text/plain","body":"x","encoding":"gzip"}`, 400, nil},
		{"list of a document", "pod_list", `{"iri":"` + notes + `a.ttl"}`, 400, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r hostResponse
			out := invoke(t, pg, "host", tc.fn+"\n"+tc.in)
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatalf("output %q: %v", out, err)
			}
			if r.Status != tc.status || (tc.check != nil && !tc.check(r)) {
				t.Fatalf("got %+v; want status %d", r, tc.status)
			}
		})
	}
}

// A module that tries to write 10,000 resources in one invocation gets
// 100 writes and 429 for the rest (the per-invocation host-call limit).
func TestHostCallLimit(t *testing.T) {
	pg, _ := hostPod(t)
	var counts map[string]int
	t0 := time.Now()
	if err := json.Unmarshal(invoke(t, pg, "flood", "10000"), &counts); err != nil {
		t.Fatal(err)
	}
	t.Log("flood took", time.Since(t0))
	if counts["201"] != MaxHostCalls || counts["429"] != 10000-MaxHostCalls || len(counts) != 2 {
		t.Fatalf("statuses %v; want %d × 201 and the rest 429", counts, MaxHostCalls)
	}
	// The next invocation has its own count (f0.txt exists now: 204).
	var again map[string]int
	if err := json.Unmarshal(invoke(t, pg, "flood", "1"), &again); err != nil {
		t.Fatal(err)
	}
	if again["204"] != 1 {
		t.Fatalf("next invocation: %v", again)
	}
}

// SECURITY row 47: a host call with an out-of-range pointer is answered
// (400), and a host function that panics answers 500 instead of taking
// the module, or the server, down; the module keeps working after both.
func TestHostCallFaults(t *testing.T) {
	bin := guestWasm(t)
	e, err := NewEngine(sharedCache, func(ctx context.Context, name string, in []byte) []byte {
		switch {
		case strings.Contains(string(in), "panic"):
			panic("a bug in a host function")
		case len(in) == 0:
			// An offset that is no block of the module reads as no input
			// (Extism's kernel knows no length for it), which Host answers
			// 400 like any input that is not a request.
			return (&Host{}).Call(ctx, name, in)
		}
		return []byte(`{"status":200}`)
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	pg, err := e.compile(context.Background(), guestManifest(bin, Limits{TimeoutMs: 10000, MemoryMiB: 32}, nil), bin, func(string, string) {})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.close(context.Background())
	ctx := withInvocation(context.Background(), &invocation{agent: hostModule, owner: hostOwner})
	for _, tc := range []struct{ export, input, want string }{
		{"bad_pointer", "", `"status":400`},
		{"host", "pod_get\n{\"iri\":\"panic\"}", `"status":500`},
		{"host", "pod_get\n{\"iri\":\"fine\"}", `"status":200`},
	} {
		out, err := pg.call(ctx, tc.export, []byte(tc.input))
		if err != nil || !strings.Contains(string(out), tc.want) {
			t.Fatalf("%s: %q, %v; want %s", tc.export, out, err, tc.want)
		}
	}
}
