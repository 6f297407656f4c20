package browse_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
	"github.com/naamio/naamio/web/browse"
)

const (
	docBase   = "http://pod.example/"
	alice     = "http://pod.example/alice/profile/card#me"
	bob       = "http://pod.example/bob/profile/card#me"
	navAccept = "text/html,application/xhtml+xml,*/*;q=0.8"
)

// pngBytes is a 1×1 PNG.
var pngBytes, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

// docPages serves the pages over a real LDP handler and Badger store: the
// root is public (read and write), /private/ only alice's.
func docPages(t *testing.T) (pages *browse.Handler, lh http.Handler) {
	t.Helper()
	st, res := ldptest.OpenStore(t, docBase, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	h := ldptest.PublicHandler(t, st, res, ldp.Config{BaseURL: docBase, MaxRDFBody: 4 << 20})
	put := func(path, ct string, body []byte) {
		r := httptest.NewRequest(http.MethodPut, docBase+strings.TrimPrefix(path, "/"), bytes.NewReader(body))
		r.Header.Set("Content-Type", ct)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusCreated && w.Code != http.StatusNoContent {
			t.Fatalf("PUT %s: %d %s", path, w.Code, w.Body)
		}
	}
	put("/notes.ttl", "text/turtle", []byte(`@prefix foaf: <http://xmlns.com/foaf/0.1/>.
<#me> a foaf:Person; foaf:name "Alice <script>alert(1)</script>"@en; foaf:knows <other.ttl#bob>, <javascript:alert(2)>, _:b.
<#me> <http://example.org/age> 42.`))
	put("/page.html", "text/html", []byte(`<h1>hi</h1><script>alert(3)</script>`))
	put("/pic.png", "image/png", pngBytes)
	put("/big.ttl", "text/turtle", []byte(strings.Repeat("<#s> <#p> \""+strings.Repeat("x", 1000)+"\".\n", 1)+bigTurtle()))
	put("/private/pic.png", "image/png", pngBytes)
	put("/private/notes.ttl", "text/turtle", []byte(`<#a> <#b> <#c>.`))
	put("/doc.pdf", "application/pdf", []byte("%PDF-1.4\n"))
	ldptest.WriteACL(t, st, docBase, "/private/.acl", `@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#alice> a acl:Authorization; acl:agent <`+alice+`>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.`)
	put("/shared/note.txt", "text/plain", []byte("hello"))
	ldptest.WriteACL(t, st, docBase, "/shared/.acl", `@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#alice> a acl:Authorization; acl:agent <`+alice+`>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.
<#bob> a acl:Authorization; acl:agent <`+bob+`>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write.`)
	b, err := browse.New(browse.Options{BaseURL: docBase, LDP: h,
		Session: func(r *http.Request) (string, bool) {
			if r.Header.Get("X-Test-WebID") != "" {
				return r.Header.Get("X-Test-WebID"), true
			}
			return "", false
		}})
	if err != nil {
		t.Fatal(err)
	}
	return b, h
}

// bigTurtle is an RDF document over the page's limit (1 MiB).
func bigTurtle() string {
	var b strings.Builder
	for i := 0; b.Len() < 1<<20+200<<10; i++ {
		b.WriteString("<#s> <#p> \"" + strconv.Itoa(i) + strings.Repeat("v", 200) + "\" .\n")
	}
	return b.String()
}

func page(t *testing.T, b *browse.Handler, path, webID string) (int, http.Header, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, docBase+strings.TrimPrefix(path, "/"), nil)
	r.Header.Set("Accept", navAccept)
	if webID != "" {
		r.Header.Set("X-Test-WebID", webID)
	}
	w := httptest.NewRecorder()
	b.ServeHTTP(w, r)
	body, _ := io.ReadAll(w.Result().Body)
	return w.Code, w.Header(), string(body)
}

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

func mustNotContain(t *testing.T, body string, bad ...string) {
	t.Helper()
	for _, s := range bad {
		if strings.Contains(body, s) {
			t.Errorf("page contains %q", s)
		}
	}
}

