package ldp_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
)

// SECURITY row 15 (issue 10 item 7): memory is bounded by the triple
// count of a document and by a server-wide budget for RDF work.

func newLimitedPod(t *testing.T, cfg ldp.Config) *httptest.Server {
	t.Helper()
	st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	cfg.BaseURL = base
	srv := httptest.NewServer(ldptest.PublicHandler(t, st, res, cfg))
	t.Cleanup(srv.Close)
	return srv
}

// triplesTurtle is a Turtle body of n distinct triples.
func triplesTurtle(n int) string {
	var b strings.Builder
	b.WriteString("<#s> <#p> 0")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, ", %d", i)
	}
	b.WriteString(" .\n")
	return b.String()
}

func TestSecurityRow15TripleLimit(t *testing.T) {
	const limit = 50
	srv := newLimitedPod(t, ldp.Config{MaxRDFTriples: limit})
	put(t, srv, "/d/seed.ttl", "text/turtle", triplesTurtle(limit-5))
	nt := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "<http://e/s> <http://e/p> \"%d\" .\n", i)
		}
		return b.String()
	}
	jsonld := func(n int) string {
		vals := make([]string, n)
		for i := range vals {
			vals[i] = fmt.Sprint(i)
		}
		return `{"@id": "http://e/s", "http://e/p": [` + strings.Join(vals, ",") + `]}`
	}
	n3Insert := func(n int) string {
		var b strings.Builder
		b.WriteString("@prefix solid: <http://www.w3.org/ns/solid/terms#>.\n_:p a solid:InsertDeletePatch; solid:inserts {")
		for i := range n {
			fmt.Fprintf(&b, " <#s> <#q> %d.", i)
		}
		b.WriteString(" }.")
		return b.String()
	}
	cases := []struct {
		name, method, path, ct, body string
		gone                         string // must not exist afterwards ("" none)
	}{
		{"put turtle", "PUT", "/d/big.ttl", "text/turtle", triplesTurtle(limit + 1), "/d/big.ttl"},
		{"put n-triples", "PUT", "/d/big.nt", "application/n-triples", nt(limit + 1), "/d/big.nt"},
		{"put json-ld", "PUT", "/d/big.jsonld", "application/ld+json", jsonld(limit + 1), "/d/big.jsonld"},
		{"put container", "PUT", "/d/c/", "text/turtle", triplesTurtle(limit + 1), "/d/c/"},
		{"post turtle", "POST", "/d/", "text/turtle", triplesTurtle(limit + 1), ""},
		{"patch body over the limit, new", "PATCH", "/d/new.ttl", "text/n3", n3Insert(limit + 1), "/d/new.ttl"},
		{"patch result over the limit", "PATCH", "/d/seed.ttl", "text/n3", n3Insert(10), ""},
		{"sparql result over the limit", "PATCH", "/d/seed.ttl", "application/sparql-update",
			"INSERT DATA { <#s> <#r> 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, srv, req{method: c.method, path: c.path, body: c.body, header: map[string]string{"Content-Type": c.ct}})
			if r.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("want 413, got %d: %s", r.StatusCode, readAll(t, r))
			}
			if c.gone != "" {
				if r := do(t, srv, req{method: "GET", path: c.gone}); r.StatusCode != http.StatusNotFound {
					t.Errorf("GET %s after a refused write: %d", c.gone, r.StatusCode)
				}
			}
		})
	}
	// Nothing was stored: the listing has only the seed, which is unchanged.
	body := readAll(t, do(t, srv, req{method: "GET", path: "/d/", header: map[string]string{"Accept": "application/n-triples"}}))
	if n := strings.Count(body, "http://www.w3.org/ns/ldp#contains"); n != 1 {
		t.Errorf("listing has %d children after refused writes:\n%s", n, body)
	}
	seed := readAll(t, do(t, srv, req{method: "GET", path: "/d/seed.ttl", header: map[string]string{"Accept": "application/n-triples"}}))
	if n := strings.Count(seed, "\n"); n != limit-5 {
		t.Errorf("seed has %d triples, want %d", n, limit-5)
	}
	// At the limit is fine.
	if r := put(t, srv, "/d/full.ttl", "text/turtle", triplesTurtle(limit)); r.StatusCode != http.StatusCreated {
		t.Errorf("PUT of %d triples: %d %s", limit, r.StatusCode, readAll(t, r))
	}
}

