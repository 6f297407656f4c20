package acl

import (
	"fmt"
	"strings"
	"testing"
)

// benchACL is a realistic container ACL with ten Authorizations.
func benchACL(b *testing.B) *ACL {
	var s strings.Builder
	s.WriteString(fixture) // 7 authorizations
	for i := range 3 {
		fmt.Fprintf(&s, "<#extra%d> a acl:Authorization; acl:agent <https://u%d.example/#me>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read .\n", i, i)
	}
	a := mustParse(b, s.String())
	if a.Len() != 10 {
		b.Fatalf("Len = %d", a.Len())
	}
	return a
}

// BenchmarkModesCached is one WAC decision against an already compiled ACL
// (issue 4 target: < 5 µs).
func BenchmarkModesCached(b *testing.B) {
	a := benchACL(b)
	ctx := b.Context()
	cases := []struct {
		name      string
		inherited bool
		ag        Agent
		want      Mode
	}{
		{"public-read", false, Agent{}, Read},
		{"agent", false, user(alice), All},
		{"agent-inherited", true, user("https://u2.example/#me"), Read | Append | Control},
		{"group-member", true, user(carol), Read | Append | Control},
		{"origin", false, Agent{WebID: bob, Authenticated: true, Origin: "https://app.example"}, Read | Write | Append},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if a.Modes(ctx, base, c.inherited, c.ag, fixtureGroups) != c.want {
					b.Fatal("wrong decision")
				}
			}
		})
	}
	b.Run("allow-user+public", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if u, p := a.Allow(ctx, base, false, user(alice), fixtureGroups); u != All || p != Read {
				b.Fatal("wrong decision")
			}
		}
	})
}

func BenchmarkCompile(b *testing.B) {
	src := []byte(prefix + fixture)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(src, aclIRI); err != nil {
			b.Fatal(err)
		}
	}
}
