package share

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
	"github.com/naamio/naamio/rdf"
)

const (
	base  = "https://pod.example/"
	alice = base + "alice/profile/card#me"
	carol = base + "carol/profile/card#me"
)

// testPods is a real store and LDP handler with one pod, alice's, whose
// root ACL gives her Control of everything, and the pages over them. The
// session is the test's: the WebID in the X-Test-WebID header.
type testPods struct {
	st  *badgerstore.Store
	ldp *ldp.Handler
	h   *Handler
}

func newTestPods(t testing.TB, mod func(*Options)) *testPods {
	t.Helper()
	st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	ldptest.WriteACL(t, st, base, "/.acl", prefixes+`<#owner> a acl:Authorization; acl:agent <`+alice+`>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.`)
	lh, err := ldp.NewHandler(st, ldp.Config{BaseURL: base, ACL: res})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lh.Close)
	tp := &testPods{st: st, ldp: lh}
	for _, c := range []string{"/alice/", "/alice/photos/", "/alice/photos/2026/", "/alice/profile/"} {
		tp.put(t, c, "", "")
	}
	tp.put(t, "/alice/profile/card", rdf.MediaTurtle, `<#me> a <http://xmlns.com/foaf/0.1/Person>; <http://xmlns.com/foaf/0.1/name> "Alice".`)
	opts := Options{BaseURL: base, LDP: lh,
		Session: func(r *http.Request) (string, bool) {
			w := r.Header.Get("X-Test-WebID")
			return w, w != ""
		},
		Owner: func(resource string) (string, bool) {
			if strings.HasPrefix(resource, base+"alice/") {
				return alice, true
			}
			return "", false
		},
		Pod: func(name string) (string, string, bool) {
			if name == "alice" {
				return base + "alice/", alice, true
			}
			return "", "", false
		},
	}
	if mod != nil {
		mod(&opts)
	}
	if tp.h, err = New(opts); err != nil {
		t.Fatal(err)
	}
	return tp
}

func (tp *testPods) put(t testing.TB, p, ct, body string) {
	t.Helper()
	_, _, err := tp.st.Put(context.Background(), ldp.PutRequest{Path: p, ContentType: ct, RDF: ct == rdf.MediaTurtle,
		Body: strings.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
}

func (tp *testPods) acl(t testing.TB, p, turtle string) {
	t.Helper()
	ldptest.WriteACL(t, tp.st, base, p, prefixes+turtle)
}

type page struct {
	status int
	header http.Header
	body   string
}

// get serves target by h as webID ("" anonymous).
func get(t testing.TB, h http.HandlerFunc, target, webID string) page {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	// The pages are asked for on the base host (a pod's own host gets
	// absolute asset URLs: web/ui Render).
	req.Host = strings.TrimSuffix(strings.TrimPrefix(base, "https://"), "/")
	if webID != "" {
		req.Header.Set("X-Test-WebID", webID)
	}
	rec := httptest.NewRecorder()
	h(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return page{rec.Code, rec.Result().Header, string(b)}
}

func shareURL(resource string) string {
	return "/.web/share?resource=" + url.QueryEscape(resource)
}
