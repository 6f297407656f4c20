package conformance

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
)

// StreamingHTTPChannel2023 (solid.github.io/notifications/streaming-http-channel-2023)
// black-box: a resource links its stream; a GET of the stream by an agent
// that may Read the topic stays open and carries one Turtle notification
// per change; without Read it is refused as a GET of the topic would be.

const asNS = "https://www.w3.org/ns/activitystreams#"

// turtleNote is one notification read from a stream.
type turtleNote struct {
	g   graph
	id  term
	raw string
}

func (n turtleNote) typ() string {
	for _, tr := range n.g.match(n.id, iri(rdfType), term{}) {
		return strings.TrimPrefix(tr.o.value, asNS)
	}
	return ""
}

func (n turtleNote) value(p string) string {
	for _, tr := range n.g.match(n.id, iri(p), term{}) {
		return tr.o.value
	}
	return ""
}

// noteStream is an open stream read in the background.
type noteStream struct {
	resp  *http.Response
	notes chan turtleNote
	errs  chan error
}

// openStream GETs the stream u as agent (nil: anonymous). A 200 is read in
// the background: each notification is the Turtle text up to a line
// ending in " ." after which the text parses and has one subject with
// as:published. Other answers are returned as a reply.
func openStream(t testing.TB, agent *testissuer.Agent, u string) (*noteStream, *reply) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if agent != nil {
		if err := agent.Sign(req); err != nil {
			t.Fatal(err)
		}
	}
	// No overall timeout: the response is open for as long as the test.
	c := &http.Client{Transport: httpClient.Transport}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return nil, &reply{Response: resp, body: b.Bytes(), url: u}
	}
	t.Cleanup(func() { resp.Body.Close() })
	s := &noteStream{resp: resp, notes: make(chan turtleNote, 64), errs: make(chan error, 1)}
	go func() {
		defer close(s.notes)
		br := bufio.NewReader(resp.Body)
		var buf strings.Builder
		for {
			line, err := br.ReadString('\n')
			buf.WriteString(line)
			if strings.HasSuffix(strings.TrimSpace(line), " .") {
				if g, perr := parseTurtle([]byte(buf.String()), u); perr == nil {
					if subs := g.match(term{}, iri(asNS+"published"), term{}); len(subs) == 1 {
						s.notes <- turtleNote{g: g, id: subs[0].s, raw: buf.String()}
						buf.Reset()
					}
				}
			}
			if err != nil {
				if rest := strings.TrimSpace(buf.String()); rest != "" {
					s.errs <- fmt.Errorf("stream ended inside a notification: %q", rest)
				}
				return
			}
		}
	}()
	return s, nil
}

// next returns the next notification within d.
func (s *noteStream) next(d time.Duration) (turtleNote, bool) {
	select {
	case n, ok := <-s.notes:
		return n, ok
	case <-time.After(d):
		return turtleNote{}, false
	}
}

// wait reads until a notification of typ about object arrives.
func (s *noteStream) wait(t testing.TB, typ, object string) turtleNote {
	t.Helper()
	deadline := time.Now().Add(noteWait)
	var seen []string
	for time.Now().Before(deadline) {
		n, ok := s.next(time.Until(deadline))
		if !ok {
			break
		}
		if n.typ() == typ && n.value(asNS+"object") == object {
			return n
		}
		seen = append(seen, n.raw)
	}
	select {
	case err := <-s.errs:
		t.Errorf("%v", err)
	default:
	}
	t.Fatalf("no %s of %s in the stream within %v; got %v", typ, object, noteWait, seen)
	return turtleNote{}
}

// streamOf is the one stream a resource links (GET, as the owner).
func streamOf(t testing.TB, p string) string {
	t.Helper()
	r := srv.do(t, http.MethodHead, p, nil)
	ts := linkTargets(r, relStreaming)
	if len(ts) != 1 {
		t.Fatalf("HEAD %s: want one %s link, got %v", p, relStreaming, r.Header.Values("Link"))
	}
	return ts[0]
}

