package storetest

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
)

func testRoot(t *testing.T, s ldp.Store) {
	m := stat(t, s, "/")
	if !m.IsContainer() || m.ETag == "" {
		t.Fatalf("root = %+v, want a container with an ETag", m)
	}
	kids, err := s.Children(context.Background(), "/")
	if err != nil || len(kids) != 0 {
		t.Fatalf("Children(/) = %v, %v; want none", paths(kids), err)
	}
}

func testCreateReplace(t *testing.T, s ldp.Store) {
	ctx := context.Background()
	before := lastSeq(t, s)
	m1, created, err := s.Put(ctx, ldp.PutRequest{Path: "/a.txt", ContentType: "text/plain", Body: strings.NewReader("one")})
	if err != nil || !created {
		t.Fatalf("first Put: created=%v err=%v, want created", created, err)
	}
	m2, created, err := s.Put(ctx, ldp.PutRequest{Path: "/a.txt", ContentType: "text/plain", Body: strings.NewReader("two")})
	if err != nil || created {
		t.Fatalf("second Put: created=%v err=%v, want replaced", created, err)
	}
	if m1.ETag == m2.ETag {
		t.Fatal("ETag did not change with the body")
	}
	if m2.Path != "/a.txt" || m2.Size != 3 || m2.Modified.Before(m1.Modified) {
		t.Fatalf("returned meta %+v", m2)
	}
	got, body := read(t, s, "/a.txt")
	if string(body) != "two" || got.ETag != m2.ETag || !got.Modified.Equal(m2.Modified) {
		t.Fatalf("Open = %+v %q, want %+v \"two\"", got, body, m2)
	}
	if got.Modified.Location() != time.UTC {
		t.Fatalf("Modified %v is not UTC", got.Modified)
	}
	cs := changesAfter(t, s, before)
	if want := []string{"Create /a.txt", "Update /a.txt"}; !equal(summary(cs), want) {
		t.Fatalf("changes = %v, want %v", summary(cs), want)
	}
	if cs[0].ETag != m1.ETag || cs[1].ETag != m2.ETag {
		t.Fatalf("change ETags %q %q, want %q %q", cs[0].ETag, cs[1].ETag, m1.ETag, m2.ETag)
	}
}

func testBodyRoundTrip(t *testing.T, s ldp.Store) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		return b
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	cases := []struct {
		name string
		body []byte
		nil  bool
	}{
		{"nil", nil, true},
		{"empty", []byte{}, false},
		{"all-bytes", all, false},
		{"100KiB", random(100 << 10), false},
		{"exact-64KiB", random(64 << 10), false},
		{"5MB", random(5 << 20), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := ldp.PutRequest{Path: "/bin/" + tc.name, ContentType: "application/octet-stream"}
			if !tc.nil {
				req.Body = bytes.NewReader(tc.body)
			}
			m, _, err := s.Put(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			got, body := read(t, s, req.Path)
			if !sameBytes(body, tc.body) || got.Size != int64(len(tc.body)) || m.Size != got.Size {
				t.Fatalf("round trip: got %d bytes (Size %d), want %d", len(body), got.Size, len(tc.body))
			}
		})
	}
}

func testContentType(t *testing.T, s ldp.Store) {
	ctx := context.Background()
	_, _, err := s.Put(ctx, ldp.PutRequest{Path: "/d.ttl", ContentType: "text/turtle", RDF: true, Body: strings.NewReader("<a> <b> <c> .\n")})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Put(ctx, ldp.PutRequest{Path: "/p.png", ContentType: "image/png", Body: strings.NewReader("\x89PNG")})
	if err != nil {
		t.Fatal(err)
	}
	if m := stat(t, s, "/d.ttl"); m.ContentType != "text/turtle" || !m.RDF {
		t.Fatalf("/d.ttl = %+v", m)
	}
	if m := stat(t, s, "/p.png"); m.ContentType != "image/png" || m.RDF {
		t.Fatalf("/p.png = %+v", m)
	}
}

func testETagFromContent(t *testing.T, s ldp.Store) {
	a := put(t, s, "/e1", "same bytes")
	b := put(t, s, "/e2", "same bytes")
	c := put(t, s, "/e3", "other bytes")
	if a.ETag != b.ETag || a.ETag == c.ETag {
		t.Fatalf("ETags %q %q %q: want equal for equal bytes, different otherwise", a.ETag, b.ETag, c.ETag)
	}
	put(t, s, "/e1", "changed")
	if again := put(t, s, "/e1", "same bytes"); again.ETag != a.ETag {
		t.Fatalf("rewriting the same bytes gave ETag %q, want %q", again.ETag, a.ETag)
	}
	if strings.ContainsAny(a.ETag, "\"\x00 ") {
		t.Fatalf("ETag %q must be unquoted and plain", a.ETag)
	}
}

