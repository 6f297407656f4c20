package ldp

import (
	"errors"
	"testing"
)

func TestCanonicalPath(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{in: "/", want: "/"},
		{in: "/a", want: "/a"},
		{in: "/a/", want: "/a/"},
		{in: "/a/b/c.ttl", want: "/a/b/c.ttl"},
		{in: "/%41", want: "/A"},                         // unreserved decoded
		{in: "/a%2Fb", want: "/a%2Fb"},                   // %2F stays in its segment (SECURITY row 2)
		{in: "/a%2fb", want: "/a%2Fb"},                   // one spelling
		{in: "/a b", want: "/a%20b"},                     // space escaped
		{in: "/%252e", want: "/%252e"},                   // decoded once: the name "%2e"
		{in: "/caf%C3%A9", want: "/caf%C3%A9"},           // UTF-8 kept escaped
		{in: "/x:y@z", want: "/x:y@z"},                   // pchar kept
		{in: "/a/../b", bad: true},                       // SECURITY row 1
		{in: "/a/./b", bad: true},                        //
		{in: "/%2e%2e/b", bad: true},                     // escaped dot segment
		{in: "/a/%2E", bad: true},                        //
		{in: "/a%00b", bad: true},                        // NUL
		{in: "/a//b", bad: true},                         // empty segment
		{in: "/%ZZ", bad: true},                          // bad escape
		{in: "/%C3%28", bad: true},                       // invalid UTF-8
		{in: "a", bad: true},                             // not absolute
		{in: "", bad: true},                              //
		{in: "/..%2fb", want: "/..%2Fb"},                 // a name, not a traversal
		{in: "/a/b/", want: "/a/b/"},                     //
		{in: "//", bad: true},                            //
		{in: "/.acl", want: "/.acl"},                     //
		{in: "/a%2F..%2Fb", want: "/a%2F..%2Fb"},         //
		{in: "/%E2%82%AC/", want: "/%E2%82%AC/"},         //
		{in: "/~user/(x)", want: "/~user/(x)"},           //
		{in: "/q%3Fx%23y", want: "/q%3Fx%23y"},           // ? and # stay escaped
		{in: "/plus+and=semi;", want: "/plus+and=semi;"}, //
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := CanonicalPath(tc.in)
			if tc.bad {
				if !errors.Is(err, ErrBadPath) {
					t.Fatalf("CanonicalPath(%q) = %q, %v; want ErrBadPath", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("CanonicalPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			again, err := CanonicalPath(got)
			if err != nil || again != got {
				t.Fatalf("not idempotent: %q -> %q, %v", got, again, err)
			}
		})
	}
}

func TestPathParts(t *testing.T) {
	tests := []struct{ p, parent, name, twin string }{
		{"/", "", "/", "//"},
		{"/a", "/", "a", "/a/"},
		{"/a/", "/", "a/", "/a"},
		{"/a/b", "/a/", "b", "/a/b/"},
		{"/a/b/", "/a/", "b/", "/a/b"},
	}
	for _, tc := range tests {
		if got := Parent(tc.p); got != tc.parent {
			t.Errorf("Parent(%q) = %q, want %q", tc.p, got, tc.parent)
		}
		if tc.p != "/" {
			if got := Name(tc.p); got != tc.name {
				t.Errorf("Name(%q) = %q, want %q", tc.p, got, tc.name)
			}
			if got := Twin(tc.p); got != tc.twin {
				t.Errorf("Twin(%q) = %q, want %q", tc.p, got, tc.twin)
			}
		}
	}
}

func TestAuxiliary(t *testing.T) {
	tests := []struct {
		p       string
		kind    AuxKind
		subject string
	}{
		{"/a", NotAux, ""},
		{"/a.acl", AuxACL, "/a"},
		{"/a.meta", AuxMeta, "/a"},
		{"/.acl", AuxACL, "/"},
		{"/c/.meta", AuxMeta, "/c/"},
		{"/c.acl/", NotAux, ""},
		{"/a.acl.acl", AuxACL, "/a.acl"},
	}
	for _, tc := range tests {
		kind, subject := Auxiliary(tc.p)
		if kind != tc.kind || subject != tc.subject {
			t.Errorf("Auxiliary(%q) = %v, %q; want %v, %q", tc.p, kind, subject, tc.kind, tc.subject)
		}
	}
	for _, p := range []string{"/a.acl.acl", "/a.meta.acl", "/x/.acl.meta"} {
		if err := checkTarget(p); !errors.Is(err, errBadRequest) {
			t.Errorf("checkTarget(%q) = %v, want errBadRequest", p, err)
		}
	}
	for _, p := range []string{"/c.acl/", "/c.meta/"} {
		if err := checkTarget(p); !errors.Is(err, errBadRequest) {
			t.Errorf("checkTarget(%q) = %v, want errBadRequest", p, err)
		}
	}
	for _, p := range []string{"/", "/a", "/a.acl", "/c/", "/c/.acl"} {
		if err := checkTarget(p); err != nil {
			t.Errorf("checkTarget(%q) = %v, want nil", p, err)
		}
	}
}

func FuzzCanonicalPath(f *testing.F) {
	for _, s := range []string{"/", "/a/b", "/a%2Fb", "/%2e%2e/", "/a/../b", "/%C3%A9/", "/a%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := CanonicalPath(in)
		if err != nil {
			return
		}
		again, err := CanonicalPath(got)
		if err != nil || again != got {
			t.Fatalf("not a fixed point: %q -> %q -> %q, %v", in, got, again, err)
		}
		if got[0] != '/' {
			t.Fatalf("%q -> %q is not absolute", in, got)
		}
		for seg := range splitSegments(got) {
			if seg == "." || seg == ".." || seg == "" {
				t.Fatalf("%q -> %q has segment %q", in, got, seg)
			}
		}
	})
}
