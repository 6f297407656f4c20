package ldp_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
	"github.com/naamio/naamio/rdf"
)

const n3Prefixes = "@prefix solid: <http://www.w3.org/ns/solid/terms#> . @prefix ex: <http://example.org/> .\n"

func patchN3(t testing.TB, srv interface{ Client() *http.Client }, url, body string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPatch, url, strings.NewReader(n3Prefixes+body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/n3")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func graphOf(t testing.TB, srv interface{ Client() *http.Client }, url string) *rdf.Graph {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "text/turtle")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d", url, resp.StatusCode)
	}
	g, err := rdf.Parse(resp.Body, rdf.MediaTurtle, url, rdf.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func exTriple(s, p, o string) rdf.Triple {
	return rdf.Triple{S: rdf.NewIRI("http://example.org/" + s), P: rdf.NewIRI("http://example.org/" + p), O: rdf.NewIRI("http://example.org/" + o)}
}

func TestPatchN3(t *testing.T) {
	srv := newPod(t)
	doc := srv.URL + "/p/doc.ttl"
	// Creates the resource and its container (server-put-patch-intermediate-containers).
	if r := patchN3(t, srv, doc, `_:p a solid:InsertDeletePatch; solid:inserts { ex:a ex:b ex:c. }.`, nil); r.StatusCode != 201 {
		t.Fatalf("creating PATCH = %d %s", r.StatusCode, readAll(t, r))
	}
	if !graphOf(t, srv, srv.URL+"/p/").Has(rdf.Triple{S: rdf.NewIRI(base + "p/"), P: rdf.NewIRI("http://www.w3.org/ns/ldp#contains"), O: rdf.NewIRI(base + "p/doc.ttl")}) {
		t.Fatal("the container does not list the patched resource")
	}
	tests := []struct {
		name  string
		patch string
		want  int
	}{
		{"where matches once", `_:p a solid:InsertDeletePatch; solid:where { ?x ex:b ex:c. }; solid:inserts { ?x ex:d ex:e. }.`, 204},
		{"delete present", `_:p a solid:InsertDeletePatch; solid:deletes { ex:a ex:d ex:e. }.`, 204},
		{"where matches nothing", `_:p a solid:InsertDeletePatch; solid:where { ?x ex:nope ?y. }; solid:inserts { ?x ex:d ?y. }.`, 409},
		{"delete absent", `_:p a solid:InsertDeletePatch; solid:deletes { ex:a ex:zzz ex:c. }.`, 409},
		{"variable outside where", `_:p a solid:InsertDeletePatch; solid:inserts { ?x ex:b ex:c. }.`, 422},
		{"blank node in deletes", `_:p a solid:InsertDeletePatch; solid:deletes { _:x ex:b ex:c. }.`, 422},
		{"missing type", `_:p solid:inserts { ex:a ex:b ex:c. }.`, 422},
		{"unparseable", `_:p a solid:InsertDeletePatch; solid:inserts { ex:a ex:b `, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := do(t, srv, req{method: "GET", path: "/p/doc.ttl"}).Header.Get("ETag")
			r := patchN3(t, srv, doc, tc.patch, nil)
			if r.StatusCode != tc.want {
				t.Fatalf("PATCH = %d %s, want %d", r.StatusCode, readAll(t, r), tc.want)
			}
			after := do(t, srv, req{method: "GET", path: "/p/doc.ttl"}).Header.Get("ETag")
			if tc.want >= 400 && before != after {
				t.Fatal("a refused patch changed the resource")
			}
		})
	}
	g := graphOf(t, srv, doc)
	if !g.Has(exTriple("a", "b", "c")) || g.Has(exTriple("a", "d", "e")) || g.Len() != 1 {
		t.Fatalf("final graph has %d triples", g.Len())
	}
}

