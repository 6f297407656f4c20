package ldp_test

import (
	"bytes"
	"io"
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

const base = "http://pod.example/"

// newPod serves an LDP handler over a real Badger store in a temp dir.
func newPod(t testing.TB) *httptest.Server {
	t.Helper()
	st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	h := ldptest.PublicHandler(t, st, res, ldp.Config{BaseURL: base, MaxRDFBody: 1 << 20})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

type req struct {
	method, path, body string
	header             map[string]string
}

func do(t testing.TB, srv *httptest.Server, r req) *http.Response {
	t.Helper()
	hr, err := http.NewRequest(r.method, srv.URL+r.path, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if r.body == "" {
		hr.Body = http.NoBody
		hr.ContentLength = 0
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readAll(t testing.TB, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ttl(string) map[string]string { return map[string]string{"Content-Type": "text/turtle"} }

func put(t testing.TB, srv *httptest.Server, path, ct, body string) *http.Response {
	return do(t, srv, req{method: http.MethodPut, path: path, body: body, header: map[string]string{"Content-Type": ct}})
}

func TestStatuses(t *testing.T) {
	srv := newPod(t)
	put(t, srv, "/doc.ttl", "text/turtle", `<#a> <#b> <#c> .`)
	put(t, srv, "/c/child.txt", "text/plain", "hi")
	tests := []struct {
		name string
		r    req
		want int
	}{
		{"put update", req{method: "PUT", path: "/doc.ttl", body: `<#a> <#b> <#d> .`, header: ttl("")}, 204},
		{"put without content type", req{method: "PUT", path: "/x.ttl", body: `<#a> <#b> <#c> .`}, 400},
		{"put bad turtle", req{method: "PUT", path: "/x.ttl", body: `<#a> <#b`, header: ttl("")}, 400},
		{"put garbage content type", req{method: "PUT", path: "/x", body: "x", header: map[string]string{"Content-Type": "///"}}, 400},
		{"put png to container", req{method: "PUT", path: "/c2/", body: "x", header: map[string]string{"Content-Type": "image/png"}}, 415},
		{"put containment", req{method: "PUT", path: "/c/", body: `<> <http://www.w3.org/ns/ldp#contains> <child.txt> .`, header: ttl("")}, 409},
		{"put child type", req{method: "PUT", path: "/c/", body: `<child.txt> a <http://www.w3.org/ns/ldp#Container> .`, header: ttl("")}, 409},
		{"put child metadata", req{method: "PUT", path: "/c/", body: `<child.txt> <http://www.w3.org/ns/posix/stat#size> 3 .`, header: ttl("")}, 409},
		{"put slash twin of document", req{method: "PUT", path: "/doc.ttl/", header: ttl("")}, 409},
		{"put slash twin of container", req{method: "PUT", path: "/c", body: "x", header: map[string]string{"Content-Type": "text/plain"}}, 409},
		{"put under a document", req{method: "PUT", path: "/doc.ttl/x", body: "x", header: map[string]string{"Content-Type": "text/plain"}}, 409},
		{"put acl without subject", req{method: "PUT", path: "/nothing.acl", body: `<#a> <#b> <#c> .`, header: ttl("")}, 409},
		{"put acl of acl", req{method: "PUT", path: "/doc.ttl.acl.acl", body: `<#a> <#b> <#c> .`, header: ttl("")}, 400},
		{"put non-rdf acl", req{method: "PUT", path: "/doc.ttl.acl", body: "x", header: map[string]string{"Content-Type": "text/plain"}}, 415},
		{"put reserved", req{method: "PUT", path: "/.naamio/x", body: "x", header: map[string]string{"Content-Type": "text/plain"}}, 404},
		{"get missing", req{method: "GET", path: "/missing"}, 404},
		{"get twin", req{method: "GET", path: "/doc.ttl/"}, 404},
		{"get dot segment", req{method: "GET", path: "/%2e%2e/doc.ttl"}, 400},
		{"get not acceptable", req{method: "GET", path: "/doc.ttl", header: map[string]string{"Accept": "image/png"}}, 406},
		{"get non-rdf not acceptable", req{method: "GET", path: "/c/child.txt", header: map[string]string{"Accept": "image/png"}}, 406},
		{"post to missing", req{method: "POST", path: "/nope/", body: "x", header: map[string]string{"Content-Type": "text/plain"}}, 404},
		{"post to document", req{method: "POST", path: "/doc.ttl", body: "x", header: map[string]string{"Content-Type": "text/plain"}}, 405},
		{"delete root", req{method: "DELETE", path: "/"}, 405},
		{"delete root acl", req{method: "DELETE", path: "/.acl"}, 405},
		{"delete non-empty", req{method: "DELETE", path: "/c/"}, 409},
		{"delete missing", req{method: "DELETE", path: "/missing"}, 404},
		{"unknown method", req{method: "PROPFIND", path: "/doc.ttl"}, 405},
		{"if-none-match star existing", req{method: "PUT", path: "/doc.ttl", body: `<#a> <#b> <#c> .`, header: map[string]string{"Content-Type": "text/turtle", "If-None-Match": "*"}}, 412},
		{"if-match missing", req{method: "PUT", path: "/new.ttl", body: `<#a> <#b> <#c> .`, header: map[string]string{"Content-Type": "text/turtle", "If-Match": `"abc"`}}, 412},
		{"options", req{method: "OPTIONS", path: "/doc.ttl"}, 204},
		{"storage description", req{method: "GET", path: "/.well-known/solid"}, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(t, srv, tc.r)
			if resp.StatusCode != tc.want {
				t.Fatalf("%s %s = %d (%s), want %d", tc.r.method, tc.r.path, resp.StatusCode, readAll(t, resp), tc.want)
			}
		})
	}
	// Nothing refused above left a trace.
	for _, p := range []string{"/x.ttl", "/x", "/c2/", "/nothing.acl", "/new.ttl", "/c"} {
		if resp := do(t, srv, req{method: "GET", path: p}); resp.StatusCode != 404 {
			t.Errorf("GET %s after refused writes = %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestRDFRoundTrip(t *testing.T) {
	srv := newPod(t)
	body := `@prefix foaf: <http://xmlns.com/foaf/0.1/> . <#me> foaf:name "Ålice 100%"@en ; foaf:knows <http://other.example/p%20q#x> .`
	if resp := put(t, srv, "/profile", "text/turtle", body); resp.StatusCode != 201 {
		t.Fatalf("PUT = %d", resp.StatusCode)
	}
	want, err := rdf.Parse(strings.NewReader(body), rdf.MediaTurtle, base+"profile", rdf.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	etags := map[string]bool{}
	for _, mt := range []string{rdf.MediaTurtle, rdf.MediaJSONLD, rdf.MediaNTriples} {
		resp := do(t, srv, req{method: "GET", path: "/profile", header: map[string]string{"Accept": mt}})
		if ct := resp.Header.Get("Content-Type"); ct != mt {
			t.Fatalf("Accept %s gave Content-Type %s", mt, ct)
		}
		etags[resp.Header.Get("ETag")] = true
		got, err := rdf.Parse(resp.Body, mt, base+"profile", rdf.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", mt, err)
		}
		if same, err := rdf.Isomorphic(got, want); err != nil || !same {
			t.Fatalf("%s representation differs from what was PUT (%v)", mt, err)
		}
		// The same representation twice is the same bytes.
		a := readAll(t, do(t, srv, req{method: "GET", path: "/profile", header: map[string]string{"Accept": mt}}))
		b := readAll(t, do(t, srv, req{method: "GET", path: "/profile", header: map[string]string{"Accept": mt}}))
		if a != b {
			t.Fatalf("%s output is not stable", mt)
		}
	}
	if len(etags) != 3 {
		t.Fatalf("representations share validators: %v", etags)
	}
	// JSON-LD in, same graph out.
	jsonld := `{"@id": "http://pod.example/j#x", "http://xmlns.com/foaf/0.1/name": "J"}`
	if resp := put(t, srv, "/j", "application/ld+json", jsonld); resp.StatusCode != 201 {
		t.Fatalf("PUT JSON-LD = %d", resp.StatusCode)
	}
	nt := readAll(t, do(t, srv, req{method: "GET", path: "/j", header: map[string]string{"Accept": "application/n-triples"}}))
	if strings.TrimSpace(nt) != `<http://pod.example/j#x> <http://xmlns.com/foaf/0.1/name> "J" .` {
		t.Fatalf("JSON-LD round trip gave %q", nt)
	}
}

func TestBinaryByteForByte(t *testing.T) {
	srv := newPod(t)
	data := make([]byte, 300_000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	hr, _ := http.NewRequest("PUT", srv.URL+"/bin/blob", bytes.NewReader(data))
	hr.Header.Set("Content-Type", "application/x-thing; v=1")
	resp, err := srv.Client().Do(hr)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("PUT = %v, %v", resp, err)
	}
	etag := resp.Header.Get("ETag")
	get := do(t, srv, req{method: "GET", path: "/bin/blob"})
	got, _ := io.ReadAll(get.Body)
	if !bytes.Equal(got, data) || get.Header.Get("Content-Type") != "application/x-thing; v=1" || get.Header.Get("ETag") != etag {
		t.Fatalf("got %d bytes, %s, %s; want %d, etag %s", len(got), get.Header.Get("Content-Type"), get.Header.Get("ETag"), len(data), etag)
	}
	head := do(t, srv, req{method: "HEAD", path: "/bin/blob"})
	if head.ContentLength != int64(len(data)) {
		t.Fatalf("HEAD Content-Length = %d", head.ContentLength)
	}
	if r := do(t, srv, req{method: "GET", path: "/bin/blob", header: map[string]string{"If-None-Match": etag}}); r.StatusCode != 304 {
		t.Fatalf("If-None-Match = %d", r.StatusCode)
	}
}

func TestPostAndSlug(t *testing.T) {
	srv := newPod(t)
	put(t, srv, "/c/", "text/turtle", "")
	post := func(slug string, container bool) string {
		h := map[string]string{"Content-Type": "text/plain", "Slug": slug}
		body := "x"
		if container {
			h = map[string]string{"Slug": slug, "Link": `<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"`}
			body = ""
		}
		resp := do(t, srv, req{method: "POST", path: "/c/", body: body, header: h})
		if resp.StatusCode != 201 {
			t.Fatalf("POST slug %q = %d %s", slug, resp.StatusCode, readAll(t, resp))
		}
		return strings.TrimPrefix(resp.Header.Get("Location"), base)
	}
	if got := post("note", false); got != "c/note" {
		t.Fatalf("Location %q", got)
	}
	if got := post("note", false); !strings.HasPrefix(got, "c/note-") {
		t.Fatalf("second note went to %q", got)
	}
	if got := post("album", true); got != "c/album/" {
		t.Fatalf("container Location %q", got)
	}
	for _, slug := range []string{"../../x", ".acl", "a/b", "x.meta", strings.Repeat("z", 10_000), "a%00b"} {
		loc := post(slug, false)
		name := strings.TrimPrefix(loc, "c/")
		if strings.Contains(name, "/") || strings.HasSuffix(name, ".acl") || strings.HasSuffix(name, ".meta") || len(name) > 200 {
			t.Errorf("slug %q gave unsafe %q", slug, loc)
		}
	}
}

func TestAuxiliaryResources(t *testing.T) {
	srv := newPod(t)
	put(t, srv, "/d/doc", "text/plain", "x")
	for _, p := range []string{"/d/doc.acl", "/d/doc.meta", "/d/.acl"} {
		body := `<#a> <#b> <#c> .`
		switch p {
		case "/d/.acl":
			body = ldptest.PublicRootACL
		case "/d/doc.acl":
			body = strings.ReplaceAll(strings.ReplaceAll(ldptest.PublicRootACL, "<./>", "<doc>"), "acl:default <doc> ;", "")
		}
		if r := put(t, srv, p, "text/turtle", body); r.StatusCode != 201 {
			t.Fatalf("PUT %s = %d", p, r.StatusCode)
		}
	}
	listing := readAll(t, do(t, srv, req{method: "GET", path: "/d/", header: map[string]string{"Accept": "application/n-triples"}}))
	if strings.Contains(listing, ".acl") || strings.Contains(listing, ".meta") {
		t.Fatalf("auxiliary resources listed:\n%s", listing)
	}
	meta := do(t, srv, req{method: "GET", path: "/d/doc.meta"})
	if !strings.Contains(meta.Header.Get("Link"), `<`+base+`d/doc>; rel="describes"`) {
		t.Fatalf("description resource Link: %s", meta.Header.Get("Link"))
	}
	if r := do(t, srv, req{method: "DELETE", path: "/d/doc"}); r.StatusCode != 204 {
		t.Fatalf("DELETE = %d", r.StatusCode)
	}
	for _, p := range []string{"/d/doc.acl", "/d/doc.meta"} {
		if r := do(t, srv, req{method: "GET", path: p}); r.StatusCode != 404 {
			t.Fatalf("%s survived its subject: %d", p, r.StatusCode)
		}
	}
	// The container holds only its own ACL, so it is empty and deletable; the ACL goes with it.
	if r := do(t, srv, req{method: "DELETE", path: "/d/"}); r.StatusCode != 204 {
		t.Fatalf("DELETE container = %d %s", r.StatusCode, readAll(t, r))
	}
	if r := do(t, srv, req{method: "GET", path: "/d/.acl"}); r.StatusCode != 404 {
		t.Fatalf("container ACL survived: %d", r.StatusCode)
	}
}

// SECURITY row 10: two writers with the same If-Match, exactly one wins.
func TestConcurrentIfMatch(t *testing.T) {
	srv := newPod(t)
	put(t, srv, "/r", "text/plain", "v0")
	etag := do(t, srv, req{method: "GET", path: "/r"}).Header.Get("ETag")
	const n = 8
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hr, _ := http.NewRequest("PUT", srv.URL+"/r", strings.NewReader("v"+string(rune('a'+i))))
			hr.Header.Set("Content-Type", "text/plain")
			hr.Header.Set("If-Match", etag)
			resp, err := srv.Client().Do(hr)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	wins := 0
	for _, c := range codes {
		switch c {
		case 204:
			wins++
		case 412:
		default:
			t.Fatalf("unexpected status %d", c)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers won with the same If-Match, want 1 (%v)", wins, codes)
	}
}

func TestHeaders(t *testing.T) {
	srv := newPod(t)
	root := do(t, srv, req{method: "GET", path: "/"})
	link := root.Header.Get("Link")
	for _, want := range []string{
		`<http://www.w3.org/ns/pim/space#Storage>; rel="type"`,
		`<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"`,
		`<` + base + `.acl>; rel="acl"`,
		`<` + base + `.well-known/solid>; rel="http://www.w3.org/ns/solid/terms#storageDescription"`,
	} {
		if !strings.Contains(link, want) {
			t.Errorf("root Link lacks %s: %s", want, link)
		}
	}
	if a := root.Header.Get("Allow"); strings.Contains(a, "DELETE") || !strings.Contains(a, "POST") {
		t.Errorf("root Allow = %q", a)
	}
	for _, h := range []string{"ETag", "Last-Modified", "Accept-Post", "Accept-Put", "Vary", "WAC-Allow"} {
		if root.Header.Get(h) == "" {
			t.Errorf("root lacks %s", h)
		}
	}
	if e := root.Header.Get("ETag"); !strings.HasPrefix(e, `"`) {
		t.Errorf("ETag %q is not strong", e)
	}
	// The root's ETag changes when a child is added.
	put(t, srv, "/new", "text/plain", "x")
	if e := do(t, srv, req{method: "GET", path: "/"}).Header.Get("ETag"); e == root.Header.Get("ETag") {
		t.Error("container ETag did not change when a child was added")
	}
}

// A pod root named by Config.StorageRoot is a storage root like "/": typed
// pim:Storage in its Link header, its listing and its parent's, and not
// deletable, nor is its ACL (Solid Protocol server-storage-link,
// server-delete-protect-root-container).
func TestPodStorageRoot(t *testing.T) {
	st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	h := ldptest.PublicHandler(t, st, res, ldp.Config{
		BaseURL:     base,
		StorageRoot: func(p string) bool { return p == "/alice/" },
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	const storageLink = `<http://www.w3.org/ns/pim/space#Storage>; rel="type"`
	storage := rdf.Triple{S: rdf.NewIRI(base + "alice/"), P: rdf.NewIRI(rdf.RDFNS + "type"), O: rdf.NewIRI("http://www.w3.org/ns/pim/space#Storage")}
	graphOf := func(path string) *rdf.Graph {
		t.Helper()
		r := do(t, srv, req{method: "GET", path: path, header: map[string]string{"Accept": "text/turtle"}})
		if r.StatusCode != 200 {
			t.Fatalf("GET %s = %d", path, r.StatusCode)
		}
		g, err := rdf.Parse(strings.NewReader(readAll(t, r)), rdf.MediaTurtle, base+path[1:], rdf.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}

	put(t, srv, "/alice/doc", "text/plain", "x")
	put(t, srv, "/bob/doc", "text/plain", "x")
	put(t, srv, "/alice/.acl", "text/turtle", ldptest.PublicRootACL)
	put(t, srv, "/alice/.meta", "text/turtle", `<#a> <#b> <#c> .`)
	// A client's own pim:Storage in the body is dropped like every server type.
	if r := put(t, srv, "/alice/", "text/turtle", `<> a <http://www.w3.org/ns/pim/space#Storage> ; <#p> <#o> .`); r.StatusCode != 204 {
		t.Fatalf("PUT pod root = %d %s", r.StatusCode, readAll(t, r))
	}

	alice := do(t, srv, req{method: "GET", path: "/alice/"})
	if l := alice.Header.Get("Link"); !strings.Contains(l, storageLink) {
		t.Errorf("pod root Link lacks pim:Storage: %s", l)
	}
	if a := alice.Header.Get("Allow"); strings.Contains(a, "DELETE") {
		t.Errorf("pod root Allow = %q", a)
	}
	if l := do(t, srv, req{method: "GET", path: "/bob/"}).Header.Get("Link"); strings.Contains(l, storageLink) {
		t.Errorf("plain container typed pim:Storage: %s", l)
	}
	for _, path := range []string{"/alice/", "/", "/alice/.meta"} {
		if !graphOf(path).Has(storage) {
			t.Errorf("%s does not state that /alice/ is a pim:Storage", path)
		}
	}
	if r := do(t, srv, req{method: "PATCH", path: "/alice/", body: `@prefix solid: <http://www.w3.org/ns/solid/terms#> .
_:p a solid:InsertDeletePatch ; solid:deletes { <> a <http://www.w3.org/ns/pim/space#Storage> . } .`,
		header: map[string]string{"Content-Type": "text/n3"}}); r.StatusCode != 409 {
		t.Errorf("PATCH deleting pim:Storage = %d, want 409", r.StatusCode)
	}

	for _, c := range []struct {
		path string
		want int
	}{
		{"/alice/doc", 204},
		{"/alice/", 405},
		{"/alice/.acl", 405},
		{"/bob/doc", 204},
		{"/bob/", 204},
	} {
		if r := do(t, srv, req{method: "DELETE", path: c.path}); r.StatusCode != c.want {
			t.Errorf("DELETE %s = %d, want %d", c.path, r.StatusCode, c.want)
		}
	}
}
