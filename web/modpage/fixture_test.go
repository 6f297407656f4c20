package modpage

import (
	"net/http"
	"strings"
	"testing"

	"github.com/naamio/naamio/internal/testissuer"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
	"github.com/naamio/naamio/modules"
	"github.com/naamio/naamio/rdf"
)

// pod is a real server for the page's tests: a Badger store, the LDP
// handler with WAC, the Solid-OIDC authenticator trusting a test issuer,
// and the page's routes, on 127.0.0.1. The pod "alice" belongs to owner;
// other is another person with an account at the same issuer.
type pod struct {
	base, root   string
	owner, other *testissuer.Agent
	page         *Handler
	lh           *ldp.Handler
	status       map[string]modules.Status
	session      map[string]string // cookie value → WebID
}

func newPod(t *testing.T, fetch *http.Client) *pod {
	t.Helper()
	iss, authFor := ldptest.Issuer(t)
	srv, setHandler := ldptest.Server(t)
	p := &pod{base: srv.URL + "/", status: map[string]modules.Status{}, session: map[string]string{}}
	p.root = p.base + "alice/"
	var err error
	if p.owner, err = iss.NewAgent("alice"); err != nil {
		t.Fatal(err)
	}
	if p.other, err = iss.NewAgent("mallory"); err != nil {
		t.Fatal(err)
	}
	st, res := ldptest.OpenStore(t, p.base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	ldptest.WriteACL(t, st, p.base, "/.acl", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <`+p.owner.WebID+`> ;
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .`)
	p.lh, err = ldp.NewHandler(st, ldp.Config{BaseURL: p.base, ACL: res})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.lh.Close)
	p.page, err = New(Config{
		BaseURL: p.base,
		Session: func(r *http.Request) (string, bool) {
			c, err := r.Cookie("session")
			if err != nil {
				return "", false
			}
			w, ok := p.session[c.Value]
			return w, ok
		},
		LDP: p.lh,
		Pod: func(name string) (string, string, bool) {
			if name == "alice" {
				return p.root, p.owner.WebID, true
			}
			return "", "", false
		},
		Status: func(iri string) (modules.Status, bool) { s, ok := p.status[iri]; return s, ok },
		Fetch:  fetch,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(PlanPath, p.page.ServePlan)
	mux.HandleFunc(PagePath, p.page.ServePage)
	mux.Handle("/", p.lh)
	setHandler(authFor(p.base).Middleware(mux))
	// The pod: its root ACL gives the owner everything and the public
	// Read on public/ (an inherited grant an ACL the page writes must keep).
	p.must(t, "PUT", "alice/", "text/turtle", "", 201)
	p.must(t, "PUT", "alice/.acl", "text/turtle", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<#owner> a acl:Authorization ; acl:agent <`+p.owner.WebID+`> ;
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#public> a acl:Authorization ; acl:agentClass foaf:Agent ; acl:default <./> ; acl:mode acl:Read .`, 201)
	return p
}

// must sends a request as the owner and checks its status.
func (p *pod) must(t *testing.T, method, path, ct, body string, want int, header ...string) *http.Response {
	t.Helper()
	resp, b := ldptest.Send(t, p.owner, method, p.base+path, ct, body, header...)
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return resp
}

// acl reads an ACL document as the owner, as a graph.
func (p *pod) acl(t *testing.T, path string) *rdf.Graph {
	t.Helper()
	resp, b := ldptest.Send(t, p.owner, "GET", p.base+path, "", "", "Accept", "application/n-triples")
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d: %s", path, resp.StatusCode, b)
	}
	g, err := rdf.Parse(strings.NewReader(b), rdf.MediaNTriples, p.base+path, rdf.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}