func TestPatchStatuses(t *testing.T) {
	srv := newPod(t)
	put(t, srv, "/bin", "text/plain", "x")
	put(t, srv, "/c/doc", "text/turtle", "<#a> <#b> <#c> .")
	sparql := func(body string) req {
		return req{method: "PATCH", path: "/c/doc", body: body, header: map[string]string{"Content-Type": "application/sparql-update"}}
	}
	tests := []struct {
		name string
		r    req
		want int
	}{
		{"non-rdf target", req{method: "PATCH", path: "/bin", body: "INSERT DATA { <a> <b> <c> }", header: map[string]string{"Content-Type": "application/sparql-update"}}, 415},
		{"unsupported type", req{method: "PATCH", path: "/c/doc", body: "x", header: map[string]string{"Content-Type": "application/json"}}, 415},
		{"no content type", req{method: "PATCH", path: "/c/doc", body: "x"}, 400},
		{"sparql insert data", sparql(`INSERT DATA { <#x> <#y> <#z> . }`), 204},
		{"sparql delete data", sparql(`DELETE DATA { <#x> <#y> <#z> . }`), 204},
		{"sparql delete absent", sparql(`DELETE DATA { <#x> <#y> <#z> . }`), 409},
		{"sparql delete insert where", sparql(`DELETE { ?s <#b> ?o } INSERT { ?s <#b2> ?o } WHERE { ?s <#b> ?o }`), 204},
		{"sparql load", sparql(`LOAD <http://127.0.0.1:1/x>`), 501},
		{"sparql garbage", sparql(`INSERT NONSENSE`), 400},
		{"container containment", req{method: "PATCH", path: "/c/", body: `INSERT DATA { <> <http://www.w3.org/ns/ldp#contains> <x> . }`, header: map[string]string{"Content-Type": "application/sparql-update"}}, 409},
		{"container own triple", req{method: "PATCH", path: "/c/", body: `INSERT DATA { <> <http://purl.org/dc/terms/title> "C" . }`, header: map[string]string{"Content-Type": "application/sparql-update"}}, 204},
		{"stale if-match", req{method: "PATCH", path: "/c/doc", body: `INSERT DATA { <#q> <#q> <#q> . }`, header: map[string]string{"Content-Type": "application/sparql-update", "If-Match": `"stale"`}}, 412},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r := do(t, srv, tc.r); r.StatusCode != tc.want {
				t.Fatalf("PATCH = %d %s, want %d", r.StatusCode, readAll(t, r), tc.want)
			}
		})
	}
	if g := graphOf(t, srv, srv.URL+"/c/doc"); !g.Has(rdf.Triple{S: rdf.NewIRI(base + "c/doc#a"), P: rdf.NewIRI(base + "c/doc#b2"), O: rdf.NewIRI(base + "c/doc#c")}) {
		t.Fatal("DELETE/INSERT WHERE was not applied")
	}
	for path, want := range map[string]string{"/c/doc": "PATCH", "/c/": "PATCH", "/missing": "PATCH"} {
		resp := do(t, srv, req{method: "OPTIONS", path: path})
		if !strings.Contains(resp.Header.Get("Allow"), want) || resp.Header.Get("Accept-Patch") != "text/n3, application/sparql-update" {
			t.Errorf("%s: Allow %q Accept-Patch %q", path, resp.Header.Get("Allow"), resp.Header.Get("Accept-Patch"))
		}
	}
	if a := do(t, srv, req{method: "GET", path: "/bin"}).Header.Get("Allow"); strings.Contains(a, "PATCH") {
		t.Errorf("non-RDF resource allows PATCH: %q", a)
	}
}

// Ten concurrent patches, each inserting its own triple, all land.
func TestPatchConcurrent(t *testing.T) {
	srv := newPod(t)
	put(t, srv, "/shared.ttl", "text/turtle", "<#a> <#b> <#c> .")
	const n = 10
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := http.NewRequest("PATCH", srv.URL+"/shared.ttl", strings.NewReader(n3Prefixes+fmt.Sprintf(
				`_:p a solid:InsertDeletePatch; solid:inserts { ex:s ex:p ex:o%d. }.`, i)))
			if err != nil {
				t.Error(err)
				return
			}
			r.Header.Set("Content-Type", "text/n3")
			resp, err := srv.Client().Do(r)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	g := graphOf(t, srv, srv.URL+"/shared.ttl")
	for i := range n {
		if codes[i] != 204 || !g.Has(exTriple("s", "p", fmt.Sprintf("o%d", i))) {
			t.Errorf("patch %d: status %d, triple present %v", i, codes[i], g.Has(exTriple("s", "p", fmt.Sprintf("o%d", i))))
		}
	}
}

