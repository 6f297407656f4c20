package acl

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/naamio/naamio/rdf"
)

// Group documents used by the tests: WAC §"Access Subjects" (acl:agentGroup),
// a vcard:Group whose members are listed with vcard:hasMember.
const (
	teamDoc    = "https://groups.example/team"
	friendsIRI = teamDoc + "#friends"
	familyIRI  = teamDoc + "#family"
	crewDoc    = "https://groups.example/crew.jsonld"
	crewIRI    = crewDoc + "#crew"
	wholeDoc   = "https://groups.example/whole" // the document itself is the group
	dave       = "https://dave.example/#me"

	teamTurtle = `@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
<#friends> a vcard:Group; vcard:hasMember <` + alice + `>, <` + carol + `> .
<#family> a vcard:Group; vcard:hasMember <` + bob + `> .
<#literal> a vcard:Group; vcard:hasMember "` + dave + `" .
_:anon vcard:hasMember <` + dave + `> .
`
	crewJSONLD = `{
  "@context": {"vcard": "http://www.w3.org/2006/vcard/ns#"},
  "@graph": [{
    "@id": "#crew",
    "@type": "vcard:Group",
    "vcard:hasMember": [{"@id": "` + alice + `"}, {"@id": "` + bob + `"}]
  }]
}`
	wholeTurtle = `<> <http://www.w3.org/2006/vcard/ns#hasMember> <` + alice + `> .`
)

// groupResp is what the test fetcher answers for one document.
type groupResp struct {
	body, mediaType string
	err             error
	panics          bool
}

// groupServer is a GroupFetcher over a table of documents that counts calls.
// A document not in the table is an error ("404").
type groupServer struct {
	mu    sync.Mutex
	docs  map[string]groupResp
	calls map[string]int
}

var errNotFound = errors.New("404 not found")

func newGroupServer(docs map[string]groupResp) *groupServer {
	return &groupServer{docs: docs, calls: map[string]int{}}
}

func (s *groupServer) fetch(_ context.Context, docURL string) ([]byte, string, error) {
	s.mu.Lock()
	s.calls[docURL]++
	r, ok := s.docs[docURL]
	s.mu.Unlock()
	switch {
	case !ok:
		return nil, "", errNotFound
	case r.panics:
		panic("fetcher bug")
	}
	return []byte(r.body), r.mediaType, r.err
}

func (s *groupServer) set(docURL string, r groupResp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs[docURL] = r
}

func (s *groupServer) count(docURL string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[docURL]
}

func (s *groupServer) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		n += c
	}
	return n
}

// stepClock is a clock that moves only when told.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func newStepClock() *stepClock { return &stepClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func standardGroupDocs() map[string]groupResp {
	return map[string]groupResp{
		teamDoc:                       {body: teamTurtle, mediaType: "text/turtle"},
		crewDoc:                       {body: crewJSONLD, mediaType: "application/ld+json"},
		wholeDoc:                      {body: wholeTurtle, mediaType: "Text/Turtle; charset=utf-8"},
		"https://groups.example/html": {body: teamTurtle, mediaType: "text/html"},
		"https://groups.example/json": {body: crewJSONLD, mediaType: "application/json"},
		"https://groups.example/none": {body: teamTurtle},
		"https://groups.example/bad":  {body: "<#friends> vcard:hasMember <" + alice + "> .", mediaType: "text/turtle"}, // undeclared prefix
		"https://groups.example/deep": {
			body:      "<#friends> <http://www.w3.org/2006/vcard/ns#hasMember> <" + alice + ">, " + strings.Repeat("[ <p> ", 100_000),
			mediaType: "text/turtle",
		},
		"https://groups.example/deepjson": {body: strings.Repeat("[", 100_000), mediaType: "application/ld+json"},
		"https://groups.example/fails":    {err: errors.New("connection refused")},
		"https://groups.example/panics":   {panics: true},
	}
}

