package ldp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
)

// A module's in-process request (ldp.AsModule) is decided for the module
// agent alone — public and authenticated-agent grants do not count — and
// never above the pod owner's modes; its writes carry the module as their
// change-log origin (issue 13, "Identity").
func TestAsModule(t *testing.T) {
	const base = "https://pod.example/"
	const owner = "https://pod.example/alice/profile/card#me"
	const module = "https://pod.example/alice/settings/modules/idx.json#module"
	st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	ldptest.WriteACL(t, st, base, "/.acl", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<#owner> a acl:Authorization ; acl:agent <`+owner+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#public> a acl:Authorization ; acl:agentClass foaf:Agent, acl:AuthenticatedAgent ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .`)
	h, err := ldp.NewHandler(st, ldp.Config{BaseURL: base, ACL: res})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	do := func(ctx context.Context, method, path, body string) int {
		r := httptest.NewRequest(method, base+strings.TrimPrefix(path, "/"), strings.NewReader(body)).WithContext(ctx)
		if body != "" {
			r.Header.Set("Content-Type", "text/plain")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	asOwner := auth.WithAgent(context.Background(), auth.Agent{WebID: owner})
	for _, c := range []string{"/notes/", "/limited/"} {
		if got := do(asOwner, http.MethodPut, c, ""); got != http.StatusCreated {
			t.Fatalf("owner PUT %s: %d", c, got)
		}
	}
	// The module may write notes; under limited/ the owner may only read
	// (and the module is granted more than that, in vain).
	ldptest.WriteACL(t, st, base, "/notes/.acl", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <`+owner+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#module> a acl:Authorization ; acl:agent <`+module+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write .`)
	ldptest.WriteACL(t, st, base, "/limited/.acl", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <`+owner+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .
<#module> a acl:Authorization ; acl:agent <`+module+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write .`)
	asModule := ldp.AsModule(context.Background(), module, owner)
	for _, tc := range []struct {
		name         string
		method, path string
		want         int
	}{
		{"granted write", http.MethodPut, "/notes/a.txt", http.StatusCreated},
		{"granted read", http.MethodGet, "/notes/a.txt", http.StatusOK},
		{"public read is not the module's", http.MethodGet, "/", http.StatusForbidden},
		{"owner's write elsewhere is not the module's", http.MethodPut, "/other.txt", http.StatusForbidden},
		{"never above the owner: write where the owner may only read", http.MethodPut, "/limited/x.txt", http.StatusForbidden},
		{"the owner's read where both may", http.MethodGet, "/limited/", http.StatusOK},
		{"ACLs need Control, which the owner holds but the module does not", http.MethodGet, "/notes/.acl", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := ""
			if tc.method == http.MethodPut {
				body = "x"
			}
			if got := do(asModule, tc.method, tc.path, body); got != tc.want {
				t.Fatalf("%s %s as the module: %d, want %d", tc.method, tc.path, got, tc.want)
			}
		})
	}
	// A module whose pod has no owner gets nothing.
	if got := do(ldp.AsModule(context.Background(), module, ""), http.MethodGet, "/notes/a.txt", ""); got != http.StatusForbidden {
		t.Errorf("ownerless module read: %d", got)
	}
	cs, err := st.Changes(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	last := cs[len(cs)-1]
	if last.Path != "/notes/a.txt" || last.Origin != module {
		t.Errorf("last change %+v: want /notes/a.txt with the module as origin", last)
	}
}
