package ldp

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"testing"
)

func subLocator(t testing.TB, base string) *Locator {
	t.Helper()
	l, err := NewLocator(base, func(name string) bool { return name == "sub" })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLocatorIRI(t *testing.T) {
	l := subLocator(t, "https://Pod.Example:8443/")
	for p, want := range map[string]string{
		"/":              "https://pod.example:8443/",
		"/a/b":           "https://pod.example:8443/a/b",
		"/sub":           "https://pod.example:8443/sub", // a document, not the pod
		"/sub/":          "https://sub.pod.example:8443/",
		"/sub/x/y.ttl":   "https://sub.pod.example:8443/x/y.ttl",
		"/sub/.acl":      "https://sub.pod.example:8443/.acl",
		"/other/x":       "https://pod.example:8443/other/x",
		"/.well-known/a": "https://pod.example:8443/.well-known/a",
	} {
		if got := l.IRI(p); got != want {
			t.Errorf("IRI(%q) = %q, want %q", p, got, want)
		}
		if back, ok := l.PathOf(want + "#frag"); !ok || back != p {
			t.Errorf("PathOf(%q) = %q, %v, want %q", want, back, ok, p)
		}
	}
	for _, iri := range []string{"https://evil.example/x", "http://pod.example:8443/x", "https://x.sub.pod.example:8443/",
		"https://nobody.pod.example:8443/", "https://user@pod.example:8443/"} {
		if p, ok := l.PathOf(iri); ok {
			t.Errorf("PathOf(%q) = %q, want not ours", iri, p)
		}
	}
	plain, err := NewLocator("http://pod.example/base/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := plain.IRI("/sub/x"); got != "http://pod.example/base/sub/x" {
		t.Errorf("prefix IRI = %q", got)
	}
	for _, bad := range []string{"", "/rel", "ftp://x/", "http://x/?q", "http://x/#f", "http://u@x/"} {
		if _, err := NewLocator(bad, nil); err == nil {
			t.Errorf("NewLocator(%q) accepted", bad)
		}
	}
}

func TestLocatorRequests(t *testing.T) {
	l := subLocator(t, "http://pod.example/")
	for _, c := range []struct {
		host, path, want, url string
		err                   error
	}{
		{"pod.example", "/a/b", "/a/b", "http://pod.example/a/b", nil},
		{"sub.pod.example", "/", "/sub/", "http://sub.pod.example/", nil},
		{"SUB.Pod.Example", "/x/%41", "/sub/x/A", "http://sub.pod.example/x/%41", nil},
		{"sub.pod.example", "/.well-known/solid", "/sub/.well-known/solid", "http://sub.pod.example/.well-known/solid", nil},
		// The base-host spelling of a subdomain pod's resource is not found.
		{"pod.example", "/sub/x", "", "http://pod.example/sub/x", ErrNotFound},
		{"pod.example", "/sub/", "", "http://pod.example/sub/", ErrNotFound},
		// Any other Host is served as the base host, never trusted for IRIs.
		{"evil.example", "/a", "/a", "http://pod.example/a", nil},
		{"nobody.pod.example", "/a", "/a", "http://pod.example/a", nil},
		{"x.sub.pod.example", "/a", "/a", "http://pod.example/a", nil},
		{"sub.pod.example", "/a/../b", "", "http://sub.pod.example/a/../b", ErrBadPath},
	} {
		r := httptest.NewRequest("GET", "http://placeholder"+c.path, nil)
		r.Host = c.host
		got, err := l.Path(r)
		if got != c.want || !errors.Is(err, c.err) && !(c.err == nil && err == nil) {
			t.Errorf("Path(%s%s) = %q, %v, want %q, %v", c.host, c.path, got, err, c.want, c.err)
		}
		if u := l.RequestURL(r); u != c.url {
			t.Errorf("RequestURL(%s%s) = %q, want %q", c.host, c.path, u, c.url)
		}
		if pod := l.PodHost(r); pod != (c.url[:len("http://sub.")] == "http://sub.") {
			t.Errorf("PodHost(%s) = %v", c.host, pod)
		}
	}
}

func TestLocatorServes(t *testing.T) {
	l := subLocator(t, "https://pod.example/")
	for raw, want := range map[string]bool{
		"https://pod.example/x": true, "https://sub.pod.example/x": true, "https://SUB.pod.example/": true,
		"http://sub.pod.example/": false, "https://nobody.pod.example/": false, "https://pod.example.evil/": false,
	} {
		u, _ := url.Parse(raw)
		if got := l.Serves(u); got != want {
			t.Errorf("Serves(%s) = %v, want %v", raw, got, want)
		}
	}
}

func TestReserved(t *testing.T) {
	l := subLocator(t, "http://pod.example/")
	for p, want := range map[string]bool{
		"/": false, "/a": false, "/.acl": false, "/.meta": false,
		"/.well-known/solid": true, "/.naamio/health": true, "/.account/": true,
		"/.hidden": true, "/a/.hidden": false, "/a/.acl": false, "/a/.well-known/x": false,
		// On a subdomain pod's host, /.well-known/ is the server's.
		"/sub/.well-known/x": true, "/sub/.well-known": true, "/sub/.hidden": false, "/sub/.acl": false,
	} {
		if got := l.reserved(p); got != want {
			t.Errorf("reserved(%q) = %v, want %v", p, got, want)
		}
	}
	for p, want := range map[string]string{"/x": "/.well-known/solid", "/sub/x": "/sub/.well-known/solid", "/sub/": "/sub/.well-known/solid"} {
		if got := l.descriptionPath(p); got != want {
			t.Errorf("descriptionPath(%q) = %q, want %q", p, got, want)
		}
		root, ok := l.describedRoot(want)
		if !ok || l.descriptionPath(root) != want {
			t.Errorf("describedRoot(%q) = %q, %v", want, root, ok)
		}
	}
}

// BenchmarkLocatorIRI is the IRI of a child in a container listing, the
// most frequent call (one per child, per ACL decision).
func BenchmarkLocatorIRI(b *testing.B) {
	for _, c := range []struct {
		name string
		sub  func(string) bool
		p    string
	}{
		{"path", nil, "/alice/notes/2026/a.ttl"},
		{"subdomain", func(n string) bool { return n == "alice" }, "/alice/notes/2026/a.ttl"},
	} {
		l, err := NewLocator("https://pod.example/", c.sub)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = l.IRI(c.p)
			}
		})
	}
}
