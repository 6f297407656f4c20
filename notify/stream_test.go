package notify_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
	"github.com/naamio/naamio/ldp/ldptest"
	"github.com/naamio/naamio/notify"
)

// streamURL is the stream of the resource at path, as the Link header
// names it (the IRI percent-encoded as one path segment).
func (p *pod) streamURL(path string) string {
	iri := p.base + strings.TrimPrefix(path, "/")
	return p.base + strings.TrimPrefix(notify.StreamPath, "/") + strings.ReplaceAll(url.QueryEscape(iri), "+", "%20")
}

// streamOf is an open stream: each notification (a Turtle document) on
// notes, in order; notes is closed when the stream ends.
type streamOf struct {
	resp  *http.Response
	notes chan string
}

// openStream GETs the stream of path as ag (nil: anonymous) and answers
// its response; on 200 it reads the notifications in the background.
func (p *pod) openStream(t *testing.T, ag *testissuer.Agent, path string) *streamOf {
	t.Helper()
	req, _ := http.NewRequest("GET", p.streamURL(path), nil)
	if ag != nil {
		if err := ag.Sign(req); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	s := &streamOf{resp: resp, notes: make(chan string, 64)}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		close(s.notes)
		return s
	}
	go func() {
		defer close(s.notes)
		sc := bufio.NewScanner(resp.Body)
		var b strings.Builder
		for sc.Scan() {
			b.WriteString(sc.Text() + "\n")
			if strings.HasSuffix(sc.Text(), " .") {
				s.notes <- b.String()
				b.Reset()
			}
		}
	}()
	return s
}

// next waits d for the next notification; ok is false when the stream
// ended or nothing came.
func (s *streamOf) next(d time.Duration) (string, bool) {
	select {
	case n, ok := <-s.notes:
		return n, ok
	case <-time.After(d):
		return "", false
	}
}

func (s *streamOf) expect(t *testing.T, typ, object string) string {
	t.Helper()
	n, ok := s.next(5 * time.Second)
	if !ok {
		t.Fatalf("stream ended or silent, waiting for %s of %s", typ, object)
	}
	if !strings.Contains(n, " a <https://www.w3.org/ns/activitystreams#"+typ+"> ;") ||
		!strings.Contains(n, "<https://www.w3.org/ns/activitystreams#object> <"+object+"> ;") ||
		!strings.Contains(n, "<https://www.w3.org/ns/activitystreams#published> \"") {
		t.Fatalf("got %q, want %s of %s", n, typ, object)
	}
	return n
}

// Every resource links its StreamingHTTPChannel2023 stream with the
// reference server's relation.
func TestStreamingHTTPChannel2023_Link(t *testing.T) {
	p := newPod(t, 0)
	p.must(t, p.owner, "PUT", "/c/doc", "text/plain", "x", http.StatusCreated)
	for _, path := range []string{"/c/doc", "/c/", "/"} {
		for _, method := range []string{"GET", "HEAD"} {
			resp, _ := ldptest.Send(t, p.owner, method, p.base+strings.TrimPrefix(path, "/"), "", "")
			want := "<" + p.streamURL(path) + `>; rel="http://www.w3.org/ns/solid/terms#updatesViaStreamingHttp2023"`
			if l := strings.Join(resp.Header.Values("Link"), ", "); !strings.Contains(l, want) {
				t.Fatalf("%s %s: Link %s lacks %s", method, path, l, want)
			}
		}
	}
}

