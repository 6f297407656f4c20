package conformance

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SECURITY row 15 (issue 10 item 7): memory is bounded by RDF body size.
// A document has at most --max-rdf-triples triples (413 above, stated in
// the storage description), and RDF work shares the --rdf-memory budget
// (503 with Retry-After once a request has waited for its share).

// triplesBody is a Turtle body of n distinct triples.
func triplesBody(n int) []byte {
	var b strings.Builder
	b.WriteString("<#s> <#p> 0")
	for i := 1; i < n; i++ {
		b.WriteString(", " + strconv.Itoa(i))
	}
	b.WriteString(" .\n")
	return []byte(b.String())
}

func TestSecurityRow15RDFLimits(t *testing.T) {
	requirement(t, "security-row-15-default-triple-limit-reported", func(t *testing.T) {
		if n, ok := storageInt(t, srv, "maxRdfTriples"); !ok || n != 200_000 {
			t.Errorf("maxRdfTriples %d (present %v), want the default 200000", n, ok)
		}
	})

	requirement(t, "security-row-15-triple-limit-and-budget", func(t *testing.T) {
		t.Parallel()
		const limit = 1000
		s := startLimited(t, "--max-rdf-triples", strconv.Itoa(limit), "--rdf-memory", "1MiB")
		if n, ok := storageInt(t, s, "maxRdfTriples"); !ok || n != limit {
			t.Errorf("maxRdfTriples %d (present %v), want %d", n, ok, limit)
		}
		// Over the limit: 413 and nothing stored, for every way in.
		expect(t, s.do(t, http.MethodPut, "/r/big.ttl", triplesBody(limit+1), "Content-Type", ctTurtle), http.StatusRequestEntityTooLarge)
		expect(t, s.do(t, http.MethodGet, "/r/big.ttl", nil), http.StatusNotFound)
		expect(t, s.do(t, http.MethodPost, "/", triplesBody(limit+1), "Content-Type", ctTurtle), http.StatusRequestEntityTooLarge)
		s.put(t, "/r/doc.ttl", ctTurtle, triplesBody(limit-2))
		before := s.snapshot(t, "/r/doc.ttl")
		grow := n3Doc(`solid:inserts { <#s> ex:q 1, 2, 3 }`)
		expect(t, s.patch(t, "/r/doc.ttl", ctN3, grow), http.StatusRequestEntityTooLarge)
		expect(t, s.patch(t, "/r/doc.ttl", ctSPARQL, []byte(`INSERT DATA { <#s> <http://e/q> 1, 2, 3 }`)), http.StatusRequestEntityTooLarge)
		s.unchanged(t, "/r/doc.ttl", before, "PATCH past the triple limit")
		expect(t, s.patch(t, "/r/doc.ttl", ctN3, n3Doc(`solid:inserts { <#s> ex:q 1 }`)), updated...)
		if kids := s.children(t, "/r/"); len(kids) != 1 {
			t.Errorf("refused writes changed the listing: %v", kids)
		}

		// A chunked PUT whose body stalls holds the whole 1 MiB budget
		// (its length is unknown, so it reserves for the largest body).
		pr, pw := io.Pipe()
		head := fmt.Sprintf("PUT /r/slow.ttl HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", s.addr, ctTurtle)
		slow := make(chan rawResult, 1)
		go func() { slow <- s.raw(head, chunked(pr), 60*time.Second) }()
		if _, err := pw.Write([]byte("<#a> <#b> ")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		start := time.Now()
		r := s.do(t, http.MethodPut, "/r/waits.ttl", []byte(`<#a> <#b> <#c> .`), "Content-Type", ctTurtle)
		if expect(t, r, http.StatusServiceUnavailable) && r.Header.Get("Retry-After") == "" {
			t.Errorf("503 without Retry-After")
		}
		t.Logf("refused after waiting %s", time.Since(start).Round(100*time.Millisecond))
		expect(t, s.do(t, http.MethodGet, "/r/waits.ttl", nil), http.StatusNotFound)
		// Reads of stored Turtle and binary writes do not wait.
		expect(t, s.do(t, http.MethodGet, "/r/doc.ttl", nil, "Accept", ctTurtle), http.StatusOK)
		expect(t, s.do(t, http.MethodPut, "/r/blob.bin", []byte("bytes"), "Content-Type", "application/octet-stream"), http.StatusCreated)
		// The slow body ends: it is stored, the budget is returned, and
		// RDF writes go through again.
		if _, err := pw.Write([]byte("<#c> .")); err != nil {
			t.Fatal(err)
		}
		pw.Close()
		if res := <-slow; res.resp == nil || res.resp.StatusCode != http.StatusCreated {
			t.Errorf("slow PUT: %s", describe(res))
		}
		expect(t, s.do(t, http.MethodPut, "/r/waits.ttl", []byte(`<#a> <#b> <#c> .`), "Content-Type", ctTurtle), http.StatusCreated)
	})
}
