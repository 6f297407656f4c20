package conformance

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// SECURITY.md rows 13–16: RDF input.

func TestSecurityRDF(t *testing.T) {
	requirement(t, "security-row-13-deep-nesting", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"seed.txt", "text/plain", []byte("seed"))
		const depth = 100_000
		cases := map[string]struct{ ct, body string }{
			"blank-node-property-lists": {ctTurtle, `<#s> <#p> ` + strings.Repeat(`[ <#p> `, depth) + `"x"` + strings.Repeat(` ]`, depth) + ` .`},
			"collections":               {ctTurtle, `<#s> <#p> ` + strings.Repeat(`( `, depth) + strings.Repeat(`) `, depth) + ` .`},
			"mixed":                     {ctTurtle, `<#s> <#p> ` + strings.Repeat(`( [ <#p> `, depth/2) + `1` + strings.Repeat(` ] )`, depth/2) + ` .`},
			"json-ld-objects":           {ctJSONLD, strings.Repeat(`{"http://e/p": `, depth) + `"x"` + strings.Repeat(`}`, depth)},
			"json-ld-arrays":            {ctJSONLD, `{"@id": "#s", "http://e/p": ` + strings.Repeat(`[`, depth) + `"x"` + strings.Repeat(`]`, depth) + `}`},
			"json-ld-lists":             {ctJSONLD, `{"@id": "#s", "http://e/p": ` + strings.Repeat(`{"@list": [`, depth/2) + `"x"` + strings.Repeat(`]}`, depth/2) + `}`},
		}
		for name, c := range cases {
			start := time.Now()
			r, err := srv.try(http.MethodPut, dir+name, []byte(c.body), "Content-Type", c.ct)
			took := time.Since(start)
			if err != nil {
				t.Errorf("%s: %v (server down?)", name, err)
				continue
			}
			if r.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: want 400, got %s", name, r)
			}
			if took > 5*time.Second {
				t.Errorf("%s: took %v", name, took)
			}
			expect(t, srv.do(t, http.MethodGet, dir+name, nil), http.StatusNotFound)
		}
		expect(t, srv.do(t, http.MethodGet, "/.naamio/health", nil), http.StatusOK)
		// Moderate nesting is ordinary RDF and must still work.
		ok := `<#s> <#p> ` + strings.Repeat(`[ <#p> `, 20) + `"x"` + strings.Repeat(` ]`, 20) + ` .`
		srv.put(t, dir+"moderate.ttl", ctTurtle, []byte(ok))
	})

	requirement(t, "security-row-14-remote-context", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"seed.txt", "text/plain", []byte("seed"))
		// A loopback listener that counts anyone who tries to fetch from it.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var hits atomic.Int64
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				hits.Add(1)
				c.Close()
			}
		}()
		defer l.Close()
		remote := "http://" + l.Addr().String() + "/context.jsonld"
		docs := map[string]string{
			"context-string": `{"@context": "` + remote + `", "@id": "#x", "name": "y"}`,
			"context-array":  `{"@context": [{"ex": "http://e/"}, "` + remote + `"], "@id": "#x", "ex:p": "y"}`,
			"import":         `{"@context": {"@version": 1.1, "@import": "` + remote + `"}, "@id": "#x", "name": "y"}`,
			"nested-context": `{"@id": "#x", "http://e/p": {"@context": "` + remote + `", "name": "z"}}`,
			"scoped-context": `{"@context": {"@version": 1.1, "p": {"@id": "http://e/p", "@context": "` + remote + `"}}, "@id": "#x", "p": {"name": "z"}}`,
		}
		for name, doc := range docs {
			r := srv.do(t, http.MethodPut, dir+name, []byte(doc), "Content-Type", ctJSONLD)
			expect(t, r, http.StatusBadRequest)
			expect(t, srv.do(t, http.MethodGet, dir+name, nil), http.StatusNotFound)
		}
		time.Sleep(200 * time.Millisecond)
		if n := hits.Load(); n != 0 {
			t.Errorf("the server fetched a remote context %d times", n)
		}
		// An inline context is fine.
		srv.put(t, dir+"inline", ctJSONLD, []byte(`{"@context": {"name": "http://xmlns.com/foaf/0.1/name"}, "@id": "#x", "name": "y"}`))
	})

	requirement(t, "security-row-15-huge-terms", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"seed.txt", "text/plain", []byte("seed"))
		longIRI := "http://example.org/" + strings.Repeat("a", 1<<20)
		cases := map[string]struct{ ct, body string }{
			"iri-turtle":   {ctTurtle, `<` + longIRI + `> <http://e/p> "x" .`},
			"iri-ntriples": {ctNTriples, `<http://e/s> <http://e/p> <` + longIRI + `> .`},
			"iri-jsonld":   {ctJSONLD, `{"@id": "` + longIRI + `", "http://e/p": "x"}`},
			"prefix-name":  {ctTurtle, `@prefix x: <http://e/>. <#s> <#p> x:` + strings.Repeat("a", 1<<20) + ` .`},
		}
		for name, c := range cases {
			r, err := srv.try(http.MethodPut, dir+name, []byte(c.body), "Content-Type", c.ct)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if r.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("%s: want 413, got %s", name, r)
			}
			expect(t, srv.do(t, http.MethodGet, dir+name, nil), http.StatusNotFound)
		}
		// A 100 MB literal is far over the body limit.
		n := int64(100 << 20)
		head := fmt.Sprintf("PUT %slit.ttl HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", dir, srv.addr, ctTurtle, n)
		body := &prefixedReader{prefix: []byte(`<#s> <#p> """`), rest: &repeatReader{pattern: []byte("literal "), n: n - 13}}
		res := srv.raw(head, body, 60*time.Second)
		if res.resp == nil || res.resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("100 MB literal: want 413, got %s", describe(res))
		}
		// Many small triples just under the limit: accepted or 413, and the
		// server's memory stays bounded.
		var sb strings.Builder
		for i := 0; sb.Len() < defaultMaxRDFBody-200; i++ {
			sb.WriteString("<http://e/s> <http://e/p> <http://e/o" + strconv.Itoa(i) + "> .\n")
		}
		r, err := srv.try(http.MethodPut, dir+"many.nt", []byte(sb.String()), "Content-Type", ctNTriples)
		if err != nil {
			t.Fatalf("many triples: %v", err)
		}
		expect(t, r, http.StatusCreated, http.StatusRequestEntityTooLarge)
		if rss, err := vmRSS(srv.cmd.Process.Pid); err == nil {
			t.Logf("server VmRSS after the many-triples body: %d MiB", rss>>20)
			if rss > 1<<30 {
				t.Errorf("server VmRSS %d MiB after a 10 MiB body", rss>>20)
			}
		}
		expect(t, srv.do(t, http.MethodGet, "/.naamio/health", nil), http.StatusOK)
	})

	requirement(t, "security-row-16-invalid-unicode", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"seed.txt", "text/plain", []byte("seed"))
		cases := map[string]struct{ ct, body string }{
			"turtle-bad-utf8-literal": {ctTurtle, "<#s> <#p> \"bad \xff\xfe bytes\" ."},
			"turtle-bad-utf8-iri":     {ctTurtle, "<#s\xc3> <#p> \"x\" ."},
			"turtle-overlong-utf8":    {ctTurtle, "<#s> <#p> \"\xc0\xaf\" ."},
			"turtle-lone-surrogate":   {ctTurtle, `<#s> <#p> "\uD800" .`},
			"turtle-low-surrogate":    {ctTurtle, `<#s> <#p> "\uDC00x" .`},
			"turtle-surrogate-in-iri": {ctTurtle, `<#s\uD800> <#p> "x" .`},
			"turtle-beyond-unicode":   {ctTurtle, `<#s> <#p> "\U00110000" .`},
			"turtle-utf8-surrogate":   {ctTurtle, "<#s> <#p> \"\xed\xa0\x80\" ."},
			"ntriples-bad-utf8":       {ctNTriples, "<http://e/s> <http://e/p> \"\xff\" ."},
			"ntriples-lone-surrogate": {ctNTriples, `<http://e/s> <http://e/p> "\uDBFF" .`},
			"jsonld-bad-utf8":         {ctJSONLD, "{\"@id\": \"#s\", \"http://e/p\": \"\xff\"}"},
			"jsonld-lone-surrogate":   {ctJSONLD, `{"@id": "#s", "http://e/p": "\ud800"}`},
			"jsonld-surrogate-in-key": {ctJSONLD, `{"@id": "#s", "http://e/\udfff": "x"}`},
			"jsonld-surrogate-in-iri": {ctJSONLD, `{"@id": "#s\ud800", "http://e/p": "x"}`},
		}
		for name, c := range cases {
			r, err := srv.try(http.MethodPut, dir+name, []byte(c.body), "Content-Type", c.ct)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if r.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: want 400, got %s", name, r)
			}
			expect(t, srv.do(t, http.MethodGet, dir+name, nil), http.StatusNotFound)
		}
		// Turtle has no surrogate pairs (each \u escape is a code point, and
		// the W3C suite rejects surrogates); a non-BMP character is written
		// with \U or as UTF-8, and both must work.
		srv.put(t, dir+"astral.ttl", ctTurtle, []byte("<#s> <#p> \"\\U0001F600 \U0001F600\" ."))
		g, _ := srv.fetchGraph(t, dir+"astral.ttl")
		if !g.has(term{}, term{}, lit("\U0001F600 \U0001F600")) {
			t.Errorf("non-BMP characters not kept:\n%s", g)
		}
		// JSON does have surrogate pairs: a valid pair is one code point.
		srv.put(t, dir+"pair.jsonld", ctJSONLD, []byte(`{"@id": "#s", "http://e/p": "\ud83d\ude00"}`))
		g, _ = srv.fetchGraph(t, dir+"pair.jsonld")
		if !g.has(term{}, term{}, lit("\U0001F600")) {
			t.Errorf("JSON surrogate pair not decoded to U+1F600:\n%s", g)
		}
		if kids := srv.children(t, dir); len(kids) != 3 {
			t.Errorf("refused bodies left resources: %v", kids)
		}
	})
}

// prefixedReader reads prefix, then rest.
type prefixedReader struct {
	prefix []byte
	rest   *repeatReader
}

func (r *prefixedReader) Read(p []byte) (int, error) {
	if len(r.prefix) > 0 {
		n := copy(p, r.prefix)
		r.prefix = r.prefix[n:]
		return n, nil
	}
	return r.rest.Read(p)
}

// vmRSS reads the resident set size of a process from /proc.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