func TestGroupsMember(t *testing.T) {
	tests := []struct {
		name     string
		group    string
		webID    string
		want     bool
		wantErr  error // nil: no error expected
		noFetch  bool  // the IRI must never be fetched
		fetchURL string
	}{
		{name: "turtle member", group: friendsIRI, webID: alice, want: true},
		{name: "turtle second member", group: friendsIRI, webID: carol, want: true},
		{name: "turtle non-member", group: friendsIRI, webID: bob},
		{name: "other group in the same document", group: familyIRI, webID: bob, want: true},
		{name: "group IRI not in the document", group: teamDoc + "#strangers", webID: alice},
		{name: "document IRI is not the fragment group", group: teamDoc, webID: alice},
		{name: "a literal is not a member", group: teamDoc + "#literal", webID: dave},
		{name: "blank-node group members do not leak", group: teamDoc + "#anon", webID: dave},
		{name: "WebID compared exactly", group: friendsIRI, webID: strings.ToUpper(alice)},
		{name: "public is a member of nothing", group: friendsIRI, webID: "", noFetch: true, fetchURL: teamDoc},
		{name: "JSON-LD member", group: crewIRI, webID: bob, want: true},
		{name: "JSON-LD non-member", group: crewIRI, webID: carol},
		{name: "group is the whole document, media type parameters", group: wholeDoc, webID: alice, want: true},
		{name: "fetch error denies", group: "https://groups.example/fails#g", webID: alice, wantErr: ErrGroupUnknown},
		{name: "missing document denies", group: "https://groups.example/missing#g", webID: alice, wantErr: errNotFound},
		{name: "fetcher panic denies", group: "https://groups.example/panics#g", webID: alice, wantErr: ErrGroupUnknown},
		{name: "HTML denies", group: "https://groups.example/html#friends", webID: alice, wantErr: rdf.ErrUnsupported},
		{name: "plain JSON denies", group: "https://groups.example/json#crew", webID: alice, wantErr: rdf.ErrUnsupported},
		{name: "no media type denies", group: "https://groups.example/none#friends", webID: alice, wantErr: rdf.ErrUnsupported},
		{name: "unparsable Turtle denies", group: "https://groups.example/bad#friends", webID: alice, wantErr: rdf.ErrSyntax},
		{name: "deep Turtle denies", group: "https://groups.example/deep#friends", webID: alice, wantErr: rdf.ErrTooDeep},
		{name: "deep JSON-LD denies", group: "https://groups.example/deepjson#friends", webID: alice, wantErr: rdf.ErrTooDeep},
		{name: "relative IRI", group: "groups#friends", webID: alice, wantErr: ErrGroupUnknown, noFetch: true, fetchURL: "groups"},
		{name: "urn", group: "urn:uuid:1#g", webID: alice, wantErr: ErrGroupUnknown, noFetch: true, fetchURL: "urn:uuid:1"},
		{name: "file", group: "file:///etc/group#g", webID: alice, wantErr: ErrGroupUnknown, noFetch: true, fetchURL: "file:///etc/group"},
		{name: "ftp", group: "ftp://groups.example/team#friends", webID: alice, wantErr: ErrGroupUnknown, noFetch: true, fetchURL: "ftp://groups.example/team"},
		{name: "no host", group: "https:///team#friends", webID: alice, wantErr: ErrGroupUnknown, noFetch: true, fetchURL: "https:///team"},
		{name: "opaque", group: "https:groups.example#friends", webID: alice, wantErr: ErrGroupUnknown, noFetch: true, fetchURL: "https:groups.example"},
		{name: "user information", group: "https://u:p@groups.example/team#friends", webID: alice, wantErr: ErrGroupUnknown, noFetch: true, fetchURL: "https://u:p@groups.example/team"},
		{name: "whitespace", group: "https://groups.example/te am#friends", webID: alice, wantErr: ErrGroupUnknown, noFetch: true, fetchURL: "https://groups.example/te am"},
		{name: "empty", group: "", webID: alice, wantErr: ErrGroupUnknown, noFetch: true, fetchURL: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newGroupServer(standardGroupDocs())
			g := NewGroups(s.fetch, GroupOptions{})
			got, err := g.Member(t.Context(), tt.group, tt.webID)
			if got != tt.want {
				t.Errorf("Member = %v, want %v (err %v)", got, tt.want, err)
			}
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != nil && (!errors.Is(err, tt.wantErr) || !errors.Is(err, ErrGroupUnknown)):
				t.Errorf("err = %v, want %v wrapped with ErrGroupUnknown", err, tt.wantErr)
			}
			if tt.noFetch && s.total() != 0 {
				t.Errorf("fetched %v", s.calls)
			}
		})
	}
}

func TestGroupsTimeout(t *testing.T) {
	const timeout = 50 * time.Millisecond
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	fetchers := []struct {
		name  string
		fetch GroupFetcher
	}{
		{"honours its deadline", func(ctx context.Context, _ string) ([]byte, string, error) {
			<-ctx.Done()
			return nil, "", ctx.Err()
		}},
		{"ignores its deadline", func(context.Context, string) ([]byte, string, error) {
			<-stuck
			return []byte(teamTurtle), "text/turtle", nil
		}},
	}
	for _, f := range fetchers {
		t.Run(f.name, func(t *testing.T) {
			g := NewGroups(f.fetch, GroupOptions{Timeout: timeout})
			start := time.Now()
			ok, err := g.Member(t.Context(), friendsIRI, alice)
			if ok || !errors.Is(err, ErrGroupUnknown) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Member = %v, %v; want false, deadline exceeded", ok, err)
			}
			if d := time.Since(start); d > 5*time.Second { // generous: only "not stuck"
				t.Fatalf("Member took %v with a %v timeout", d, timeout)
			}
		})
	}
}

