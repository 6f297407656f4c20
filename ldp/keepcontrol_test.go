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

// Config.KeepsControl (issue 15, the sharing page): an ACL written through
// a named client must leave the writer Control of its subject; through any
// other client the writer may give it up, as WAC allows.
func TestKeepsControlForNamedClients(t *testing.T) {
	const base = "https://pod.example/"
	const owner = base + "owner#me"
	const pages = base + ".web/client.jsonld"
	st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	ldptest.WriteACL(t, st, base, "/.acl", aclPrefix+`<#owner> a acl:Authorization ; acl:agent <`+owner+`> ;
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .`)
	h, err := ldp.NewHandler(st, ldp.Config{BaseURL: base, ACL: res, KeepsControl: func(c string) bool { return c == pages }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	do := func(client, method, path, ct, body string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(method, base+strings.TrimPrefix(path, "/"), strings.NewReader(body))
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		r = r.WithContext(auth.WithAgent(context.Background(), auth.Agent{WebID: owner, ClientID: client}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := do(pages, "PUT", "/f/", "", ""); w.Code != http.StatusCreated {
		t.Fatalf("folder: %d", w.Code)
	}
	readOnly := aclPrefix + `<#me> a acl:Authorization ; acl:agent <` + owner + `> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write .`
	keeps := aclPrefix + `<#me> a acl:Authorization ; acl:agent <` + owner + `> ; acl:accessTo <./> ; acl:mode acl:Read, acl:Control .`
	onlyMembers := aclPrefix + `<#me> a acl:Authorization ; acl:agent <` + owner + `> ; acl:default <./> ; acl:mode acl:Control .`
	for name, body := range map[string]string{"no Control": readOnly, "Control of the members only": onlyMembers} {
		if w := do(pages, "PUT", "/f/.acl", "text/turtle", body); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s through the pages' client: %d, want 422", name, w.Code)
		}
	}
	if w := do(pages, "GET", "/f/.acl", "", ""); w.Code != http.StatusNotFound {
		t.Fatalf("a refused ACL was stored: %d", w.Code)
	}
	if w := do(pages, "PUT", "/f/.acl", "text/turtle", keeps); w.Code != http.StatusCreated {
		t.Fatalf("an ACL keeping Control: %d %s", w.Code, w.Body)
	}
	patch := `@prefix solid: <http://www.w3.org/ns/solid/terms#> . @prefix acl: <http://www.w3.org/ns/auth/acl#> .
_:p a solid:InsertDeletePatch ; solid:deletes { <#me> acl:mode acl:Control . } .`
	if w := do(pages, "PATCH", "/f/.acl", "text/n3", patch); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("PATCH removing Control through the pages' client: %d", w.Code)
	}
	if w := do("https://app.example/id", "PATCH", "/f/.acl", "text/n3", patch); w.Code >= 300 {
		t.Fatalf("another client may give Control up: %d %s", w.Code, w.Body)
	}
}
