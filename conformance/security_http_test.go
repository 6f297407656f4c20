package conformance

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// SECURITY.md rows 1–12: HTTP / LDP input and faults.

// defaultMaxRDFBody is the server's default --max-rdf-body (10 MiB).
const defaultMaxRDFBody = 10 << 20

func TestSecurityHTTP(t *testing.T) {
	requirement(t, "security-row-01-path-traversal", func(t *testing.T) {
		dir := fresh(t.Name())
		const secret, inner = "SECRET-CONTENT-7f3a", "INNER-CONTENT-0c1d"
		srv.put(t, dir+"secret.txt", "text/plain", []byte(secret))
		srv.put(t, dir+"a/inner.txt", "text/plain", []byte(inner))
		targets := []string{
			dir + "a/../secret.txt",
			dir + "a/%2e%2e/secret.txt",
			dir + "a/%2E%2E/secret.txt",
			dir + "a/.%2e/secret.txt",
			dir + "a/..%2fsecret.txt",
			dir + "a/..%2Fsecret.txt",
			dir + "a/%252e%252e/secret.txt",
			dir + "a/..\\secret.txt",
			dir + "a/./inner.txt",
			dir + "secret.txt%00",
			dir + "sec%00ret.txt",
			dir + "a//inner.txt",
			"/..",
			"/../../etc/passwd",
			"/%2e%2e/%2e%2e/etc/passwd",
		}
		for _, target := range targets {
			res := srv.rawGet(target)
			if res.resp == nil {
				t.Errorf("GET %s: no response (%v)", target, res.err)
				continue
			}
			code := res.resp.StatusCode
			if code != http.StatusBadRequest && code != http.StatusNotFound {
				t.Errorf("GET %s: want 400 or 404, got %d %q", target, code, res.body)
			}
			if bytes.Contains(res.body, []byte(secret)) || bytes.Contains(res.body, []byte(inner)) || bytes.Contains(res.body, []byte("root:x:0:0")) {
				t.Errorf("GET %s leaked another resource's content: %q", target, res.body)
			}
		}
		// A write through an escaped traversal must not land outside.
		escape := fmt.Sprintf("escape-%d.txt", pathSeq.Add(1))
		for _, target := range []string{dir + "a/..%2f..%2f" + escape, dir + "a/%2e%2e/%2e%2e/" + escape} {
			head := "PUT " + target + " HTTP/1.1\r\nHost: " + srv.addr + "\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\n"
			res := srv.raw(head, strings.NewReader("esc"), 10*time.Second)
			if res.resp != nil && res.resp.StatusCode >= 500 {
				t.Errorf("PUT %s: %d", target, res.resp.StatusCode)
			}
		}
		for _, p := range []string{"/" + escape, dir + escape} {
			expect(t, srv.do(t, http.MethodGet, p, nil), http.StatusNotFound)
		}
	})

	requirement(t, "security-row-02-encoded-slash", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"a%2Fb", "text/plain", []byte("encoded"))
		srv.put(t, dir+"a/b", "text/plain", []byte("nested"))
		if r := srv.do(t, http.MethodGet, dir+"a%2Fb", nil); string(r.body) != "encoded" {
			t.Errorf("GET a%%2Fb: %s", r)
		}
		if r := srv.do(t, http.MethodGet, dir+"a/b", nil); string(r.body) != "nested" {
			t.Errorf("GET a/b: %s", r)
		}
		kids := srv.children(t, dir)
		if len(kids) != 2 || !kids[srv.url(dir+"a/")] {
			t.Errorf("%s lists %v; want a%%2Fb and a/", dir, kids)
		}
		encoded := false
		for k := range kids {
			if strings.EqualFold(k, srv.url(dir+"a%2Fb")) {
				encoded = true
			}
		}
		if !encoded {
			t.Errorf("%s does not list the encoded-slash resource: %v", dir, kids)
		}
		if sub := srv.children(t, dir+"a/"); len(sub) != 1 || !sub[srv.url(dir+"a/b")] {
			t.Errorf("%sa/ lists %v", dir, sub)
		}
		mustStatus(t, srv.do(t, http.MethodDelete, dir+"a%2Fb", nil), deleted...)
		if r := srv.do(t, http.MethodGet, dir+"a/b", nil); string(r.body) != "nested" {
			t.Errorf("deleting a%%2Fb touched a/b: %s", r)
		}
	})

	requirement(t, "security-row-03-slash-twins", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"x", "text/plain", []byte("x"))
		srv.put(t, dir+"y/", ctTurtle, nil)
		expect(t, srv.do(t, http.MethodPut, dir+"x/", nil, "Content-Type", ctTurtle), http.StatusConflict)
		expect(t, srv.do(t, http.MethodPut, dir+"y", []byte("y"), "Content-Type", "text/plain"), http.StatusConflict)
		r := srv.do(t, http.MethodPost, dir, nil, "Content-Type", ctTurtle, "Slug", "x",
			"Link", `<`+ldpNS+`BasicContainer>; rel="type"`)
		if expect(t, r, created...) && location(t, r) == srv.url(dir+"x/") {
			t.Errorf("POST created %sx/ next to %sx", dir, dir)
		}
		expect(t, srv.do(t, http.MethodGet, dir+"x/", nil), http.StatusNotFound)
		expect(t, srv.do(t, http.MethodGet, dir+"y", nil), http.StatusNotFound)
		if r := srv.do(t, http.MethodGet, dir+"x", nil); string(r.body) != "x" {
			t.Errorf("%sx changed: %s", dir, r)
		}
	})

	requirement(t, "security-row-04-containment-conflicts", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"c/a.txt", "text/plain", []byte("a"))
		e0 := srv.do(t, http.MethodHead, dir+"c/", nil).Header.Get("ETag")
		expect(t, srv.do(t, http.MethodPut, dir+"c/", []byte(`<> <`+ldpNS+`contains> <b.txt> .`), "Content-Type", ctTurtle), http.StatusConflict)
		expect(t, srv.do(t, http.MethodDelete, dir+"c/", nil), http.StatusConflict)
		if e1 := srv.do(t, http.MethodHead, dir+"c/", nil).Header.Get("ETag"); e1 != e0 {
			t.Errorf("refused requests changed the container: ETag %s → %s", e0, e1)
		}
		expect(t, srv.do(t, http.MethodGet, dir+"c/a.txt", nil), http.StatusOK)
		expect(t, srv.do(t, http.MethodGet, dir+"c/b.txt", nil), http.StatusNotFound)
	})

	requirement(t, "security-row-05-root-delete", func(t *testing.T) {
		acl := rootACL(t)
		for _, p := range []string{"/", acl} {
			r := srv.do(t, http.MethodDelete, p, nil)
			expect(t, r, http.StatusMethodNotAllowed)
			if tokens(r.Header, "Allow")["delete"] {
				t.Errorf("DELETE %s: Allow lists DELETE", p)
			}
			expect(t, srv.do(t, http.MethodHead, p, nil), http.StatusOK)
		}
	})

	requirement(t, "security-row-06-slug-sanitizing", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"seed.txt", "text/plain", []byte("seed"))
		slugs := []string{"a/b", "../../escape", "..", ".", ".acl", "x.acl", ".meta", "x.meta",
			"seed.txt.acl", "x.ACL", "%2F", "a%2Fb", "%2e%2e", "x.acl/", strings.Repeat("s", 10<<10)}
		check := func(slug, loc string) {
			rest, ok := strings.CutPrefix(loc, srv.url(dir))
			if !ok {
				t.Errorf("Slug %.40q: Location %s outside %s", slug, loc, dir)
				return
			}
			name, err := url.PathUnescape(rest)
			if err != nil {
				t.Errorf("Slug %.40q: bad Location %s", slug, loc)
				return
			}
			switch {
			case name == "" || name == "." || name == "..":
				t.Errorf("Slug %.40q: name %q", slug, name)
			case strings.Contains(name, "/"):
				t.Errorf("Slug %.40q: name %q contains /", slug, name)
			case strings.HasSuffix(name, ".acl") || strings.HasSuffix(name, ".meta"):
				t.Errorf("Slug %.40q: auxiliary name %q", slug, name)
			case strings.ContainsRune(name, 0):
				t.Errorf("Slug %.40q: NUL in name", slug)
			case len(name) > 255:
				t.Errorf("Slug %.40q: name of %d bytes", slug, len(name))
			}
			if !srv.children(t, dir)[loc] {
				t.Errorf("Slug %.40q: %s not listed as a contained resource", slug, loc)
			}
		}
		for _, slug := range slugs {
			r := srv.do(t, http.MethodPost, dir, []byte("body"), "Content-Type", "text/plain", "Slug", slug)
			if expect(t, r, created...) {
				check(slug, location(t, r))
			}
		}
		// NUL cannot be sent by net/http; write it raw.
		head := "POST " + dir + " HTTP/1.1\r\nHost: " + srv.addr + "\r\nContent-Type: text/plain\r\nSlug: nul\x00name.acl\r\nContent-Length: 4\r\nConnection: close\r\n\r\n"
		res := srv.raw(head, strings.NewReader("body"), 10*time.Second)
		if res.resp == nil {
			t.Errorf("Slug with NUL: no response (%v)", res.err)
		} else if res.resp.StatusCode == http.StatusCreated {
			check("nul\\0name.acl", resolve(srv.url(dir), res.resp.Header.Get("Location")))
		} else if res.resp.StatusCode != http.StatusBadRequest {
			t.Errorf("Slug with NUL: want 201 or 400, got %d", res.resp.StatusCode)
		}
		// The same slug twice gives two resources; the first is kept.
		r1 := srv.do(t, http.MethodPost, dir, []byte("one"), "Content-Type", "text/plain", "Slug", "same")
		r2 := srv.do(t, http.MethodPost, dir, []byte("two"), "Content-Type", "text/plain", "Slug", "same")
		mustStatus(t, r1, created...)
		mustStatus(t, r2, created...)
		l1, l2 := location(t, r1), location(t, r2)
		if l1 == l2 {
			t.Errorf("two POSTs with one Slug share %s", l1)
		}
		if r := srv.do(t, http.MethodGet, l1, nil); string(r.body) != "one" {
			t.Errorf("first POSTed resource overwritten: %s", r)
		}
		// A slug naming an existing document's auxiliary resource must not write it.
		expect(t, srv.do(t, http.MethodGet, dir+"seed.txt.acl", nil), http.StatusNotFound)
	})

	requirement(t, "security-row-07-post-missing-container", func(t *testing.T) {
		dir := fresh(t.Name())
		expect(t, srv.do(t, http.MethodPost, dir, []byte("x"), "Content-Type", "text/plain"), http.StatusNotFound)
		expect(t, srv.do(t, http.MethodPost, dir+"a/b/", []byte("x"), "Content-Type", "text/plain"), http.StatusNotFound)
		expect(t, srv.do(t, http.MethodHead, dir, nil), http.StatusNotFound)
	})

	requirement(t, "security-row-08-body-over-limit", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"seed.txt", "text/plain", []byte("seed"))
		n := int64(defaultMaxRDFBody + 4096)
		pattern := []byte("<http://example.org/s> <http://example.org/p> \"ooooooooooooooooooooooooooooo\" .\n")
		// with Content-Length
		head := fmt.Sprintf("PUT %sbig.nt HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", dir, srv.addr, ctNTriples, n)
		res := srv.raw(head, &repeatReader{pattern: pattern, n: n}, 60*time.Second)
		if res.resp == nil || res.resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("Content-Length over the limit: want 413, got %s", describe(res))
		}
		// chunked, no length announced
		head = fmt.Sprintf("PUT %sbig2.nt HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", dir, srv.addr, ctNTriples)
		res = srv.raw(head, chunked(&repeatReader{pattern: pattern, n: n}), 60*time.Second)
		if res.resp == nil || res.resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked body over the limit: want 413, got %s", describe(res))
		}
		// POST to a container counts too.
		head = fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", dir, srv.addr, ctTurtle, n)
		res = srv.raw(head, &repeatReader{pattern: pattern, n: n}, 60*time.Second)
		if res.resp == nil || res.resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST over the limit: want 413, got %s", describe(res))
		}
		expect(t, srv.do(t, http.MethodGet, dir+"big.nt", nil), http.StatusNotFound)
		expect(t, srv.do(t, http.MethodGet, dir+"big2.nt", nil), http.StatusNotFound)
		if kids := srv.children(t, dir); len(kids) != 1 {
			t.Errorf("refused bodies left resources: %v", kids)
		}
		// A non-RDF body of the same size is not an RDF body: stored byte for byte.
		big := bytes.Repeat([]byte{0xAB}, int(n))
		srv.put(t, dir+"big.bin", "application/octet-stream", big)
		if r := srv.do(t, http.MethodGet, dir+"big.bin", nil); !bytes.Equal(r.body, big) {
			t.Errorf("binary of %d bytes came back as %d bytes", len(big), len(r.body))
		}
	})

	requirement(t, "security-row-08-slow-headers", func(t *testing.T) {
		t.Parallel()
		// The server's ReadHeaderTimeout must close a connection whose
		// headers never finish, while others are served meanwhile.
		const bound = 40 * time.Second
		conns := make([]net.Conn, 0, 8)
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for i := 0; i < 8; i++ {
			c, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
			if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: "+srv.addr+"\r\nX-Slow: "); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		closed := make(chan time.Duration, len(conns))
		for _, c := range conns {
			go func(c net.Conn) {
				_ = c.SetReadDeadline(time.Now().Add(bound))
				_, _ = io.Copy(io.Discard, c) // returns when the server closes (or at the bound)
				closed <- time.Since(start)
			}(c)
		}
		// Meanwhile other clients are served.
		served := 0
		for time.Since(start) < 2*time.Second {
			if r, err := srv.try(http.MethodGet, "/.naamio/health", nil); err == nil && r.StatusCode == http.StatusOK {
				served++
			}
			time.Sleep(100 * time.Millisecond)
		}
		if served == 0 {
			t.Errorf("no other client served while slow-header connections were open")
		}
		for range conns {
			if d := <-closed; d >= bound-time.Second {
				t.Errorf("slow-header connection still open after %v (no ReadHeaderTimeout?)", d)
				break
			} else {
				t.Logf("slow-header connection closed by the server after %v", d.Round(100*time.Millisecond))
			}
		}
		expect(t, srv.do(t, http.MethodGet, "/.naamio/health", nil), http.StatusOK)
	})

	requirement(t, "security-row-08-chunked-body-without-end", func(t *testing.T) {
		t.Parallel()
		// A chunked body that never ends: other clients are served while it
		// hangs; after the client gives up (short client-side bound) nothing
		// is stored and the server keeps serving.
		const bound = 4 * time.Second
		dir := fresh(t.Name())
		srv.put(t, dir+"seed.txt", "text/plain", []byte("seed"))
		type outcome struct {
			status int
			err    error
		}
		done := make(chan outcome, 2)
		for _, tc := range []struct{ path, ct string }{{dir + "stall.txt", "text/plain"}, {dir + "stall.ttl", ctTurtle}} {
			go func(path, ct string) {
				c, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
				if err != nil {
					done <- outcome{err: err}
					return
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(bound))
				head := "PUT " + path + " HTTP/1.1\r\nHost: " + srv.addr + "\r\n" + srv.authLines(owner, http.MethodPut, path) +
					"Content-Type: " + ct + "\r\nTransfer-Encoding: chunked\r\n\r\n"
				if _, err := io.WriteString(c, head+"f\r\n<#a> <#b> <#c> \r\n"); err != nil {
					done <- outcome{err: err}
					return
				}
				resp, err := http.ReadResponse(bufioReader(c), nil)
				if err != nil {
					done <- outcome{err: err}
					return
				}
				resp.Body.Close()
				done <- outcome{status: resp.StatusCode}
			}(tc.path, tc.ct)
		}
		time.Sleep(300 * time.Millisecond)
		for i := 0; i < 5; i++ {
			expect(t, srv.do(t, http.MethodGet, dir+"seed.txt", nil), http.StatusOK)
		}
		for i := 0; i < 2; i++ {
			o := <-done
			switch {
			case o.err != nil:
				t.Logf("stalled upload ended by client bound / server close: %v", o.err)
			case o.status == http.StatusRequestTimeout || o.status == http.StatusBadRequest:
				t.Logf("server answered the stalled upload with %d", o.status)
			default:
				t.Errorf("stalled upload answered %d", o.status)
			}
		}
		time.Sleep(200 * time.Millisecond)
		expect(t, srv.do(t, http.MethodGet, dir+"stall.txt", nil), http.StatusNotFound)
		expect(t, srv.do(t, http.MethodGet, dir+"stall.ttl", nil), http.StatusNotFound)
		expect(t, srv.do(t, http.MethodGet, "/.naamio/health", nil), http.StatusOK)
	})

	requirement(t, "security-row-09-content-type", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"seed.txt", "text/plain", []byte("seed"))
		cases := []struct {
			method, path string
			ct           string // "" sends none
			body         string
			want         []int
		}{
			{"PUT", dir + "a.ttl", "", `<#a> <#b> <#c> .`, []int{400}},
			{"POST", dir, "", `<#a> <#b> <#c> .`, []int{400}},
			{"PUT", dir + "b.ttl", ctTurtle, `{"@id": "#a", "http://e/p": "json, not turtle"}`, []int{400}},
			{"PUT", dir + "c.jsonld", ctJSONLD, `@prefix x: <http://e/>. <#a> x:p "turtle" .`, []int{400}},
			{"PUT", dir + "d.nt", ctNTriples, `@prefix x: <http://e/>. <#a> x:p "turtle" .`, []int{400}},
			{"PUT", dir + "e.ttl", ctTurtle, `<#a> <#b> "unterminated .`, []int{400}},
			{"POST", dir, ctTurtle, `<#a> <#b> .`, []int{400}},
			{"PUT", dir + "box/", "image/png", "\x89PNG\r\n", []int{415}},
			{"PUT", dir + "box2/", "text/plain", "hello", []int{415}},
			{"PUT", dir + "seed.txt.meta", "text/plain", "hello", []int{415, 400}},
			{"POST", dir, "text/turtle; charset=utf-8", `<#a> <#b> "ok" .`, []int{201}},
		}
		for _, c := range cases {
			kv := []string{}
			if c.ct != "" {
				kv = append(kv, "Content-Type", c.ct)
			}
			r := srv.do(t, c.method, c.path, []byte(c.body), kv...)
			expect(t, r, c.want...)
			if c.method == "PUT" && r.StatusCode >= 400 {
				expect(t, srv.do(t, http.MethodGet, c.path, nil), http.StatusNotFound)
			}
		}
		if kids := srv.children(t, dir); len(kids) != 2 {
			t.Errorf("want seed.txt and one POSTed resource, got %v", kids)
		}
	})

	requirement(t, "security-row-10-concurrent-if-match", func(t *testing.T) {
		dir := fresh(t.Name())
		p := dir + "race.txt"
		srv.put(t, p, "text/plain", []byte("v0"))
		const rounds, racers = 10, 4
		for round := 0; round < rounds; round++ {
			etag := srv.do(t, http.MethodHead, p, nil).Header.Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			codes := make([]int, racers)
			for i := 0; i < racers; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					<-start
					body := fmt.Sprintf("round %d racer %d", round, i)
					r, err := srv.try(http.MethodPut, p, []byte(body), "Content-Type", "text/plain", "If-Match", etag)
					if err == nil {
						codes[i] = r.StatusCode
					}
				}(i)
			}
			close(start)
			wg.Wait()
			ok, failed := 0, 0
			for _, c := range codes {
				switch {
				case c/100 == 2:
					ok++
				case c == http.StatusPreconditionFailed:
					failed++
				}
			}
			if ok != 1 || failed != racers-1 {
				t.Errorf("round %d: want one 2xx and %d×412, got %v", round, racers-1, codes)
			}
		}
	})

	requirement(t, "security-row-11-conditional-absent-present", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"here.txt", "text/plain", []byte("here"))
		expect(t, srv.do(t, http.MethodPut, dir+"here.txt", []byte("new"), "Content-Type", "text/plain", "If-None-Match", "*"), http.StatusPreconditionFailed)
		expect(t, srv.do(t, http.MethodPut, dir+"gone.txt", []byte("new"), "Content-Type", "text/plain", "If-Match", "*"), http.StatusPreconditionFailed)
		expect(t, srv.do(t, http.MethodPut, dir+"gone.txt", []byte("new"), "Content-Type", "text/plain", "If-Match", `"abc"`), http.StatusPreconditionFailed)
		expect(t, srv.do(t, http.MethodDelete, dir+"gone.txt", nil, "If-Match", "*"), http.StatusPreconditionFailed, http.StatusNotFound)
		if r := srv.do(t, http.MethodGet, dir+"here.txt", nil); string(r.body) != "here" {
			t.Errorf("refused write changed the resource: %s", r)
		}
		expect(t, srv.do(t, http.MethodGet, dir+"gone.txt", nil), http.StatusNotFound)
	})

	requirement(t, "security-row-12-foreign-host", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"seed.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))
		for _, host := range []string{"evil.example", "evil.example:8443", "127.0.0.1:1", "localhost"} {
			for _, p := range []string{"/", dir, dir + "seed.ttl"} {
				r := srv.do(t, http.MethodGet, p, nil, "Host", host, "Accept", ctNTriples)
				if r.StatusCode >= 500 {
					t.Errorf("Host %s GET %s: %s", host, p, r)
				}
				if strings.Contains(strings.Join(r.Header.Values("Link"), ","), "//"+host+"/") || bytes.Contains(r.body, []byte("//"+host+"/")) {
					t.Errorf("Host %s was used to build URLs for %s: %v %q", host, p, r.Header.Values("Link"), r.body)
				}
			}
			r := srv.do(t, http.MethodPost, dir, []byte("x"), "Host", host, "Content-Type", "text/plain")
			if r.StatusCode >= 500 {
				t.Errorf("Host %s POST: %s", host, r)
			}
			if loc := r.Header.Get("Location"); strings.Contains(loc, "//"+host+"/") {
				t.Errorf("Host %s used in Location %s", host, loc)
			}
		}
		for _, host := range []string{"a b", "[::1", "evil.example\x7f"} {
			head := "GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n"
			res := srv.raw(head, nil, 10*time.Second)
			if res.resp != nil && res.resp.StatusCode >= 500 {
				t.Errorf("Host %q: %d", host, res.resp.StatusCode)
			}
		}
	})
}

// describe summarizes a raw exchange for failure messages.
func describe(r rawResult) string {
	if r.resp == nil {
		return fmt.Sprintf("no response (closed=%v err=%v)", r.closed, r.err)
	}
	b := r.body
	if len(b) > 200 {
		b = b[:200]
	}
	return strconv.Itoa(r.resp.StatusCode) + " " + string(b)
}
