package conformance

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Configured limits: --max-rdf-body (413 above, PATCH bodies included) and
// --quota (507 when a write would take stored bytes over it, nothing
// stored), both reported in the storage description.

const naamioNS = "https://naamio.org/ns#"

// storageInt reads `<root> <naamio:name> N` from /.well-known/solid.
func storageInt(t *testing.T, s *server, name string) (int64, bool) {
	t.Helper()
	g, _ := s.fetchGraph(t, "/.well-known/solid")
	ts := g.match(iri(s.url("/")), iri(naamioNS+name), term{})
	if len(ts) == 0 {
		return 0, false
	}
	if len(ts) > 1 {
		t.Errorf("%s: %d values: %v", name, len(ts), ts)
	}
	o := ts[0].o
	if o.kind != 'L' || o.dt != xsdNS+"integer" {
		t.Errorf("%s: want an xsd:integer, got %s", name, o)
	}
	n, err := strconv.ParseInt(o.value, 10, 64)
	if err != nil {
		t.Errorf("%s: %q: %v", name, o.value, err)
	}
	return n, true
}

// startLimited starts an extra server with flags; it is stopped at the end
// of the test.
func startLimited(t *testing.T, flags ...string) *server {
	t.Helper()
	s, err := startServer(naamioBin, filepath.Join(t.TempDir(), "data"), flags...)
	if err != nil {
		t.Fatalf("server with %v: %v", flags, err)
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("stop: %v\n%s", err, s.logTail())
		}
	})
	return s
}

