package modules

import (
	"context"
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/naamio/naamio/event"
)

// A reactor's event carries the resource's contentType (the contract's
// input), also when the reactor does not filter on content types (the
// type was looked up only for reactors with a contentTypes list, so the
// others got "" or the type, depending on the order of the modules).
func TestReactorEventContentType(t *testing.T) {
	p, _ := openSvcPod(t)
	bin := guestWasm(t)
	agent := svcBase + "alice/settings/modules/guest.json#module"
	p.must(svcOwner, "PUT", "/alice/notes/", "", nil, http.StatusCreated)
	p.must(svcOwner, "PUT", "/alice/notes/.acl", "text/turtle", []byte(`@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <`+svcOwner+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#module> a acl:Authorization ; acl:agent <`+agent+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .`), http.StatusCreated)
	p.must(svcOwner, "PUT", "/alice/settings/modules/guest.wasm", "application/wasm", bin, http.StatusCreated)
	p.must(svcOwner, "PUT", svcManifest, "application/json", []byte(`{"name":"guest","version":"1",
		"wasm":{"url":"guest.wasm","sha256":"`+hex.EncodeToString(sha(bin))+`"},
		"reactors":[{"export":"echo","container":"../../notes/"}]}`), http.StatusCreated)
	reactions := func() []Event {
		t.Helper()
		cs, err := p.st.Changes(context.Background(), 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		c := cs[len(cs)-1]
		if c.Path != "/alice/notes/a.ttl" {
			t.Fatalf("last change: %+v", c)
		}
		var out []Event
		for _, r := range p.svc.reactionsTo(context.Background(), c) {
			out = append(out, r.p.Event)
		}
		return out
	}
	p.must(svcOwner, "PUT", "/alice/notes/a.ttl", "text/turtle", []byte(`<#x> <urn:ex:v> 1 .`), http.StatusCreated)
	if got := reactions(); len(got) != 1 || got[0].Type != string(event.Create) || got[0].ContentType != "text/turtle" || got[0].State == "" {
		t.Fatalf("Create: %+v", got)
	}
	p.must(svcOwner, "DELETE", "/alice/notes/a.ttl", "", nil, http.StatusNoContent)
	if got := reactions(); len(got) != 1 || got[0].Type != string(event.Delete) || got[0].ContentType != "" || got[0].State != "" {
		t.Fatalf("Delete: %+v", got)
	}
}