// The stream is text/turtle; it starts with the topic's current state and
// then carries each change: Create, Update, Delete of the resource, and
// Add/Remove with target on its container's stream.
func TestStreamingHTTPChannel2023_Notifications(t *testing.T) {
	p := newPod(t, 0)
	p.must(t, p.owner, "PUT", "/c/", "text/turtle", "", http.StatusCreated)
	iri := p.base + "c/doc"
	doc := p.openStream(t, p.owner, "/c/doc")
	if doc.resp.StatusCode != http.StatusOK || doc.resp.Header.Get("Content-Type") != "text/turtle" {
		t.Fatalf("stream: %d %s", doc.resp.StatusCode, doc.resp.Header.Get("Content-Type"))
	}
	doc.expect(t, "Delete", iri) // not there yet
	box := p.openStream(t, p.owner, "/c/")
	box.expect(t, "Update", p.base+"c/")

	p.must(t, p.owner, "PUT", "/c/doc", "text/plain", "one", http.StatusCreated)
	n := doc.expect(t, "Create", iri)
	if !strings.Contains(n, "<http://www.w3.org/ns/solid/notifications#state> \"") {
		t.Fatalf("Create without state: %s", n)
	}
	if a := box.expect(t, "Add", iri); !strings.Contains(a, "<https://www.w3.org/ns/activitystreams#target> <"+p.base+"c/>") {
		t.Fatalf("Add without target: %s", a)
	}
	p.must(t, p.owner, "PUT", "/c/doc", "text/plain", "two", http.StatusNoContent)
	doc.expect(t, "Update", iri)
	p.must(t, p.owner, "DELETE", "/c/doc", "", "", http.StatusNoContent)
	doc.expect(t, "Delete", iri)
	box.expect(t, "Remove", iri)
}

// Opening a stream needs Read on the topic: 401 anonymous, 403
// otherwise, whether the topic exists or not; a stream of a resource that
// is not on this server is 404, and only GET is allowed.
func TestStreamingHTTPChannel2023_NeedsRead(t *testing.T) {
	p := newPod(t, 0)
	p.must(t, p.owner, "PUT", "/secret", "text/plain", "x", http.StatusCreated)
	for _, path := range []string{"/secret", "/missing"} {
		if s := p.openStream(t, nil, path); s.resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous stream of %s: %d", path, s.resp.StatusCode)
		}
		if s := p.openStream(t, p.other, path); s.resp.StatusCode != http.StatusForbidden {
			t.Errorf("other's stream of %s: %d", path, s.resp.StatusCode)
		}
	}
	for _, bad := range []string{
		notify.StreamPath + url.QueryEscape("https://elsewhere.example/x"),
		notify.StreamPath + "not-an-iri",
		notify.StreamPath + "%2Fsecret",
		notify.StreamPath + url.QueryEscape(p.base+"secret?q=1"),
	} {
		p.must(t, p.owner, "GET", bad, "", "", http.StatusNotFound)
	}
	p.must(t, p.owner, "POST", notify.StreamPath+url.QueryEscape(p.base+"secret"), "text/plain", "x", http.StatusMethodNotAllowed)
}

// Read is checked before each notification: once the ACL no longer
// grants it, the stream ends without the change.
func TestStreamingHTTPChannel2023_ReadRevoked(t *testing.T) {
	p := newPod(t, 0)
	p.must(t, p.owner, "PUT", "/s/", "text/turtle", "", http.StatusCreated)
	grant := func(who string) string {
		return aclPrefix + `<#owner> a acl:Authorization ; acl:agent <` + p.owner.WebID + `> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#r> a acl:Authorization ; acl:agent <` + who + `> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .`
	}
	p.must(t, p.owner, "PUT", "/s/.acl", "text/turtle", grant(p.other.WebID), http.StatusCreated)
	s := p.openStream(t, p.other, "/s/doc")
	s.expect(t, "Delete", p.base+"s/doc")
	p.must(t, p.owner, "PUT", "/s/doc", "text/plain", "1", http.StatusCreated)
	s.expect(t, "Create", p.base+"s/doc")
	p.must(t, p.owner, "PUT", "/s/.acl", "text/turtle", grant("https://nobody.example/#me"), http.StatusNoContent)
	p.must(t, p.owner, "PUT", "/s/doc", "text/plain", "2", http.StatusNoContent)
	select {
	case n, ok := <-s.notes:
		if ok {
			t.Fatalf("notification after Read was revoked: %s", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stream still open after Read was revoked")
	}
}

// Per-agent limit on open streams (429 above it).
func TestStreamingHTTPChannel2023_PerAgentLimit(t *testing.T) {
	p := newPodWith(t, notify.Config{MaxStreams: 2})
	a := p.openStream(t, p.owner, "/doc")
	p.openStream(t, p.owner, "/doc")
	if s := p.openStream(t, p.owner, "/doc"); s.resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third stream: %d, want 429", s.resp.StatusCode)
	}
	a.resp.Body.Close() // one closes: room for another
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if s := p.openStream(t, p.owner, "/doc"); s.resp.StatusCode == http.StatusOK {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no stream after one was closed")
}