// A document that fails is remembered for min(TTL, 10s): N lookups, one fetch.
func TestGroupsNegativeCache(t *testing.T) {
	tests := []struct {
		name    string
		ttl     time.Duration
		failTTL time.Duration
	}{
		{"default TTL", 0, 10 * time.Second},
		{"long TTL is capped", time.Hour, 10 * time.Second},
		{"short TTL", 2 * time.Second, 2 * time.Second},
	}
	const doc = "https://groups.example/fails"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newGroupServer(standardGroupDocs())
			clock := newStepClock()
			g := NewGroups(s.fetch, GroupOptions{TTL: tt.ttl, Now: clock.Now})
			lookup := func() {
				t.Helper()
				for _, who := range []string{alice, bob, carol, dave} {
					if ok, err := g.Member(t.Context(), doc+"#g", who); ok || err == nil {
						t.Fatalf("Member(%s) = %v, %v; want a denial", who, ok, err)
					}
				}
			}
			lookup()
			clock.advance(tt.failTTL - time.Nanosecond)
			lookup()
			if n := s.count(doc); n != 1 {
				t.Fatalf("fetched %d times within the failure TTL, want 1", n)
			}
			clock.advance(time.Nanosecond)
			lookup()
			if n := s.count(doc); n != 2 {
				t.Fatalf("fetched %d times after the failure TTL, want 2", n)
			}
		})
	}
}

func TestGroupsPositiveCacheTTL(t *testing.T) {
	s := newGroupServer(standardGroupDocs())
	clock := newStepClock()
	const ttl = 30 * time.Second
	g := NewGroups(s.fetch, GroupOptions{TTL: ttl, Now: clock.Now})
	lookups := []struct {
		group, webID string
		want         bool
	}{
		{friendsIRI, alice, true}, {friendsIRI, bob, false}, {familyIRI, bob, true}, {teamDoc + "#x", carol, false},
	}
	run := func() {
		t.Helper()
		for _, l := range lookups {
			if ok, err := g.Member(t.Context(), l.group, l.webID); ok != l.want || err != nil {
				t.Fatalf("Member(%s, %s) = %v, %v; want %v", l.group, l.webID, ok, err, l.want)
			}
		}
	}
	run()
	clock.advance(ttl - time.Nanosecond)
	run()
	if n := s.count(teamDoc); n != 1 {
		t.Fatalf("fetched %d times within the TTL, want 1 (one per document, not per group)", n)
	}
	// The document changes on the remote host; the cache shows it after the TTL.
	s.set(teamDoc, groupResp{body: strings.Replace(teamTurtle, "<"+alice+">, ", "", 1), mediaType: "text/turtle"})
	if ok, _ := g.Member(t.Context(), friendsIRI, alice); !ok {
		t.Fatal("cached membership lost before the TTL")
	}
	clock.advance(time.Nanosecond)
	if ok, err := g.Member(t.Context(), friendsIRI, alice); ok || err != nil {
		t.Fatalf("after TTL: Member = %v, %v; want false (removed member)", ok, err)
	}
	if n := s.count(teamDoc); n != 2 {
		t.Fatalf("fetched %d times after the TTL, want 2", n)
	}
}

func TestGroupsInvalidate(t *testing.T) {
	s := newGroupServer(standardGroupDocs())
	g := NewGroups(s.fetch, GroupOptions{Now: newStepClock().Now})
	ctx := t.Context()
	for _, iri := range []string{friendsIRI, crewIRI} {
		if ok, err := g.Member(ctx, iri, alice); !ok || err != nil {
			t.Fatalf("Member(%s) = %v, %v", iri, ok, err)
		}
	}
	s.set(teamDoc, groupResp{body: strings.Replace(teamTurtle, "<"+alice+">, ", "", 1), mediaType: "text/turtle"})
	if ok, _ := g.Member(ctx, friendsIRI, alice); !ok {
		t.Fatal("expected the cached answer before Invalidate")
	}
	g.Invalidate(friendsIRI) // a fragment is ignored
	if ok, err := g.Member(ctx, friendsIRI, alice); ok || err != nil {
		t.Fatalf("after Invalidate: Member = %v, %v; want false", ok, err)
	}
	if ok, err := g.Member(ctx, crewIRI, alice); !ok || err != nil {
		t.Fatalf("other document: Member = %v, %v", ok, err)
	}
	if a, b := s.count(teamDoc), s.count(crewDoc); a != 2 || b != 1 {
		t.Fatalf("fetches: team %d (want 2), crew %d (want 1)", a, b)
	}
	// A failure is forgotten too, so a fixed local group works at once.
	const doc = "https://groups.example/fails"
	if ok, _ := g.Member(ctx, doc+"#g", alice); ok {
		t.Fatal("failing document granted")
	}
	s.set(doc, groupResp{body: `<#g> <http://www.w3.org/2006/vcard/ns#hasMember> <` + alice + `> .`, mediaType: "text/turtle"})
	g.Invalidate(doc)
	if ok, err := g.Member(ctx, doc+"#g", alice); !ok || err != nil {
		t.Fatalf("after fixing and Invalidate: Member = %v, %v", ok, err)
	}
}