// The storage description states the triple limit next to the body limit.
func TestSecurityRow15DescriptionStatesTripleLimit(t *testing.T) {
	srv := newLimitedPod(t, ldp.Config{MaxRDFTriples: 1234})
	body := readAll(t, do(t, srv, req{method: "GET", path: "/.well-known/solid", header: map[string]string{"Accept": "application/n-triples"}}))
	want := `<https://naamio.org/ns#maxRdfTriples> "1234"^^<http://www.w3.org/2001/XMLSchema#integer>`
	if !strings.Contains(body, want) {
		t.Errorf("storage description lacks %s:\n%s", want, body)
	}
}

// A request that cannot get its share of the RDF memory budget within the
// wait is refused with 503 and Retry-After, and stores nothing; once the
// budget is free again, writes go through.
func TestSecurityRow15BudgetExhausted(t *testing.T) {
	srv := newLimitedPod(t, ldp.Config{RDFMemory: 1 << 20, RDFWait: 200 * time.Millisecond})
	put(t, srv, "/e/doc.ttl", "text/turtle", "<#a> <#b> <#c> .")
	// A chunked PUT whose body does not arrive holds the whole budget
	// (its size is unknown, so it reserves for the largest body).
	pr, pw := io.Pipe()
	slow, err := http.NewRequest(http.MethodPut, srv.URL+"/d/slow.ttl", pr)
	if err != nil {
		t.Fatal(err)
	}
	slow.Header.Set("Content-Type", "text/turtle")
	done := make(chan int, 1)
	go func() {
		resp, err := srv.Client().Do(slow)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	if _, err := pw.Write([]byte("<#a> <#b> ")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the slow PUT is reading its body
	for _, c := range []struct{ method, path, ct, body string }{
		{"PUT", "/d/x.ttl", "text/turtle", "<#a> <#b> <#c> ."},
		{"POST", "/", "text/turtle", "<#a> <#b> <#c> ."},
		{"PATCH", "/d/y.ttl", "text/n3", "@prefix solid: <http://www.w3.org/ns/solid/terms#>.\n_:p a solid:InsertDeletePatch; solid:inserts { <#a> <#b> 1 }."},
	} {
		r := do(t, srv, req{method: c.method, path: c.path, body: c.body, header: map[string]string{"Content-Type": c.ct}})
		if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s with the budget spent: %d, Retry-After %q", c.method, c.path, r.StatusCode, r.Header.Get("Retry-After"))
		}
	}
	for _, p := range []string{"/d/x.ttl", "/d/y.ttl"} {
		if r := do(t, srv, req{method: "GET", path: p}); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s after a 503: %d", p, r.StatusCode)
		}
	}
	// Rendering a stored graph in another media type waits for the budget
	// too; the stored Turtle is served as it is.
	r := do(t, srv, req{method: "GET", path: "/e/doc.ttl", header: map[string]string{"Accept": "application/ld+json"}})
	if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Errorf("GET as JSON-LD with the budget spent: %d, Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if r := do(t, srv, req{method: "GET", path: "/e/doc.ttl", header: map[string]string{"Accept": "text/turtle"}}); r.StatusCode != http.StatusOK {
		t.Errorf("GET as Turtle with the budget spent: %d", r.StatusCode)
	}
	// Binary bodies do not wait for the RDF budget.
	if r := put(t, srv, "/d/blob.bin", "application/octet-stream", "bytes"); r.StatusCode != http.StatusCreated {
		t.Errorf("binary PUT while the RDF budget is spent: %d", r.StatusCode)
	}
	if _, err := pw.Write([]byte("<#c> .")); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if code := <-done; code != http.StatusCreated {
		t.Errorf("slow PUT: %d", code)
	}
	if r := put(t, srv, "/d/x.ttl", "text/turtle", "<#a> <#b> <#c> ."); r.StatusCode != http.StatusCreated {
		t.Errorf("PUT after the budget was returned: %d", r.StatusCode)
	}
	if r := do(t, srv, req{method: "GET", path: "/e/doc.ttl", header: map[string]string{"Accept": "application/ld+json"}}); r.StatusCode != http.StatusOK {
		t.Errorf("GET as JSON-LD after the budget was returned: %d", r.StatusCode)
	}
}
