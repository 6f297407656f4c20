package server

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/rdf"
)

// exportFixture adds to pod alice (made by account create) what an export
// must carry: a container with its own ACL and description, documents
// whose names do and do not carry their type's extension, a type with
// parameters, a type with no known extension, a name with a space and one
// that looks like the layout's own suffix, RDF with IRIs inside the pod,
// and a document's own .acl and .meta.
func exportFixture(t *testing.T, dir, base string) {
	t.Helper()
	st, err := badgerstore.Open(dir, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	root := base + "alice/"
	put := func(p, ct string, rdfBody bool, aux bool, body string) {
		t.Helper()
		if rdfBody {
			g, err := rdf.Parse(strings.NewReader(body), rdf.MediaTurtle, base+strings.TrimPrefix(p, "/"), rdf.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := rdf.Write(&b, g, rdf.MediaTurtle); err != nil {
				t.Fatal(err)
			}
			body, ct = b.String(), rdf.MediaTurtle
		}
		if _, _, err := st.Put(ctx, ldp.PutRequest{Path: p, ContentType: ct, RDF: rdfBody, Aux: aux, Body: strings.NewReader(body)}); err != nil {
			t.Fatalf("put %s: %v", p, err)
		}
	}
	put("/alice/photos/", "", true, false, "")
	put("/alice/photos/.acl", "", true, true, `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#o> a acl:Authorization ; acl:agent <`+root+`profile/card#me> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#p> a acl:Authorization ; acl:agentClass <http://xmlns.com/foaf/0.1/Agent> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .`)
	put("/alice/photos/.meta", "", true, true, `<./> <http://purl.org/dc/terms/title> "Holiday" .`)
	put("/alice/photos/beach.png", "image/png", false, false, "\x89PNG\r\n\x1a\nfake")
	put("/alice/photos/sunset", "image/png", false, false, "\x89PNGsunset")
	put("/alice/notes", "text/plain; charset=utf-8", false, false, "shopping: milk")
	put("/alice/notes.acl", "", true, true, `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#o> a acl:Authorization ; acl:agent <`+root+`profile/card#me> ; acl:accessTo <notes> ; acl:mode acl:Read, acl:Write, acl:Control .`)
	put("/alice/notes.meta", "", true, true, `<notes> <http://purl.org/dc/terms/title> "Notes" .`)
	put("/alice/blob", "application/x-naamio-test", false, false, "\x00\x01\x02")
	put("/alice/my%20file.txt", "text/plain", false, false, "spaced")
	put("/alice/weird$.txt", "text/plain", false, false, "dollar")
	put("/alice/slash%2Fname", "text/plain", false, false, "slash")
	put("/alice/a/b/data.ttl", "", true, false, `<#it> <http://xmlns.com/foaf/0.1/maker> <../../profile/card#me> .`)
	put("/alice/a/b/page.html", "text/html", false, false, "<p>hi</p>")
}

// podState is every resource of a pod: path (under the root) to content
// type and body; RDF bodies are the canonical form of their graph with
// the pod's root IRI replaced by "ROOT/".
func podState(t *testing.T, dir, rootIRI string) map[string]string {
	t.Helper()
	st, err := badgerstore.Open(dir, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	out := map[string]string{}
	var walk func(p string)
	read := func(p string) {
		m, body, err := st.Open(ctx, p)
		if errors.Is(err, ldp.ErrNotFound) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(body)
		body.Close()
		s := string(b)
		if m.RDF {
			g, err := rdf.Parse(bytes.NewReader(b), rdf.MediaTurtle, rootIRI, rdf.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			c, err := rdf.Canonical(g)
			if err != nil {
				t.Fatal(err)
			}
			s = strings.ReplaceAll(c, rootIRI, "ROOT/")
		}
		out[strings.TrimPrefix(p, "/alice/")] = m.ContentType + "\n" + s
	}
	walk = func(p string) {
		read(p)
		for _, a := range ldp.AuxPaths(p) {
			read(a)
		}
		if !ldp.IsContainerPath(p) {
			return
		}
		children, err := st.Children(ctx, p)
		if errors.Is(err, ldp.ErrNotFound) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range children {
			walk(c.Path)
		}
	}
	walk("/alice/")
	return out
}

func tarNames(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeXGlobalHeader {
			names = append(names, h.Name)
		}
	}
	sort.Strings(names)
	return names
}

// Issue 16 item 3: export a pod from a running server through its admin
// socket, import the tar into a fresh running server (another base URL)
// and into a stopped one, and find every resource, content type, ACL and
// .meta equal (IRIs under the pod's root moved to the new root). The tar
// is laid out as the Community Solid Server's file backend lays out a pod.
func TestExportImportRoundTrip(t *testing.T) {
	a := loopbackConfig(t)
	t.Setenv("NAAMIO_PASSWORD", adminTestPassword)
	t.Setenv("NAAMIO_BASE_URL", a.BaseURL)
	if r := runStep(a.DataDir, cmdStep{args: []string{"account", "create", "--email", "a@example.org", "--pod", "alice"}, words: 2}); r.code != 0 {
		t.Fatalf("account create: %+v", r)
	}
	exportFixture(t, a.DataDir, a.BaseURL)
	want := podState(t, a.DataDir, a.BaseURL+"alice/")
	stopA := runServe(t, a, io.Discard)

	file := filepath.Join(t.TempDir(), "alice.tar")
	if r := runStep(a.DataDir, cmdStep{args: []string{"export", "-o", file, "alice"}, words: 1}); r.code != 0 {
		t.Fatalf("export: %+v", r)
	}
	stopA()
	names := tarNames(t, file)
	untarQuietly(t, file)
	for _, n := range []string{"./", ".acl", "profile/", "profile/card$.ttl", "photos/", "photos/.acl", "photos/.meta",
		"photos/beach.png", "photos/sunset$.png", "notes$.txt", "notes.acl", "notes.meta", "blob$.unknown",
		"my file.txt", "weird$.txt$.txt", "slash%2Fname$.txt", "a/", "a/b/", "a/b/data.ttl", "a/b/page.html"} {
		if !slices.Contains(names, n) {
			t.Errorf("the tar has no %q (CSS file layout); it has %q", n, names)
		}
	}

	// Into a running server, through its admin socket.
	b := loopbackConfig(t)
	stopB := runServe(t, b, io.Discard)
	if r := runStep(b.DataDir, cmdStep{args: []string{"account", "create", "--email", "b@example.org", "--pod", "bpod"}, words: 2}); r.code != 0 {
		t.Fatalf("account create on b: %+v", r)
	}
	if r := runStep(b.DataDir, cmdStep{args: []string{"import", "--email", "nobody@example.org", "alice", file}, words: 1}); r.code == 0 {
		t.Fatalf("import for an unknown account: %+v", r)
	}
	if r := runStep(b.DataDir, cmdStep{args: []string{"import", "--email", "b@example.org", "alice", file}, words: 1}); r.code != 0 {
		t.Fatalf("import (running): %+v", r)
	}
	resp, err := http.Get(b.BaseURL + "alice/photos/beach.png")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("the running server serves the imported public photo with %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if r := runStep(b.DataDir, cmdStep{args: []string{"import", "alice", file}, words: 1}); r.code == 0 || !strings.Contains(r.stderr, "not empty") {
		t.Errorf("a second import into the now non-empty pod: %+v", r)
	}
	stopB()
	if got := podState(t, b.DataDir, b.BaseURL+"alice/"); !equalState(t, got, want) {
		t.Error("running import: the pod differs")
	}
	if st, err := badgerstore.Open(b.DataDir, badgerstore.Options{DiskReserve: -1, GCInterval: -1}); err != nil {
		t.Fatal(err)
	} else {
		pods, err := openPods(st)
		if err != nil {
			t.Fatal(err)
		}
		if w, ok := pods.OwnerWebID("alice"); !ok || w != b.BaseURL+"alice/profile/card#me" {
			t.Errorf("the imported pod's owner WebID: %q %v", w, ok)
		}
		st.Close()
	}

	// Into a stopped server's data directory (another base URL again).
	c := loopbackConfig(t)
	t.Setenv("NAAMIO_BASE_URL", c.BaseURL)
	tarBytes, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// From standard input ("-") this time.
	if r := runStep(c.DataDir, cmdStep{args: []string{"import", "alice", "-"}, stdin: string(tarBytes), words: 1}); r.code != 0 {
		t.Fatalf("import (offline): %+v", r)
	}
	if got := podState(t, c.DataDir, c.BaseURL+"alice/"); !equalState(t, got, want) {
		t.Error("offline import: the pod differs")
	}
}

func equalState(t *testing.T, got, want map[string]string) bool {
	t.Helper()
	ok := true
	for k, w := range want {
		if g, found := got[k]; !found {
			t.Errorf("missing %s", k)
			ok = false
		} else if g != w {
			t.Errorf("%s:\n got %q\nwant %q", k, g, w)
			ok = false
		}
	}
	for k := range got {
		if _, found := want[k]; !found {
			t.Errorf("extra %s: %q", k, got[k])
			ok = false
		}
	}
	return ok
}

// tarOf builds a tar from entries.
type tarEntry struct {
	hdr  tar.Header
	body string
}

func tarOf(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg && h.Size == 0 {
			h.Size = int64(len(e.body))
		}
		if h.Typeflag != tar.TypeXGlobalHeader {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := io.WriteString(tw, e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A pod directory of the Community Solid Server, tarred: absolute IRIs of
// that server, its .meta with its own statements, a document of a type
// it has no extension for. naamio import --from reads it.
func TestImportCSSTree(t *testing.T) {
	cfg := loopbackConfig(t)
	t.Setenv("NAAMIO_BASE_URL", cfg.BaseURL)
	css := "http://localhost:3000/alice/"
	// CSS keeps a pod in a directory of its name: tar -C .data/alice .
	data := tarOf(t,
		tarEntry{hdr: tar.Header{Name: "./", Typeflag: tar.TypeDir}},
		tarEntry{hdr: tar.Header{Name: "./profile/", Typeflag: tar.TypeDir}},
		tarEntry{hdr: tar.Header{Name: "./profile/card$.ttl"}, body: `<` + css + `profile/card#me> a <http://xmlns.com/foaf/0.1/Person> .`},
		tarEntry{hdr: tar.Header{Name: "./.acl"}, body: `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#o> a acl:Authorization ; acl:agent <` + css + `profile/card#me> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .`},
		tarEntry{hdr: tar.Header{Name: "./.meta"}, body: `<` + css + `> <urn:npm:solid:community-server:meta:x> "internal" ; <http://purl.org/dc/terms/title> "Alice" .`},
		tarEntry{hdr: tar.Header{Name: "./song.mp3"}, body: "ID3"},
		tarEntry{hdr: tar.Header{Name: "./raw$.unknown"}, body: "?"},
		// tar lists a directory in readdir order: an ACL may come before its subject.
		tarEntry{hdr: tar.Header{Name: "./z.txt.acl"}, body: `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#o> a acl:Authorization ; acl:agentClass <http://xmlns.com/foaf/0.1/Agent> ; acl:accessTo <z.txt> ; acl:mode acl:Read .`},
		tarEntry{hdr: tar.Header{Name: "./z.txt"}, body: "zed"},
	)
	r := importBytes(t, cfg.DataDir, data, "--from", css)
	if r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	got := podState(t, cfg.DataDir, cfg.BaseURL+"alice/")
	for k, w := range map[string]string{
		"profile/card": "text/turtle\n<ROOT/profile/card#me> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://xmlns.com/foaf/0.1/Person> .\n",
		".meta":        "text/turtle\n<ROOT/> <http://purl.org/dc/terms/title> \"Alice\" .\n",
		"song.mp3":     "audio/mpeg\nID3",
		"raw":          "application/octet-stream\n?",
		"z.txt":        "text/plain\nzed",
	} {
		if got[k] != w {
			t.Errorf("%s: got %q, want %q", k, got[k], w)
		}
	}
	if !strings.Contains(got["z.txt.acl"], "<ROOT/z.txt>") {
		t.Errorf("the ACL listed before its subject: %q", got["z.txt.acl"])
	}
	if !strings.Contains(got[".acl"], "<ROOT/profile/card#me>") {
		t.Errorf("the ACL's agent was not moved to the new root: %q", got[".acl"])
	}
}

// A tar written by an earlier naamio recorded the pod's root in a global
// header and the exact types and a container's own triples under NAAMIO.*
// keywords (GNU tar warned about each): import still reads them.
func TestImportOlderRecords(t *testing.T) {
	cfg := loopbackConfig(t)
	t.Setenv("NAAMIO_BASE_URL", cfg.BaseURL)
	old := "http://old.example/alice/"
	data := tarOf(t,
		tarEntry{hdr: tar.Header{Name: "pax_global_header", Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"NAAMIO.podRoot": old}}},
		tarEntry{hdr: tar.Header{Name: "./", Typeflag: tar.TypeDir, PAXRecords: map[string]string{"NAAMIO.containerBody": `<` + old + `> a <http://www.w3.org/ns/pim/space#Storage> .`}}},
		tarEntry{hdr: tar.Header{Name: "./notes$.txt", PAXRecords: map[string]string{"NAAMIO.contentType": "text/plain; charset=iso-8859-1"}}, body: "caf\xe9"},
		tarEntry{hdr: tar.Header{Name: "./card$.ttl"}, body: `<` + old + `card#me> a <http://xmlns.com/foaf/0.1/Person> .`},
	)
	if r := importBytes(t, cfg.DataDir, data); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	got := podState(t, cfg.DataDir, cfg.BaseURL+"alice/")
	for k, w := range map[string]string{
		"notes": "text/plain; charset=iso-8859-1\ncaf\xe9",
		"card":  "text/turtle\n<ROOT/card#me> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://xmlns.com/foaf/0.1/Person> .\n",
	} {
		if got[k] != w {
			t.Errorf("%s: got %q, want %q", k, got[k], w)
		}
	}
}

func importBytes(t *testing.T, dir string, data []byte, flags ...string) cmdResult {
	t.Helper()
	file := filepath.Join(t.TempDir(), "in.tar")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{"import"}, flags...), "alice", file)
	return runStep(dir, cmdStep{args: args, words: 1})
}

// Issue 16 item 3, bad input: a hostile or broken tar is refused with the
// entry named, and the pod is left as it was (nothing of it written).
func TestImportBadInput(t *testing.T) {
	cfg := loopbackConfig(t)
	t.Setenv("NAAMIO_BASE_URL", cfg.BaseURL)
	badACL := `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#x> a acl:Authorization ; acl:agentClass <http://xmlns.com/foaf/0.1/Agent> ; acl:accessTo <./> ; acl:mode <urn:nonsense> .`
	ok := tarEntry{hdr: tar.Header{Name: "fine.txt"}, body: "fine"}
	many := []tarEntry{}
	for i := range 6 {
		many = append(many, tarEntry{hdr: tar.Header{Name: "f" + string(rune('a'+i)) + ".txt"}, body: "x"})
	}
	cases := []struct {
		name    string
		data    []byte
		flags   []string
		wantErr string
	}{
		{"dotdot", tarOf(t, ok, tarEntry{hdr: tar.Header{Name: "../evil.txt"}, body: "x"}), nil, ".."},
		{"dotdot inside", tarOf(t, ok, tarEntry{hdr: tar.Header{Name: "a/../../evil.txt"}, body: "x"}), nil, ".."},
		{"absolute", tarOf(t, ok, tarEntry{hdr: tar.Header{Name: "/etc/passwd"}, body: "x"}), nil, "relative"},
		{"symlink", tarOf(t, ok, tarEntry{hdr: tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}}), nil, "refused"},
		{"hardlink", tarOf(t, ok, tarEntry{hdr: tar.Header{Name: "link", Typeflag: tar.TypeLink, Linkname: "fine.txt"}}), nil, "refused"},
		{"fifo", tarOf(t, ok, tarEntry{hdr: tar.Header{Name: "pipe", Typeflag: tar.TypeFifo}}), nil, "refused"},
		{"backslash", tarOf(t, ok, tarEntry{hdr: tar.Header{Name: `a\..\x`}, body: "x"}), nil, "relative"},
		{"invalid UTF-8", tarOf(t, ok, tarEntry{hdr: tar.Header{Name: "a\xffb.txt"}, body: "x"}), nil, "relative"},
		{"empty segment", tarOf(t, ok, tarEntry{hdr: tar.Header{Name: "a//b.txt"}, body: "x"}), nil, "empty"},
		{"huge file", tarOf(t, ok, tarEntry{hdr: tar.Header{Name: "big.bin"}, body: strings.Repeat("x", 2000)}), []string{"--max-file", "1000"}, "over the limit"},
		{"too many entries", tarOf(t, many...), []string{"--max-entries", "5"}, "more than 5 entries"},
		{"ACL the evaluator refuses", tarOf(t, ok, tarEntry{hdr: tar.Header{Name: ".acl"}, body: badACL}), nil, "ACL refused"},
		{"ACL that is not Turtle", tarOf(t, ok, tarEntry{hdr: tar.Header{Name: "fine.txt.acl"}, body: "<<<"}), nil, "does not parse"},
		{"document that is not Turtle", tarOf(t, ok, tarEntry{hdr: tar.Header{Name: "x.ttl"}, body: "@prefix"}), nil, "does not parse"},
		{"duplicate", tarOf(t, ok, ok), nil, "second entry"},
		{"directory named as ACL", tarOf(t, ok, tarEntry{hdr: tar.Header{Name: "x.acl/", Typeflag: tar.TypeDir}}), nil, "auxiliary"},
		{"ACL of an ACL", tarOf(t, ok, tarEntry{hdr: tar.Header{Name: "fine.txt.acl.acl"}, body: ""}), nil, "auxiliary resource of an auxiliary"},
		{"XSS name", tarOf(t, ok, tarEntry{hdr: tar.Header{Name: "<script>alert(1)<\\/script>"}, body: "x"}), nil, "relative"},
		{"truncated", tarOf(t, ok)[:514], nil, "EOF"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := importBytes(t, cfg.DataDir, tc.data, tc.flags...)
			if r.code == 0 {
				t.Fatalf("accepted: %+v", r)
			}
			if !strings.Contains(r.stderr, tc.wantErr) {
				t.Errorf("error %q does not say %q", r.stderr, tc.wantErr)
			}
			if got := podState(t, cfg.DataDir, cfg.BaseURL+"alice/"); len(got) != 0 {
				t.Errorf("the failed import left %v", got)
			}
		})
	}
	// A retired pod name (SECURITY row 57) is refused.
	st, err := badgerstore.Open(cfg.DataDir, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	pods, err := openPods(st)
	if err == nil {
		err = pods.Retire(context.Background(), "ghost", "acct", []string{cfg.BaseURL + "ghost/profile/card#me"}, time.Now())
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ok.tar")
	if err := os.WriteFile(file, tarOf(t, ok), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runStep(cfg.DataDir, cmdStep{args: []string{"import", "ghost", file}, words: 1}); r.code == 0 || !strings.Contains(r.stderr, "retired") {
		t.Errorf("import into a retired pod name: %+v", r)
	}
	// The same names are fine inside an otherwise good tar: the pod was
	// left importable.
	if r := importBytes(t, cfg.DataDir, tarOf(t, ok)); r.code != 0 {
		t.Fatalf("good tar after the bad ones: %+v", r)
	}
}

// Issue 16 item 3: on a running server an imported resource is never
// served under a wider ACL than the tar gives it. Here the server's root
// ACL lets everyone read, and the tar lists a document before its own
// owner-only ACL: while the import waits for the rest of the tar, the
// document is already written but answers 401, not 200.
func TestImportPlaceholderACLWhileRunning(t *testing.T) {
	cfg := loopbackConfig(t)
	runServe(t, cfg, io.Discard)
	pr, pw := io.Pipe()
	done := make(chan cmdResult, 1)
	go func() {
		var out, errOut bytes.Buffer
		code := mainWith([]string{"import", "--data", cfg.DataDir, "alice", "-"}, pr, &out, &errOut)
		done <- cmdResult{code, out.String(), errOut.String()}
	}()
	tw := tar.NewWriter(pw)
	write := func(name, body string) {
		t.Helper()
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(body)), Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, body); err != nil {
			t.Fatal(err)
		}
	}
	write("secret.txt", "diary")
	status := 404
	for range 250 {
		resp, err := http.Get(cfg.BaseURL + "alice/secret.txt")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if status = resp.StatusCode; status != 404 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if status != 401 {
		t.Errorf("the imported document before its ACL arrived: %d, want 401", status)
	}
	write("secret.txt.acl", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#o> a acl:Authorization ; acl:agent <https://owner.example/profile/card#me> ; acl:accessTo <secret.txt> ; acl:mode acl:Read, acl:Write, acl:Control .`)
	write("public.txt", "hello")
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if r := <-done; r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	for path, want := range map[string]int{"alice/secret.txt": 401, "alice/public.txt": 200} {
		resp, err := http.Get(cfg.BaseURL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("after the import, %s: %d, want %d (placeholders left?)", path, resp.StatusCode, want)
		}
	}
}

// untarQuietly unpacks file with the system's tar, as an operator moving a
// pod to CSS does (tar -x into its data folder), and fails on anything it
// says: GNU tar warned "Ignoring unknown extended header keyword" for each
// file when the exact content types were records of our own naming.
func untarQuietly(t *testing.T, file string) {
	t.Helper()
	tarPath, err := exec.LookPath("tar")
	if err != nil {
		t.Fatalf("no tar on this machine: %v", err)
	}
	dir := t.TempDir()
	out, err := exec.Command(tarPath, "-x", "-f", file, "-C", dir).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("tar -x: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "notes$.txt")); err != nil || len(b) == 0 {
		t.Fatalf("unpacked notes$.txt: %q %v", b, err)
	}
}