func TestLimits(t *testing.T) {
	requirement(t, "limits-default-reported", func(t *testing.T) {
		n, ok := storageInt(t, srv, "maxRdfBodyBytes")
		if !ok || n != defaultMaxRDFBody {
			t.Errorf("maxRdfBodyBytes: %d (present %v), want %d", n, ok, defaultMaxRDFBody)
		}
		// Without --quota, usage may or may not be reported; if it is, it
		// counts stored bodies.
		dir := fresh(t.Name())
		srv.put(t, dir+"blob.bin", "application/octet-stream", bytes.Repeat([]byte{5}, 12345))
		if u, ok := storageInt(t, srv, "usedBytes"); ok && u < 12345 {
			t.Errorf("usedBytes %d with a 12,345-byte body stored", u)
		}
	})

	requirement(t, "limits-max-rdf-body", func(t *testing.T) {
		t.Parallel()
		const limit = 4096
		s := startLimited(t, "--max-rdf-body", strconv.Itoa(limit))
		if n, ok := storageInt(t, s, "maxRdfBodyBytes"); !ok || n != limit {
			t.Errorf("maxRdfBodyBytes %d (present %v), want %d", n, ok, limit)
		}
		// turtle builds a Turtle body of about size bytes.
		turtle := func(size int) []byte {
			var b bytes.Buffer
			for i := 0; b.Len() < size-40; i++ {
				fmt.Fprintf(&b, "<#s> <#p> \"%06d\" .\n", i)
			}
			return b.Bytes()
		}
		s.put(t, "/d/small.ttl", ctTurtle, turtle(limit-200))
		expect(t, s.do(t, http.MethodPut, "/d/big.ttl", turtle(limit+200), "Content-Type", ctTurtle), http.StatusRequestEntityTooLarge)
		expect(t, s.do(t, http.MethodPost, "/d/", turtle(limit+200), "Content-Type", ctTurtle), http.StatusRequestEntityTooLarge)
		expect(t, s.do(t, http.MethodGet, "/d/big.ttl", nil), http.StatusNotFound)
		// PATCH bodies count too, in both languages.
		before := s.snapshot(t, "/d/small.ttl")
		pad := strings.Repeat("x", limit)
		for name, c := range map[string]struct{ ct, body string }{
			"n3":     {ctN3, string(n3Doc(`solid:inserts { <#s> ex:big "` + pad + `" }`))},
			"sparql": {ctSPARQL, `INSERT DATA { <#s> <http://example.org/big> "` + pad + `" }`},
		} {
			r := s.patch(t, "/d/small.ttl", c.ct, []byte(c.body))
			if !expect(t, r, http.StatusRequestEntityTooLarge) {
				t.Logf("%s patch of %d bytes", name, len(c.body))
			}
			expect(t, s.patch(t, "/d/new-"+name+".ttl", c.ct, []byte(c.body)), http.StatusRequestEntityTooLarge)
			expect(t, s.do(t, http.MethodGet, "/d/new-"+name+".ttl", nil), http.StatusNotFound)
		}
		s.unchanged(t, "/d/small.ttl", before, "PATCH over the RDF limit")
		// A chunked RDF body without Content-Length is cut off as well.
		head := fmt.Sprintf("PUT /d/chunked.ttl HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", s.addr, ctTurtle)
		res := s.raw(head, chunked(bytes.NewReader(turtle(limit*4))), 20*time.Second)
		if res.resp == nil || res.resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked RDF over the limit: %s", describe(res))
		}
		expect(t, s.do(t, http.MethodGet, "/d/chunked.ttl", nil), http.StatusNotFound)
		// Small patches and non-RDF bodies are not limited by it.
		expect(t, s.patch(t, "/d/small.ttl", ctN3, n3Doc(`solid:inserts { <#s> ex:ok 1 }`)), updated...)
		s.put(t, "/d/blob.bin", "application/octet-stream", bytes.Repeat([]byte{7}, 10*limit))
		if kids := s.children(t, "/d/"); len(kids) != 2 {
			t.Errorf("want small.ttl and blob.bin, got %v", kids)
		}
	})

	requirement(t, "limits-quota", func(t *testing.T) {
		t.Parallel()
		const quota = 1_000_000
		s, err := startServer(naamioBin, filepath.Join(t.TempDir(), "data"), "--quota", strconv.Itoa(quota))
		if err != nil {
			t.Fatalf("server with --quota: %v", err)
		}
		t.Cleanup(func() {
			if !s.exited() {
				if err := s.stop(); err != nil {
					t.Errorf("stop: %v\n%s", err, s.logTail())
				}
			}
		})
		if q, ok := storageInt(t, s, "quotaBytes"); !ok || q != quota {
			t.Errorf("quotaBytes %d (present %v), want %d", q, ok, quota)
		}
		used := func() int64 {
			t.Helper()
			u, ok := storageInt(t, s, "usedBytes")
			if !ok {
				t.Fatalf("no usedBytes in the storage description")
			}
			return u
		}
		u0 := used()
		if u0 < 0 || u0 > quota/10 {
			t.Fatalf("usedBytes %d on an empty storage", u0)
		}
		s.put(t, "/q/a.bin", "application/octet-stream", bytes.Repeat([]byte{1}, 400_000))
		u1 := used()
		if u1-u0 < 400_000 || u1 > quota {
			t.Errorf("usedBytes %d → %d after a 400,000-byte PUT", u0, u1)
		}
		listing := s.children(t, "/q/")
		// Writes that would go over: refused, nothing stored, usage unchanged.
		big := bytes.Repeat([]byte{2}, 700_000)
		expect(t, s.do(t, http.MethodPut, "/q/b.bin", big, "Content-Type", "application/octet-stream"), http.StatusInsufficientStorage)
		expect(t, s.do(t, http.MethodPost, "/q/", big, "Content-Type", "application/octet-stream"), http.StatusInsufficientStorage)
		expect(t, s.do(t, http.MethodPut, "/q/deep/er/b.bin", big, "Content-Type", "application/octet-stream"), http.StatusInsufficientStorage)
		// RDF is stored in the server's own form, so the body is built from
		// 1.28 MB of distinct hex literals (640 KB of entropy) that no encoding can
		// store in the 600 KB left.
		var nt bytes.Buffer
		for _, l := range noise(20_000) {
			fmt.Fprintf(&nt, "<http://e/s> <http://e/p> \"%s\" .\n", l)
		}
		expect(t, s.do(t, http.MethodPut, "/q/b.nt", nt.Bytes(), "Content-Type", ctNTriples), http.StatusInsufficientStorage)
		head := fmt.Sprintf("PUT /q/c.bin HTTP/1.1\r\nHost: %s\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", s.addr)
		res := s.raw(head, chunked(bytes.NewReader(big)), 20*time.Second)
		if res.resp == nil || res.resp.StatusCode != http.StatusInsufficientStorage {
			t.Errorf("chunked PUT over quota: %s", describe(res))
		}
		for _, p := range []string{"/q/b.bin", "/q/b.nt", "/q/c.bin", "/q/deep/"} {
			expect(t, s.do(t, http.MethodGet, p, nil), http.StatusNotFound)
		}
		if after := s.children(t, "/q/"); len(after) != len(listing) {
			t.Errorf("refused writes changed the listing: %v → %v", listing, after)
		}
		if u := used(); u != u1 {
			t.Errorf("usedBytes %d → %d after refused writes", u1, u)
		}
		// A PATCH that grows a document over the quota is refused too.
		s.put(t, "/q/doc.ttl", ctTurtle, []byte(`<#a> <#b> "c" .`))
		before := s.snapshot(t, "/q/doc.ttl")
		var grow strings.Builder
		grow.WriteString("INSERT DATA {\n")
		for _, l := range noise(20_000) {
			grow.WriteString(`<#a> <http://e/big> "` + l + "\" .\n")
		}
		grow.WriteString("}")
		expect(t, s.patch(t, "/q/doc.ttl", ctSPARQL, []byte(grow.String())), http.StatusInsufficientStorage)
		s.unchanged(t, "/q/doc.ttl", before, "PATCH over quota")
		expect(t, s.patch(t, "/q/new.ttl", ctSPARQL, []byte(grow.String())), http.StatusInsufficientStorage)
		expect(t, s.do(t, http.MethodGet, "/q/new.ttl", nil), http.StatusNotFound)
		// Replacing a resource counts only the difference.
		r := s.do(t, http.MethodPut, "/q/a.bin", bytes.Repeat([]byte{3}, 800_000), "Content-Type", "application/octet-stream")
		if expect(t, r, updated...) {
			if u := used(); u > quota || u-u0 < 800_000 {
				t.Errorf("usedBytes %d after replacing with 800,000 bytes", u)
			}
		}
		// Deleting frees the space again.
		mustStatus(t, s.do(t, http.MethodDelete, "/q/a.bin", nil), deleted...)
		u2 := used()
		if u2 >= u1 {
			t.Errorf("usedBytes %d → %d after DELETE", u1, u2)
		}
		s.put(t, "/q/b.bin", "application/octet-stream", big)
		if r := s.do(t, http.MethodGet, "/q/b.bin", nil); !bytes.Equal(r.body, big) {
			t.Errorf("PUT after freeing space: %d bytes back", len(r.body))
		}
		// Restart: usage survives and the quota still holds.
		if err := s.stop(); err != nil {
			t.Fatalf("stop: %v", err)
		}
		s2, err := restartServer(s, "--quota", strconv.Itoa(quota))
		if err != nil {
			t.Fatal(err)
		}
		s = s2
		if u := used(); u < int64(len(big)) {
			t.Errorf("usedBytes %d after restart, want at least %d", u, len(big))
		}
		expect(t, s.do(t, http.MethodPut, "/q/c.bin", big, "Content-Type", "application/octet-stream"), http.StatusInsufficientStorage)
	})
}

// noise returns n distinct 64-character hex strings (256 random-looking
// bits each): 1.28 MB of hex for n = 20,000, at least 640 KB however packed.
func noise(n int) []string {
	out := make([]string, n)
	for i := range out {
		x := uint64(i) * 4
		out[i] = fmt.Sprintf("%016x%016x%016x%016x", splitmix(x), splitmix(x+1), splitmix(x+2), splitmix(x+3))
	}
	return out
}
