package ldp

import "testing"

// Issue 10 item 4: every spelling of a served IRI normalises to one store
// path; anything else is not ours.
func TestNormalPathOf(t *testing.T) {
	l, err := NewLocator("http://localhost:3000/", func(n string) bool { return n == "sub" })
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		iri, want string
		ok        bool
	}{
		{"http://localhost:3000/inbox/", "/inbox/", true},
		{"http://LOCALHOST:3000/inbox/", "/inbox/", true},
		{"HTTP://localhost:3000/inbox/", "/inbox/", true},
		{"http://localhost:3000/%69nbox/", "/inbox/", true},
		{"http://localhost:3000/inbox/./", "/inbox/", true},
		{"http://localhost:3000/inbox/.", "/inbox/", true},
		{"http://localhost:3000/inbox/%2e/", "/inbox/", true},
		{"http://localhost:3000/a/../inbox/", "/inbox/", true},
		{"http://localhost:3000/a/%2E%2E/inbox/", "/inbox/", true},
		{"http://localhost:3000/inbox/..", "/", true},
		{"http://localhost:3000/inbox", "/inbox", true},
		{"http://localhost:3000/inbox/x#frag", "/inbox/x", true},
		{"http://localhost:3000/a%20b", "/a%20b", true},
		{"http://SUB.localhost:3000/x", "/sub/x", true},
		{"http://localhost:3000/sub/x", "", false}, // served on its own host only
		// Bad input.
		{"", "", false},
		{"inbox/", "", false},
		{"/inbox/", "", false},
		{"urn:x:inbox", "", false},
		{"mailto:a@localhost", "", false},
		{"https://localhost:3000/inbox/", "", false},
		{"http://localhost:3001/inbox/", "", false},
		{"http://other.example/inbox/", "", false},
		{"http://user@localhost:3000/inbox/", "", false},
		{"http://localhost:3000/..", "", false},
		{"http://localhost:3000/a/../../x", "", false},
		{"http://localhost:3000//x", "", false},
		{"http://localhost:3000/%zz", "", false},
		{"http://localhost:3000/a%00b", "", false},
		{"http://localhost:3000/a%FFb", "", false},
		{"http://[::1/x", "", false},
	} {
		got, ok := l.normalPathOf(c.iri)
		if ok != c.ok || got != c.want {
			t.Errorf("normalPathOf(%q) = %q, %v; want %q, %v", c.iri, got, ok, c.want, c.ok)
		}
	}
}

func FuzzNormalPathOf(f *testing.F) {
	for _, s := range []string{"http://localhost:3000/inbox/./", "http://LOCALHOST:3000/%69/../x", "http://localhost:3000/a/%2E%2E/"} {
		f.Add(s)
	}
	l, err := NewLocator("http://localhost:3000/", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, iri string) {
		p, ok := l.normalPathOf(iri)
		if !ok {
			return
		}
		if c, err := CanonicalPath(p); err != nil || c != p {
			t.Fatalf("normalPathOf(%q) = %q, not canonical (%q, %v)", iri, p, c, err)
		}
		if again, ok := l.normalPathOf(l.IRI(p)); !ok || again != p {
			t.Fatalf("the IRI of %q normalises to %q, %v", p, again, ok)
		}
	})
}