func TestNotificationsStreaming(t *testing.T) {
	requirement(t, "streaming-link-on-resource", func(t *testing.T) {
		dir := fresh(t.Name())
		doc := dir + "a.ttl"
		srv.put(t, doc, ctTurtle, []byte(`<#a> <#b> <#c> .`))
		streams := map[string]bool{}
		for _, p := range []string{"/", dir, doc} {
			for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodOptions} {
				r := srv.do(t, m, p, nil)
				ts := linkTargets(r, relStreaming)
				if len(ts) != 1 {
					t.Errorf("%s %s: want one %s link, got %v", m, p, relStreaming, r.Header.Values("Link"))
					continue
				}
				if !strings.HasPrefix(ts[0], srv.base) {
					t.Errorf("%s %s: stream %s is not on the server", m, p, ts[0])
				}
				streams[ts[0]] = true
			}
		}
		if len(streams) != 3 {
			t.Errorf("three resources, %d distinct streams: %v", len(streams), streams)
		}
		// Each stream is a GET the client may make: 200 text/turtle.
		s, rep := openStream(t, owner, streamOf(t, doc))
		if rep != nil {
			t.Fatalf("GET of the stream: %s", rep)
		}
		if mt := strings.TrimSpace(strings.Split(s.resp.Header.Get("Content-Type"), ";")[0]); mt != ctTurtle {
			t.Errorf("stream Content-Type %q, want %s", s.resp.Header.Get("Content-Type"), ctTurtle)
		}
	})

	requirement(t, "streaming-notification-after-write", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir, ctTurtle, nil)
		doc := dir + "doc.ttl"
		srv.put(t, doc, ctTurtle, []byte(`<#s> <#p> "0" .`))
		ds, rep := openStream(t, owner, streamOf(t, doc))
		if rep != nil {
			t.Fatalf("GET of the stream: %s", rep)
		}
		cs, rep := openStream(t, owner, streamOf(t, dir))
		if rep != nil {
			t.Fatalf("GET of the container's stream: %s", rep)
		}
		// The first notification is the topic's current state.
		if n := ds.wait(t, "Update", srv.url(doc)); bareTag(n.value(notifyNS+"state")) != etagOf(t, srv, doc) {
			t.Errorf("opening notification state %q, want the ETag %q", n.value(notifyNS+"state"), etagOf(t, srv, doc))
		}
		srv.put(t, doc, ctTurtle, []byte(`<#s> <#p> "1" .`))
		n := ds.wait(t, "Update", srv.url(doc))
		if got, want := bareTag(n.value(notifyNS+"state")), etagOf(t, srv, doc); got != want {
			t.Errorf("Update state %q, want the new ETag %q", got, want)
		}
		if n.id.kind != 'I' || n.value(asNS+"published") == "" {
			t.Errorf("notification without an IRI id or published: %s", n.raw)
		}
		child := dir + "new.txt"
		srv.put(t, child, "text/plain", []byte("x"))
		if add := cs.wait(t, "Add", srv.url(child)); add.value(asNS+"target") != srv.url(dir) {
			t.Errorf("Add target %q, want %s", add.value(asNS+"target"), srv.url(dir))
		}
		mustStatus(t, srv.do(t, http.MethodDelete, doc, nil), deleted...)
		ds.wait(t, "Delete", srv.url(doc))
		cs.wait(t, "Remove", srv.url(doc))
	})

	// SECURITY row 63 for this channel type: the stream is refused as a GET
	// of its topic would be (anonymous 401 with the DPoP challenge, bob
	// 403), the same for an existing and a missing topic; alice, who may
	// read, gets it.
	requirement(t, "security-row-63-streaming-needs-read", func(t *testing.T) {
		a, b := agents(t)
		_, doc := aclDir(t, t.Name(), grant{subject: agentSubject(a), modes: "R"})
		// A missing resource links no stream (a 404 has no links); its
		// stream URL is the existing one's with the name changed.
		have := streamOf(t, doc)
		miss := strings.Replace(have, "doc.ttl", "nix.ttl", 1)
		if miss == have {
			t.Fatalf("stream URL %s does not name doc.ttl", have)
		}
		for _, c := range []struct {
			agent *testissuer.Agent
			who   string
			want  int
		}{{nil, "anonymous", http.StatusUnauthorized}, {b, "bob", http.StatusForbidden}} {
			_, hr := openStream(t, c.agent, have)
			_, mr := openStream(t, c.agent, miss)
			if hr == nil || mr == nil {
				t.Errorf("%s: a stream was opened without Read", c.who)
				continue
			}
			expect(t, hr, c.want)
			expect(t, mr, c.want)
			if c.want == http.StatusUnauthorized {
				want401(t, hr)
			}
			if got, want := strings.ReplaceAll(string(mr.body), "nix.ttl", "doc.ttl"), string(hr.body); got != want {
				t.Errorf("%s: bodies differ for existing and missing: %q vs %q", c.who, want, got)
			}
		}
		s, rep := openStream(t, a, have)
		if rep != nil {
			t.Fatalf("alice with Read: %s", rep)
		}
		srv.put(t, doc, ctTurtle, []byte(`<#s> <#p> "2" .`))
		s.wait(t, "Update", srv.url(doc))
	})
}