// Invalidate during a fetch: the fetch's (possibly stale) answer is not cached.
func TestGroupsInvalidateDuringFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		var mu sync.Mutex
		calls := 0
		g := NewGroups(func(context.Context, string) ([]byte, string, error) {
			mu.Lock()
			calls++
			first := calls == 1
			mu.Unlock()
			if first {
				<-gate
				return []byte(teamTurtle), "text/turtle", nil // the old content
			}
			return []byte("# empty"), "text/turtle", nil
		}, GroupOptions{Timeout: time.Hour})
		done := make(chan bool)
		go func() {
			ok, _ := g.Member(context.Background(), friendsIRI, alice)
			done <- ok
		}()
		synctest.Wait()
		g.Invalidate(teamDoc)
		close(gate)
		<-done
		if ok, err := g.Member(t.Context(), friendsIRI, alice); ok || err != nil {
			t.Fatalf("Member = %v, %v; want the new content (false)", ok, err)
		}
		if calls != 2 {
			t.Fatalf("fetches = %d, want 2", calls)
		}
	})
}

// Concurrent lookups of one document share one fetch (run with -race).
func TestGroupsSingleFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newGroupServer(standardGroupDocs())
		gate := make(chan struct{})
		fetch := func(ctx context.Context, docURL string) ([]byte, string, error) {
			<-gate
			return s.fetch(ctx, docURL)
		}
		g := NewGroups(fetch, GroupOptions{Timeout: time.Hour})
		const n = 64
		results := make(chan error, n)
		for i := range n {
			who, group, want := alice, friendsIRI, true
			if i%2 == 1 {
				who, group, want = bob, familyIRI, true
			}
			if i%4 == 3 {
				who, want = carol, false
			}
			go func() {
				ok, err := g.Member(context.Background(), group, who)
				if err == nil && ok != want {
					err = fmt.Errorf("Member(%s, %s) = %v", group, who, ok)
				}
				results <- err
			}()
		}
		synctest.Wait() // every caller is waiting; the one fetch is at the gate
		close(gate)
		for range n {
			if err := <-results; err != nil {
				t.Error(err)
			}
		}
		if c := s.count(teamDoc); c != 1 {
			t.Fatalf("%d concurrent lookups caused %d fetches, want 1", n, c)
		}
	})
}

// The first caller leaving does not cancel the fetch the others wait for.
func TestGroupsFetchDetachedFromFirstCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		fetchErr := make(chan error, 1)
		g := NewGroups(func(ctx context.Context, _ string) ([]byte, string, error) {
			<-gate
			fetchErr <- ctx.Err()
			return []byte(teamTurtle), "text/turtle", nil
		}, GroupOptions{Timeout: time.Hour})

		first, cancel := context.WithCancel(context.Background())
		firstErr := make(chan error, 1)
		go func() {
			_, err := g.Member(first, friendsIRI, alice)
			firstErr <- err
		}()
		synctest.Wait()
		second := make(chan bool, 1)
		go func() {
			ok, _ := g.Member(context.Background(), friendsIRI, carol)
			second <- ok
		}()
		synctest.Wait()
		cancel()
		if err := <-firstErr; !errors.Is(err, context.Canceled) || !errors.Is(err, ErrGroupUnknown) {
			t.Fatalf("first caller: err = %v, want canceled", err)
		}
		close(gate)
		if !<-second {
			t.Fatal("second caller: not a member")
		}
		if err := <-fetchErr; err != nil {
			t.Fatalf("the fetch saw %v: cancelled with the first caller", err)
		}
		// A caller already gone starts no fetch.
		if _, err := g.Member(first, crewIRI, alice); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled caller: err = %v", err)
		}
	})
}

