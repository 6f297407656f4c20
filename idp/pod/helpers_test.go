package pod_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/internal/testissuer"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
	"github.com/naamio/naamio/rdf"
)

// site is a server over a real Badger store behind the real Solid-OIDC
// authenticator trusting a test issuer. Its root ACL gives the site owner
// (admin) control of "/" and nobody else anything; pods are created in it
// with pod.Create, and the handler treats the containers of created pods
// as storage roots, as the server does.
type site struct {
	srv                 *httptest.Server
	base                string
	store               ldp.Store
	iss                 *testissuer.Issuer
	admin, owner, other *testissuer.Agent
	pods                sync.Map // name -> true
}

func newSite(t testing.TB) *site {
	t.Helper()
	iss, authFor := ldptest.Issuer(t)
	s := &site{iss: iss}
	srv, setHandler := ldptest.Server(t)
	s.srv = srv
	s.base = s.srv.URL + "/"
	st, res := ldptest.OpenStore(t, s.base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	s.store = st
	var err error
	for _, a := range []struct {
		p    **testissuer.Agent
		name string
	}{{&s.admin, "admin"}, {&s.owner, "owner"}, {&s.other, "other"}} {
		if *a.p, err = iss.NewAgent(a.name); err != nil {
			t.Fatal(err)
		}
	}
	ldptest.WriteACL(t, st, s.base, "/.acl", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#admin> a acl:Authorization ; acl:agent <`+s.admin.WebID+`> ;
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .`)
	h, err := ldp.NewHandler(st, ldp.Config{
		BaseURL: s.base,
		ACL:     res,
		StorageRoot: func(p string) bool {
			name, ok := pod.PathLayout{}.PodOf(p)
			_, known := s.pods.Load(name)
			return ok && known
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	setHandler(authFor(s.base).Middleware(h))
	return s
}

// create makes pod name owned by webID and records it as a storage root.
func (s *site) create(t testing.TB, name, webID string) *pod.Pod {
	t.Helper()
	p, err := pod.Create(context.Background(), s.store, s.base, name, s.iss.URL(), pod.CreateOptions{WebID: webID})
	if err != nil {
		t.Fatal(err)
	}
	s.pods.Store(name, true)
	return p
}

// do sends a request as agent (nil: anonymous) asking for Turtle.
func (s *site) do(t *testing.T, agent *testissuer.Agent, method, path, ct, body string) (*http.Response, string) {
	t.Helper()
	return ldptest.Send(t, agent, method, s.srv.URL+path, ct, body, "Accept", "text/turtle")
}

// must is do that fails the test unless the status is want.
func (s *site) must(t *testing.T, agent *testissuer.Agent, method, path, ct, body string, want int) (*http.Response, string) {
	t.Helper()
	resp, b := s.do(t, agent, method, path, ct, body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return resp, b
}

// graph parses a Turtle response body of the resource at path.
func (s *site) graph(t *testing.T, path, body string) *rdf.Graph {
	t.Helper()
	g, err := rdf.Parse(strings.NewReader(body), rdf.MediaTurtle, s.base+strings.TrimPrefix(path, "/"), rdf.Limits{})
	if err != nil {
		t.Fatalf("%s: %v\n%s", path, err, body)
	}
	return g
}

func triple(s, p, o string) rdf.Triple {
	return rdf.Triple{S: rdf.NewIRI(s), P: rdf.NewIRI(p), O: rdf.NewIRI(o)}
}

// Vocabulary used in the assertions.
const (
	rdfType   = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
	pimNS     = "http://www.w3.org/ns/pim/space#"
	solidNS   = "http://www.w3.org/ns/solid/terms#"
	ldpNS     = "http://www.w3.org/ns/ldp#"
	foafNS    = "http://xmlns.com/foaf/0.1/"
	storageLn = `<http://www.w3.org/ns/pim/space#Storage>; rel="type"`
)

func readInto(b *strings.Builder, r io.ReadCloser) (int64, error) {
	defer r.Close()
	return io.Copy(b, r)
}
