package acl

import (
	"context"
	"testing"
)

// fixture is a container ACL for https://pod.example/ exercising every subject
// kind. #publicApp gives inherited Control to everyone whose request carries no
// Origin or the listed one: acl:origin protects users from foreign browser
// apps, not resources from clients that send no Origin.
const fixture = `
<#owner> a acl:Authorization; acl:agent <` + alice + `>;
	acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control .
<#public> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:mode acl:Read .
<#authed> a acl:Authorization; acl:agentClass acl:AuthenticatedAgent; acl:default <./>; acl:mode acl:Append .
<#friends> a acl:Authorization; acl:agentGroup <groups#friends>, <groups#broken>; acl:default <./>; acl:mode acl:Read .
<#app> a acl:Authorization; acl:agent <` + bob + `>; acl:origin <https://app.example>;
	acl:accessTo <./>; acl:mode acl:Write .
<#trusted> a acl:Authorization; acl:origin <https://trusted.example/>; acl:accessTo <./>; acl:mode acl:Append .
<#publicApp> a acl:Authorization; acl:agentClass foaf:Agent; acl:origin <https://app.example>; acl:default <./>; acl:mode acl:Control .
`

var fixtureGroups = groups{base + "groups#friends": {carol}}

func TestModes(t *testing.T) {
	a := mustParse(t, fixture)
	anon := Agent{}
	tests := []struct {
		id        string // WAC requirement / section the row checks
		name      string
		inherited bool
		ag        Agent
		want      Mode
	}{
		// server-read-operation, server-update-operation, server-control-operation: acl:agent.
		{"server-control-operation", "owner on container", false, user(alice), All},
		{"server-control-operation", "owner inherited", true, user(alice), All},
		{"server-read-operation", "foaf:Agent grants the public", false, anon, Read},
		{"server-read-operation", "foaf:Agent grants authenticated agents too", false, user(carol), Read},
		{"server-read-operation", "accessTo is not inherited", true, anon, Control},
		{"server-update-operation", "AuthenticatedAgent on inherited", true, user(carol), Append | Read | Control},
		{"server-update-operation", "AuthenticatedAgent excludes anonymous", true, anon, Control},
		{"§Agent", "unauthenticated WebID is public", true, Agent{WebID: alice}, Control},
		{"§Agent", "unauthenticated WebID gets only public", false, Agent{WebID: alice}, Read},
		{"§Agent", "Authenticated without WebID is public", true, Agent{Authenticated: true}, Control},
		{"§agentGroup", "group member", true, user(carol), Read | Append | Control},
		{"§agentGroup", "non-member", true, user(bob), Append | Control},
		// acl:origin restricts the agent subjects when the request has an Origin.
		{"§origin", "agent without Origin header is not restricted", false, user(bob), Read | Write | Append},
		{"§origin", "agent from listed origin", false, Agent{WebID: bob, Authenticated: true, Origin: "https://app.example"}, Read | Write | Append},
		{"§origin", "listed origin, normalized", false, Agent{WebID: bob, Authenticated: true, Origin: "HTTPS://APP.example:443"}, Read | Write | Append},
		{"§origin", "agent from other origin", false, Agent{WebID: bob, Authenticated: true, Origin: "https://evil.example"}, Read},
		{"§origin", "other agent from listed origin", false, Agent{WebID: carol, Authenticated: true, Origin: "https://app.example"}, Read},
		{"§origin", "origin-only authorization, listed origin, anonymous", false, Agent{Origin: "https://trusted.example"}, Read | Append},
		{"§origin", "origin-only authorization, no Origin header", false, anon, Read},
		{"§origin", "origin-only authorization, other origin", false, Agent{Origin: "https://evil.example"}, Read},
		{"§origin", "public with origin, listed", true, Agent{Origin: "https://app.example"}, Control},
		{"§origin", "public with origin, no Origin header", true, anon, Control},
		{"§origin", "public with origin, other origin", true, Agent{Origin: "https://evil.example"}, 0},
		// SECURITY row 25.
		{"SECURITY-25", "Origin null", false, Agent{WebID: bob, Authenticated: true, Origin: "null"}, Read},
		{"SECURITY-25", "garbage Origin", false, Agent{WebID: bob, Authenticated: true, Origin: "\x00://<>"}, Read},
		{"SECURITY-25", "Origin list smuggling", false, Agent{Origin: "https://trusted.example https://x"}, Read},
		{"SECURITY-25", "public with origin, null", true, Agent{Origin: "null"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.id+"/"+tt.name, func(t *testing.T) {
			got := a.Modes(t.Context(), base, tt.inherited, tt.ag, fixtureGroups)
			if got != tt.want {
				t.Fatalf("Modes = %q, want %q", got, tt.want)
			}
			u, p := a.Allow(t.Context(), base, tt.inherited, tt.ag, fixtureGroups)
			pub := a.Modes(t.Context(), base, tt.inherited, Agent{Origin: tt.ag.Origin}, nil)
			if u != got || p != pub || u&p != p {
				t.Fatalf("Allow = %q, %q; want %q, %q", u, p, got, pub)
			}
		})
	}
}

func TestModesOtherResourceGetsNothing(t *testing.T) {
	a := mustParse(t, fixture)
	for _, r := range []string{base + "x", "https://pod.example", "https://other.example/", base + "./"} {
		for _, inh := range []bool{false, true} {
			if got := a.Modes(t.Context(), r, inh, user(alice), fixtureGroups); got != 0 {
				t.Errorf("%s inherited=%v: %v", r, inh, got)
			}
		}
	}
}

// Group errors deny (SECURITY row 24), nil checkers deny, a cancelled context
// denies, and the checker is not asked when it cannot add anything.
func TestGroups(t *testing.T) {
	a := mustParse(t, `<#g> a acl:Authorization; acl:agentGroup <groups#broken>, <groups#f>; acl:accessTo <x>; acl:mode acl:Read .
		<#o> a acl:Authorization; acl:agent <`+alice+`>; acl:accessTo <x>; acl:mode acl:Read .`)
	x := base + "x"
	if got := a.Modes(t.Context(), x, false, user(carol), nil); got != 0 {
		t.Fatal("nil checker granted")
	}
	if got := a.Modes(t.Context(), x, false, user(carol), groups{}); got != 0 {
		t.Fatal("failing checker granted")
	}
	g := groups{base + "groups#f": {carol}}
	if got := a.Modes(t.Context(), x, false, user(carol), g); got != Read {
		t.Fatal("member denied")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if got := a.Modes(ctx, x, false, user(carol), g); got != 0 {
		t.Fatal("cancelled context granted through a group")
	}
	c := &counting{}
	if got := a.Modes(t.Context(), x, false, user(alice), c); got != Read || c.n != 0 {
		t.Fatalf("got %v after %d group lookups; want Read after 0", got, c.n)
	}
	if a.Modes(t.Context(), x, false, Agent{WebID: carol}, c); c.n != 0 {
		t.Fatal("group checked for an unauthenticated agent")
	}
}

type counting struct{ n int }

func (c *counting) Member(context.Context, string, string) (bool, error) { c.n++; return false, nil }

// WAC §"ACL Inheritance Algorithm": the same ACL answers accessTo and default
// separately, and Write always carries Append.
func TestInheritanceAndWriteImpliesAppend(t *testing.T) {
	a := mustParse(t, `<#a> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <c/>; acl:mode acl:Read .
		<#b> a acl:Authorization; acl:agentClass foaf:Agent; acl:default <c/>; acl:mode acl:Write .`)
	if got := a.Modes(t.Context(), base+"c/", false, Agent{}, nil); got != Read {
		t.Fatalf("accessTo: %v", got)
	}
	if got := a.Modes(t.Context(), base+"c/", true, Agent{}, nil); got != Write|Append {
		t.Fatalf("default: %v", got)
	}
}

// The WAC-Allow header from one Allow call (server-wac-allow).
func TestAllowHeader(t *testing.T) {
	a := mustParse(t, fixture)
	u, p := a.Allow(t.Context(), base, false, user(alice), nil)
	if got := WACAllow(u, p); got != `user="read write append control",public="read"` {
		t.Fatal(got)
	}
	u, p = a.Allow(t.Context(), base, false, Agent{}, nil)
	if got := WACAllow(u, p); got != `user="read",public="read"` {
		t.Fatal(got)
	}
}

func TestConcurrentUse(t *testing.T) {
	a := mustParse(t, fixture)
	done := make(chan Mode)
	for i := range 8 {
		go func() {
			ag := user(alice)
			if i%2 == 1 {
				ag = Agent{WebID: bob, Authenticated: true, Origin: "https://app.example"}
			}
			var m Mode
			for range 200 {
				m |= a.Modes(context.Background(), base, false, ag, fixtureGroups)
			}
			done <- m
		}()
	}
	for range 8 {
		if m := <-done; m&Read == 0 {
			t.Error("lost a grant")
		}
	}
}

// A NamedOnly agent (a Wasm module) gets modes only from Authorizations
// naming its WebID: not from foaf:Agent, acl:AuthenticatedAgent or a
// group it belongs to (issue 13, "Identity").
func TestNamedOnly(t *testing.T) {
	a := mustParse(t, fixture)
	named := func(webid string) Agent { return Agent{WebID: webid, Authenticated: true, NamedOnly: true} }
	for _, tc := range []struct {
		name      string
		inherited bool
		ag        Agent
		want      Mode
	}{
		{"named by acl:agent", false, named(alice), All},
		{"named, inherited", true, named(alice), All},
		{"public and authenticated classes grant nothing", false, named(dave), 0},
		{"inherited classes grant nothing", true, named(dave), 0},
		{"group membership grants nothing", true, named(carol), 0},
		{"not authenticated: nothing", false, Agent{WebID: alice, NamedOnly: true}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user, public := a.Allow(context.Background(), base, tc.inherited, tc.ag, fixtureGroups)
			if user != tc.want {
				t.Errorf("user modes %v, want %v", user, tc.want)
			}
			if public != Read && !tc.inherited {
				t.Errorf("public modes %v, want read (the public's modes are reported unchanged)", public)
			}
		})
	}
}
