package federation

import (
	"strings"
	"testing"
)

// testPaths is the layout of a server at base whose pods in sub are served
// on their own host (as ldp.Locator.IRI does).
func testPaths(t testing.TB, base string, sub ...string) *Paths {
	t.Helper()
	lower := strings.ToLower(base)
	p, err := NewPaths(base, func(name string) string {
		for _, s := range sub {
			if s == name {
				scheme, host, _ := strings.Cut(lower, "://")
				return scheme + "://" + name + "." + strings.TrimSuffix(host, "/") + "/"
			}
		}
		return strings.TrimSuffix(lower, "/") + "/" + name + "/"
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPathsLayout(t *testing.T) {
	p := testPaths(t, "https://Example.org:8443/", "bob")
	want := map[string]string{
		p.Actor("alice"):         "https://example.org:8443/.ap/actors/alice",
		p.KeyID("alice"):         "https://example.org:8443/.ap/actors/alice#main-key",
		p.Outbox("alice"):        "https://example.org:8443/.ap/actors/alice/outbox",
		p.Followers("alice"):     "https://example.org:8443/.ap/actors/alice/followers",
		p.Following("alice"):     "https://example.org:8443/.ap/actors/alice/following",
		p.Object("alice", "x1"):  "https://example.org:8443/.ap/actors/alice/objects/x1",
		p.Activity("alice", "y"): "https://example.org:8443/.ap/actors/alice/activities/y",
		p.Inbox("alice"):         "https://example.org:8443/alice/inbox/",
		p.WebID("alice"):         "https://example.org:8443/alice/profile/card#me",
		p.SharedInbox():          "https://example.org:8443/.ap/inbox",
		p.Handle("alice"):        "acct:alice@example.org:8443",
		p.Actor("bob"):           "https://example.org:8443/.ap/actors/bob",
		p.Inbox("bob"):           "https://bob.example.org:8443/inbox/",
		p.Profile("bob"):         "https://bob.example.org:8443/profile/card",
		p.Host():                 "example.org:8443",
		p.Base():                 "https://example.org:8443",
	}
	for got, w := range want {
		if got != w {
			t.Errorf("got %q, want %q", got, w)
		}
	}
	withPath := testPaths(t, "http://127.0.0.1:3000/solid/")
	if got := withPath.Actor("a"); got != "http://127.0.0.1:3000/solid/.ap/actors/a" {
		t.Errorf("actor under a base path: %q", got)
	}
	if p.Mount() != "/.ap" || withPath.Mount() != "/solid/.ap" {
		t.Errorf("mount points %q, %q", p.Mount(), withPath.Mount())
	}
}

func TestNewPathsBadBase(t *testing.T) {
	for _, b := range []string{"", "example.org", "ftp://example.org/", "https://", "https://x/?q", "https://x/#f", "https://u@x/", "mailto:a@b"} {
		if _, err := NewPaths(b, func(string) string { return "" }); err == nil {
			t.Errorf("NewPaths(%q) accepted", b)
		}
	}
	if _, err := NewPaths("https://x/", nil); err == nil {
		t.Error("NewPaths without podRoot accepted")
	}
}

// Every URL the layout builds parses back to what built it.
func TestPathsRoundTrip(t *testing.T) {
	for _, base := range []string{"https://example.org/", "http://127.0.0.1:8080/base/"} {
		p := testPaths(t, base)
		for _, c := range []struct {
			iri  string
			want Route
		}{
			{p.Actor("alice"), Route{KindActor, "alice", ""}},
			{p.KeyID("alice"), Route{KindActor, "alice", ""}},
			{p.Outbox("a-1"), Route{KindOutbox, "a-1", ""}},
			{p.Followers("alice"), Route{KindFollowers, "alice", ""}},
			{p.Following("alice"), Route{KindFollowing, "alice", ""}},
			{p.Object("alice", "01HX_z-9"), Route{KindObject, "alice", "01HX_z-9"}},
			{p.Activity("alice", "7"), Route{KindActivity, "alice", "7"}},
			{p.SharedInbox(), Route{KindSharedInbox, "", ""}},
		} {
			got, ok := p.ParseIRI(c.iri)
			if !ok || got != c.want {
				t.Errorf("ParseIRI(%q) = %+v, %v; want %+v", c.iri, got, ok, c.want)
			}
		}
	}
}

func TestPathsParseBad(t *testing.T) {
	p := testPaths(t, "https://example.org/")
	for _, bad := range []string{
		"", "/", "/.ap", "/.ap/", "/.ap/actors", "/.ap/actors/", "/.ap/actors//outbox",
		"/.ap/actors/Alice", "/.ap/actors/al.ice", "/.ap/actors/-a", "/.ap/actors/a-",
		"/.ap/actors/al%69ce", "/.ap/actors/" + strings.Repeat("a", 64),
		"/.ap/actors/alice/", "/.ap/actors/alice/inbox", "/.ap/actors/alice/outbox/",
		"/.ap/actors/alice/objects", "/.ap/actors/alice/objects/", "/.ap/actors/alice/objects/a/b",
		"/.ap/actors/alice/objects/a%2Fb", "/.ap/actors/alice/objects/" + strings.Repeat("x", 129),
		"/.ap/actors/alice/activities/..", "/.ap/inbox/", "/.ap/INBOX", "/alice/profile/card",
		"/.ap/actors/\u00e4lice", "//.ap/actors/alice",
	} {
		if r, ok := p.Parse(bad); ok {
			t.Errorf("Parse(%q) = %+v, want no route", bad, r)
		}
	}
	for _, bad := range []string{
		"http://example.org/.ap/actors/alice",      // other scheme
		"https://example.org:444/.ap/actors/alice", // other port
		"https://evil.example/.ap/actors/alice",    // other host
		"https://alice.example.org/.ap/actors/alice",
		"https://u@example.org/.ap/actors/alice",
		"::not a url",
	} {
		if r, ok := p.ParseIRI(bad); ok {
			t.Errorf("ParseIRI(%q) = %+v, want no route", bad, r)
		}
	}
	if _, ok := p.ParseIRI("https://EXAMPLE.org/.ap/actors/alice"); !ok {
		t.Error("host case should not matter")
	}
	withPath := testPaths(t, "https://example.org/base/")
	if _, ok := withPath.Parse("/.ap/actors/alice"); ok {
		t.Error("a path outside the base path parsed")
	}
}
