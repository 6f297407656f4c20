package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/rdf"
)

// openStore is a real Badger store in a temporary directory.
func openStore(t testing.TB) *badgerstore.Store {
	t.Helper()
	st, err := badgerstore.Open(t.TempDir(), badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// records is the store's federation namespace.
func records(t testing.TB, st *badgerstore.Store) kv.KV {
	t.Helper()
	r, err := st.KV(kv.Federation)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fixture is a federation service on a real store and pod registry,
// served over real HTTP on 127.0.0.1 (its base URL is the test server's,
// so ids equal the URLs they are fetched from).
type fixture struct {
	t     testing.TB
	st    *badgerstore.Store
	pods  *idp.Pods
	loc   *ldp.Locator
	svc   *Service
	srv   *httptest.Server
	base  string
	paths *Paths
}

func newFixture(t testing.TB) *fixture { return newFixtureWith(t, nil, (*Service).Handler) }

// newFixtureWith is newFixture with mod applied to the service's Config
// and handler serving its HTTP server.
func newFixtureWith(t testing.TB, mod func(*Config), handler func(*Service) http.Handler) *fixture {
	t.Helper()
	f := &fixture{t: t, st: openStore(t)}
	var h http.Handler = http.NotFoundHandler()
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(f.srv.Close)
	f.base = f.srv.URL + "/"
	podKV, err := f.st.KV(kv.Pods)
	if err != nil {
		t.Fatal(err)
	}
	if f.pods, err = idp.LoadPods(context.Background(), podKV); err != nil {
		t.Fatal(err)
	}
	if f.loc, err = ldp.NewLocator(f.base, f.pods.Subdomain); err != nil {
		t.Fatal(err)
	}
	if f.paths, err = NewPaths(f.base, func(name string) string { return f.loc.IRI("/" + name + "/") }); err != nil {
		t.Fatal(err)
	}
	rec := records(t, f.st)
	cfg := Config{Paths: f.paths, Locator: f.loc, Store: f.st, Pods: f.pods,
		Keys: NewKeyStore(rec), Records: rec, OpenRegistrations: true,
		Software: Software{Name: "naamio", Version: "test"}}
	if mod != nil {
		mod(&cfg)
	}
	if f.svc, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	h = handler(f.svc)
	return f
}

// addPod provisions pod name (its real documents) with display name
// display, and registers it.
func (f *fixture) addPod(name, display string) *pod.Pod {
	f.t.Helper()
	return f.addPodLayout(name, display, false)
}

// addPodLayout is addPod, on a host of its own when subdomain.
func (f *fixture) addPodLayout(name, display string, subdomain bool) *pod.Pod {
	f.t.Helper()
	ctx := context.Background()
	p, err := pod.Create(ctx, f.st, f.base, name, f.base, pod.CreateOptions{Name: display, Layout: pod.LayoutFor(subdomain)})
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.pods.Add(ctx, name, "acct-"+name, p.WebID, subdomain); err != nil {
		f.t.Fatal(err)
	}
	return p
}

// get fetches path (relative to the base) with an Accept header.
func (f *fixture) get(path, accept string) *http.Response {
	f.t.Helper()
	return f.do(http.MethodGet, f.srv.URL+path, accept)
}

func (f *fixture) do(method, url, accept string) *http.Response {
	f.t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// putProfile replaces pod's profile card with a Turtle body.
func (f *fixture) putProfile(name, turtle string) {
	f.t.Helper()
	base := f.loc.IRI("/" + name + "/profile/card")
	g, err := rdf.Parse(strings.NewReader(turtle), rdf.MediaTurtle, base, rdf.Limits{})
	if err != nil {
		f.t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rdf.Write(&buf, g, rdf.MediaTurtle); err != nil {
		f.t.Fatal(err)
	}
	_, _, err = f.st.Put(context.Background(), ldp.PutRequest{Path: "/" + name + "/profile/card",
		ContentType: rdf.MediaTurtle, RDF: true, Body: &buf})
	if err != nil {
		f.t.Fatal(err)
	}
}

func readJSON(t testing.TB, resp *http.Response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}