func TestDescriptionResource(t *testing.T) {
	srv := newPod(t)
	if r := put(t, srv, "/photo.meta", "text/turtle", "<photo> <http://purl.org/dc/terms/title> \"x\" ."); r.StatusCode != 409 {
		t.Fatalf("PUT of a description without its subject = %d", r.StatusCode)
	}
	put(t, srv, "/photo", "image/png", "PNG")
	subject := rdf.NewIRI(base + "photo")
	title := rdf.Triple{S: subject, P: rdf.NewIRI("http://purl.org/dc/terms/title"), O: rdf.NewLiteral("Cat", "")}
	if r := put(t, srv, "/photo.meta", "text/turtle", `<photo> <http://purl.org/dc/terms/title> "Cat" .`); r.StatusCode != 201 {
		t.Fatalf("PUT description = %d %s", r.StatusCode, readAll(t, r))
	}
	g := graphOf(t, srv, srv.URL+"/photo.meta")
	size := rdf.Triple{S: subject, P: rdf.NewIRI("http://www.w3.org/ns/posix/stat#size"), O: rdf.NewLiteral("3", "http://www.w3.org/2001/XMLSchema#integer")}
	if !g.Has(title) || !g.Has(size) {
		t.Fatalf("description lacks the stored or the server's triples:\n%v", g.Triples())
	}
	etag := do(t, srv, req{method: "GET", path: "/photo.meta"}).Header.Get("ETag")
	// The server's statements cannot be changed or removed through it.
	for name, r := range map[string]req{
		"put other size":  {method: "PUT", path: "/photo.meta", body: `<photo> <http://www.w3.org/ns/posix/stat#size> 99 .`, header: ttl("")},
		"put server type": {method: "PUT", path: "/photo.meta", body: `<photo> a <http://www.w3.org/ns/ldp#Container> .`, header: ttl("")},
		"patch del size":  {method: "PATCH", path: "/photo.meta", body: `DELETE DATA { <photo> <http://www.w3.org/ns/posix/stat#size> 3 . }`, header: map[string]string{"Content-Type": "application/sparql-update"}},
		"patch add mtime": {method: "PATCH", path: "/photo.meta", body: `INSERT DATA { <photo> <http://www.w3.org/ns/posix/stat#mtime> 1 . }`, header: map[string]string{"Content-Type": "application/sparql-update"}},
	} {
		if resp := do(t, srv, r); resp.StatusCode != 409 {
			t.Errorf("%s = %d %s, want 409", name, resp.StatusCode, readAll(t, resp))
		}
	}
	// Its own statements are the client's to patch.
	if r := do(t, srv, req{method: "PATCH", path: "/photo.meta", body: `INSERT DATA { <photo> a <http://schema.org/Photograph> . }`, header: map[string]string{"Content-Type": "application/sparql-update", "If-Match": etag}}); r.StatusCode != 204 {
		t.Fatalf("PATCH of own statements with the served ETag = %d %s", r.StatusCode, readAll(t, r))
	}
	// The description's validator follows its subject.
	before := do(t, srv, req{method: "GET", path: "/photo.meta"}).Header.Get("ETag")
	put(t, srv, "/photo", "image/png", "PNG2")
	if after := do(t, srv, req{method: "GET", path: "/photo.meta"}).Header.Get("ETag"); after == before {
		t.Fatal("description ETag did not change when its subject did")
	}
	// A GET-modify-PUT round trip of the served graph is accepted.
	served := readAll(t, do(t, srv, req{method: "GET", path: "/photo.meta"}))
	if r := put(t, srv, "/photo.meta", "text/turtle", served); r.StatusCode != 204 {
		t.Fatalf("PUT back of the served description = %d %s", r.StatusCode, readAll(t, r))
	}
}

// TestPatchNoChange: a patch that leaves the document as it is writes
// nothing (no commit, so no change event for notifications and module
// reactors), while the client's conditions are still checked as for a
// write.
func TestPatchNoChange(t *testing.T) {
	st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	srv := httptest.NewServer(ldptest.PublicHandler(t, st, res, ldp.Config{BaseURL: base, MaxRDFBody: 1 << 20}))
	t.Cleanup(srv.Close)
	doc := srv.URL + "/p/same.ttl"
	if r := patchN3(t, srv, doc, `_:p a solid:InsertDeletePatch; solid:inserts { ex:a ex:b ex:c. }.`, nil); r.StatusCode != 201 {
		t.Fatalf("creating PATCH = %d %s", r.StatusCode, readAll(t, r))
	}
	etag := do(t, srv, req{method: "GET", path: "/p/same.ttl"}).Header.Get("ETag")
	for _, tc := range []struct {
		name, patch string
		header      map[string]string
		want        int
		same        bool
	}{
		{"swap for the same triple", `_:p a solid:InsertDeletePatch; solid:where { ?x ex:b ?y. }; solid:deletes { ?x ex:b ?y. }; solid:inserts { ?x ex:b ?y. }.`, nil, 204, true},
		{"insert what is there", `_:p a solid:InsertDeletePatch; solid:inserts { ex:a ex:b ex:c. }.`, nil, 204, true},
		{"stale If-Match still fails", `_:p a solid:InsertDeletePatch; solid:inserts { ex:a ex:b ex:c. }.`, map[string]string{"If-Match": `"stale"`}, 412, true},
		{"If-None-Match * still fails", `_:p a solid:InsertDeletePatch; solid:inserts { ex:a ex:b ex:c. }.`, map[string]string{"If-None-Match": "*"}, 412, true},
		{"a real change", `_:p a solid:InsertDeletePatch; solid:inserts { ex:a ex:b ex:d. }.`, nil, 204, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := st.LastSeq()
			r := patchN3(t, srv, doc, tc.patch, tc.header)
			if r.StatusCode != tc.want {
				t.Fatalf("PATCH = %d %s, want %d", r.StatusCode, readAll(t, r), tc.want)
			}
			if after := st.LastSeq(); (before == after) != tc.same {
				t.Fatalf("change log %d -> %d, want unchanged=%v", before, after, tc.same)
			}
		})
	}
	if etag == do(t, srv, req{method: "GET", path: "/p/same.ttl"}).Header.Get("ETag") {
		t.Fatal("the real change kept the ETag")
	}
}