// TestDocumentRDF (issue 15 item 1): an RDF document is shown as a table
// of statements (IRIs as links, prefixes and the document's own IRIs
// shortened) and as Turtle, without JavaScript; user data is escaped
// (SECURITY row 58: no stored XSS through the page) and a javascript: IRI
// is never a link.
func TestDocumentRDF(t *testing.T) {
	b, _ := docPages(t)
	code, hd, body := page(t, b, "/notes.ttl", alice)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	mustContain(t, body, `<table id="statements"`, `>foaf:name</a>`, `title="http://xmlns.com/foaf/0.1/name"`,
		`>&lt;#me&gt;</a>`, `href="http://pod.example/other.ttl#bob"`, `>&lt;other.ttl#bob&gt;</a>`, `>rdf:type</a>`,
		`Alice &lt;script&gt;alert(1)&lt;/script&gt;`, `<span class="note">@en</span>`, `xsd:integer`,
		`<textarea id="turtle"`, `data-etag="&#34;`, `<dt>Statements</dt><dd>6</dd>`,
		`src="http://pod.example/.web/static/document.js?v=`)
	mustNotContain(t, body, `<script>alert`, `href="javascript:`)
	if csp := hd.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	// rdf:type first among the subject's statements.
	if i, j := strings.Index(body, ">rdf:type<"), strings.Index(body, ">foaf:knows<"); i < 0 || j < 0 || i > j {
		t.Errorf("rdf:type not first (%d, %d)", i, j)
	}

	// Without Write (an anonymous visitor of a document only alice may
	// write would not see it at all; here: too large to edit).
	code, _, body = page(t, b, "/big.ttl", alice)
	if code != 200 {
		t.Fatalf("big: %d", code)
	}
	mustContain(t, body, "too large to show here", `id="download"`)
	mustNotContain(t, body, `<textarea`, `<table id="statements"`)
}

// TestDocumentPreviews: text is shown as text (an HTML file's markup
// escaped, never rendered), a public image by its URL, a private one as a
// data: URL read as the person (works without JavaScript), a PDF as links,
// and every file has a download link; a private file's marks it for the
// script (its plain URL would answer 401 to a browser without a token).
func TestDocumentPreviews(t *testing.T) {
	b, _ := docPages(t)
	_, _, body := page(t, b, "/page.html", "")
	mustContain(t, body, `<pre id="text-preview">&lt;h1&gt;hi&lt;/h1&gt;&lt;script&gt;alert(3)&lt;/script&gt;</pre>`,
		`<a class="button secondary" id="download" href="http://pod.example/page.html?raw" download="page.html"`)
	mustNotContain(t, body, `<script>alert(3)`, `data-private`, `document.js`)

	_, _, body = page(t, b, "/pic.png", "")
	mustContain(t, body, `<img id="preview" src="http://pod.example/pic.png" alt="pic.png">`)

	code, _, body := page(t, b, "/private/pic.png", alice)
	if code != 200 {
		t.Fatalf("private image: %d", code)
	}
	mustContain(t, body, `<img id="preview" src="data:image/png;base64,`+base64.StdEncoding.EncodeToString(pngBytes)+`"`,
		`data-private="true"`, "Private:", `document.js`)

	code, _, _ = page(t, b, "/private/pic.png", "")
	if code != http.StatusUnauthorized {
		t.Errorf("anonymous private image page: %d", code)
	}
	code, _, _ = page(t, b, "/private/pic.png", "http://elsewhere.example/eve#me")
	if code != http.StatusForbidden {
		t.Errorf("another person's private image page: %d", code)
	}

	_, _, body = page(t, b, "/doc.pdf", "")
	mustContain(t, body, `id="open-pdf"`, "Open PDF")
	mustNotContain(t, body, "<iframe", "<object", "<embed")
}

// TestDocumentKinds: what each media type is shown as.
func TestDocumentKinds(t *testing.T) {
	for mt, want := range map[string]string{
		"text/turtle": "rdf", "application/ld+json": "rdf", "application/n-triples": "rdf",
		"text/plain": "text", "text/html": "text", "application/json": "text", "application/activity+json": "text",
		"image/png": "image", "image/svg+xml": "image", "image/tiff": "file",
		"audio/ogg": "audio", "video/mp4": "video", "application/pdf": "pdf", "application/octet-stream": "file",
		"application/zip": "file",
	} {
		if got := browse.KindOf(mt); got != want {
			t.Errorf("%s: %s, want %s", mt, got, want)
		}
	}
}