func testMissing(t *testing.T, s ldp.Store) {
	ctx := context.Background()
	_, err := s.Stat(ctx, "/nope")
	wantErr(t, "Stat", err, ldp.ErrNotFound)
	_, _, err = s.Open(ctx, "/nope")
	wantErr(t, "Open", err, ldp.ErrNotFound)
	_, err = s.Children(ctx, "/nope/")
	wantErr(t, "Children", err, ldp.ErrNotFound)
	if ok, err := s.Exists(ctx, "/nope"); ok || err != nil {
		t.Fatalf("Exists(/nope) = %v, %v", ok, err)
	}
}

func testExists(t *testing.T, s ldp.Store) {
	ctx := context.Background()
	put(t, s, "/e/f.txt", "x")
	for p, want := range map[string]bool{"/": true, "/e/": true, "/e/f.txt": true, "/e": false, "/e/f.txt/": false, "/e/g": false} {
		if ok, err := s.Exists(ctx, p); ok != want || err != nil {
			t.Errorf("Exists(%s) = %v, %v; want %v", p, ok, err, want)
		}
	}
	if err := s.Delete(ctx, ldp.DeleteRequest{Path: "/e/f.txt"}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Exists(ctx, "/e/f.txt"); ok {
		t.Error("Exists after Delete")
	}
}

func testIntermediateContainers(t *testing.T, s ldp.Store) {
	ctx := context.Background()
	before := lastSeq(t, s)
	put(t, s, "/a/b/c.txt", "x")
	for _, p := range []string{"/a/", "/a/b/"} {
		if m := stat(t, s, p); !m.IsContainer() {
			t.Fatalf("%s = %+v, want a container", p, m)
		}
	}
	kids, err := s.Children(ctx, "/a/")
	if err != nil || !equal(paths(kids), []string{"/a/b/"}) {
		t.Fatalf("Children(/a/) = %v, %v", paths(kids), err)
	}
	cs := changesAfter(t, s, before)
	want := []string{"Create /a/", "Create /a/b/", "Create /a/b/c.txt"}
	if !equal(summary(cs), want) {
		t.Fatalf("changes = %v, want %v", summary(cs), want)
	}
	for _, c := range cs {
		if c.ETag == "" || c.Time.IsZero() {
			t.Fatalf("change %+v lacks ETag or Time", c)
		}
	}
	put(t, s, "/a/b/d.txt", "y")
	if cs := changesAfter(t, s, cs[2].Seq); !equal(summary(cs), []string{"Create /a/b/d.txt"}) {
		t.Fatalf("second child changes = %v", summary(cs))
	}
}

func testSlashTwins(t *testing.T, s ldp.Store) {
	ctx := context.Background()
	put(t, s, "/x", "doc")
	_, _, err := s.Put(ctx, ldp.PutRequest{Path: "/x/"})
	wantErr(t, "Put /x/ over /x", err, ldp.ErrConflict)
	put(t, s, "/y/", "")
	_, _, err = s.Put(ctx, ldp.PutRequest{Path: "/y", Body: strings.NewReader("doc")})
	wantErr(t, "Put /y over /y/", err, ldp.ErrConflict)
	_, err = s.Stat(ctx, "/x/")
	wantErr(t, "Stat /x/", err, ldp.ErrNotFound)
	_, err = s.Stat(ctx, "/y")
	wantErr(t, "Stat /y", err, ldp.ErrNotFound)
}

func testAncestorIsDocument(t *testing.T, s ldp.Store) {
	ctx := context.Background()
	put(t, s, "/d", "doc")
	before := lastSeq(t, s)
	for _, p := range []string{"/d/e", "/d/e/f", "/d/e/"} {
		_, _, err := s.Put(ctx, ldp.PutRequest{Path: p, Body: strings.NewReader("x")})
		wantErr(t, "Put "+p, err, ldp.ErrConflict)
	}
	_, err := s.Stat(ctx, "/d/")
	wantErr(t, "Stat /d/", err, ldp.ErrNotFound)
	if cs := changesAfter(t, s, before); len(cs) != 0 {
		t.Fatalf("refused puts left changes %v", summary(cs))
	}
}

func testDeleteNonEmptyContainer(t *testing.T, s ldp.Store) {
	ctx := context.Background()
	put(t, s, "/c/k", "x")
	err := s.Delete(ctx, ldp.DeleteRequest{Path: "/c/"})
	wantErr(t, "Delete non-empty /c/", err, ldp.ErrConflict)
	if err := s.Delete(ctx, ldp.DeleteRequest{Path: "/c/k"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, ldp.DeleteRequest{Path: "/c/"}); err != nil {
		t.Fatalf("Delete empty /c/: %v", err)
	}
	_, err = s.Stat(ctx, "/c/")
	wantErr(t, "Stat deleted /c/", err, ldp.ErrNotFound)
	kids, err := s.Children(ctx, "/")
	if err != nil || len(kids) != 0 {
		t.Fatalf("Children(/) = %v, %v; want none", paths(kids), err)
	}
	put(t, s, "/c", "now a document") // the twin is free again
}

func testDeleteMissing(t *testing.T, s ldp.Store) {
	before := lastSeq(t, s)
	err := s.Delete(context.Background(), ldp.DeleteRequest{Path: "/ghost"})
	wantErr(t, "Delete missing", err, ldp.ErrNotFound)
	if cs := changesAfter(t, s, before); len(cs) != 0 {
		t.Fatalf("changes = %v, want none", summary(cs))
	}
}

func testAux(t *testing.T, s ldp.Store) {
	ctx := context.Background()
	put(t, s, "/c/", "")
	aux := func(path string) {
		t.Helper()
		_, _, err := s.Put(ctx, ldp.PutRequest{Path: path, ContentType: "text/turtle", RDF: true, Aux: true, Body: strings.NewReader("# acl")})
		if err != nil {
			t.Fatalf("Put aux %s: %v", path, err)
		}
	}
	aux("/c/.acl")
	kids, err := s.Children(ctx, "/c/")
	if err != nil || len(kids) != 0 {
		t.Fatalf("Children(/c/) = %v, %v; aux must not be listed", paths(kids), err)
	}
	aux("/n/.acl") // creates no intermediate container
	_, err = s.Stat(ctx, "/n/")
	wantErr(t, "Stat /n/", err, ldp.ErrNotFound)

	before := lastSeq(t, s)
	err = s.Delete(ctx, ldp.DeleteRequest{Path: "/c/", Aux: []string{"/c/.acl", "/c/.meta"}})
	if err != nil {
		t.Fatalf("Delete /c/ with aux: %v", err)
	}
	_, err = s.Stat(ctx, "/c/.acl")
	wantErr(t, "Stat deleted aux", err, ldp.ErrNotFound)
	cs := changesAfter(t, s, before)
	got := summary(cs)
	if len(got) != 2 || !equal(sorted(got), []string{"Delete /c/", "Delete /c/.acl"}) {
		t.Fatalf("changes = %v, want a Delete for /c/ and /c/.acl", got)
	}
	for _, c := range cs {
		if c.ETag != "" {
			t.Fatalf("Delete entry %+v has an ETag", c)
		}
	}
}

func testChildren(t *testing.T, s ldp.Store) {
	ctx := context.Background()
	names := []string{"m", "b/", "z.ttl", "a", "k/", "b-c"}
	rng := rand.New(rand.NewPCG(3, 4))
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	var want []string
	for _, n := range names {
		put(t, s, "/l/"+n, "body of "+n)
		want = append(want, "/l/"+n)
	}
	put(t, s, "/l/b/deeper", "not a direct child")
	_, _, err := s.Put(ctx, ldp.PutRequest{Path: "/l/.acl", Aux: true})
	if err != nil {
		t.Fatal(err)
	}
	kids, err := s.Children(ctx, "/l/")
	if err != nil {
		t.Fatal(err)
	}
	if !equal(paths(kids), sorted(want)) {
		t.Fatalf("Children = %v, want %v", paths(kids), sorted(want))
	}
	for _, k := range kids {
		if k.IsContainer() {
			continue
		}
		if m := stat(t, s, k.Path); m.ETag != k.ETag || m.Size != k.Size || m.ContentType != k.ContentType {
			t.Fatalf("child %+v differs from Stat %+v", k, m)
		}
	}
}

func testConcurrentSiblings(t *testing.T, s ldp.Store) {
	const n = 16
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, _, err := s.Put(context.Background(), ldp.PutRequest{
				Path: "/sib/" + string(rune('a'+i)), Body: strings.NewReader("x"),
			})
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	kids, err := s.Children(context.Background(), "/sib/")
	if err != nil || len(kids) != n {
		t.Fatalf("Children = %d, %v; want %d", len(kids), err, n)
	}
	creates := 0
	for _, c := range changes(t, s) {
		if c.Kind == event.Create && c.Path == "/sib/" {
			creates++
		}
	}
	if creates != 1 {
		t.Fatalf("/sib/ created %d times, want once", creates)
	}
}