func TestGroupsCacheBound(t *testing.T) {
	const docs, max = 10, 3
	s := newGroupServer(map[string]groupResp{})
	for i := range docs {
		s.set(fmt.Sprintf("https://g%d.example/doc", i), groupResp{
			body:      `<#g> <http://www.w3.org/2006/vcard/ns#hasMember> <` + alice + `> .`,
			mediaType: "text/turtle",
		})
	}
	g := NewGroups(s.fetch, GroupOptions{MaxEntries: max, Now: newStepClock().Now})
	for pass := range 2 {
		for i := range docs {
			if ok, err := g.Member(t.Context(), fmt.Sprintf("https://g%d.example/doc#g", i), alice); !ok || err != nil {
				t.Fatalf("pass %d doc %d: Member = %v, %v", pass, i, ok, err)
			}
			g.mu.RLock()
			n := len(g.docs)
			g.mu.RUnlock()
			if n > max {
				t.Fatalf("cache holds %d documents, bound %d", n, max)
			}
		}
	}
	if n := s.total(); n < 2*docs-max {
		t.Fatalf("%d fetches: evicted documents were not fetched again", n)
	}
}

// acl:agentGroup end to end: an ACL compiled by Parse, evaluated with Groups.
// Members get the group's modes; a group that fails, times out or is not RDF
// grants nothing, and nothing else in the ACL is affected.
func TestGroupsWithACL(t *testing.T) {
	a := mustParse(t, `
<#friends> a acl:Authorization; acl:agentGroup <`+friendsIRI+`>; acl:accessTo <./>; acl:mode acl:Read .
<#local> a acl:Authorization; acl:agentGroup <groups#family>; acl:accessTo <./>; acl:mode acl:Append .
<#down> a acl:Authorization; acl:agentGroup <https://down.example/g#all>; acl:accessTo <./>; acl:mode acl:Write .
<#slow> a acl:Authorization; acl:agentGroup <https://slow.example/g#all>; acl:accessTo <./>; acl:mode acl:Control .
<#html> a acl:Authorization; acl:agentGroup <https://groups.example/html#friends>; acl:accessTo <./>; acl:mode acl:Control .
<#internal> a acl:Authorization; acl:agentGroup <urn:x:all>; acl:accessTo <./>; acl:mode acl:Write .
`)
	docs := standardGroupDocs()
	docs[base+"groups"] = groupResp{body: `@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
<#family> vcard:hasMember <` + bob + `> .`, mediaType: "text/turtle"}
	docs["https://down.example/g"] = groupResp{err: errors.New("503")}
	s := newGroupServer(docs)
	fetch := func(ctx context.Context, docURL string) ([]byte, string, error) {
		if docURL == "https://slow.example/g" {
			<-ctx.Done() // would list everyone, too late
			return []byte(`<#all> <http://www.w3.org/2006/vcard/ns#hasMember> <` + alice + `> .`), "text/turtle", nil
		}
		return s.fetch(ctx, docURL)
	}
	g := NewGroups(fetch, GroupOptions{Timeout: 50 * time.Millisecond})
	tests := []struct {
		name string
		ag   Agent
		want Mode
	}{
		{"member", user(alice), Read},
		{"other member", user(carol), Read},
		{"member of the local group", user(bob), Append},
		{"non-member", user(dave), 0},
		{"anonymous", Agent{}, 0},
		{"unauthenticated member", Agent{WebID: alice}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := a.Modes(t.Context(), base, false, tt.ag, g); got != tt.want {
				t.Fatalf("Modes = %q, want %q", got, tt.want)
			}
			if u, p := a.Allow(t.Context(), base, false, tt.ag, g); u != tt.want || p != 0 {
				t.Fatalf("Allow = %q, %q; want %q, none", u, p, tt.want)
			}
		})
	}
	if n := s.count("https://down.example/g"); n != 1 {
		t.Fatalf("failing group fetched %d times, want 1 (negative cache)", n)
	}
}

// BenchmarkGroupsMemberCached is one membership answer from a cached document.
func BenchmarkGroupsMemberCached(b *testing.B) {
	s := newGroupServer(standardGroupDocs())
	g := NewGroups(s.fetch, GroupOptions{TTL: time.Hour})
	ctx := b.Context()
	if ok, err := g.Member(ctx, friendsIRI, carol); !ok || err != nil {
		b.Fatalf("Member = %v, %v", ok, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := g.Member(ctx, friendsIRI, carol); !ok {
			b.Fatal("not a member")
		}
	}
	if n := s.count(teamDoc); n != 1 {
		b.Fatalf("%d fetches", n)
	}
}
