package conformance

import (
	"fmt"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/naamio/naamio/internal/testissuer"
)

// Vocabulary used in ACL documents written by the tests.
const (
	aclNS     = "http://www.w3.org/ns/auth/acl#"
	foafAgent = "http://xmlns.com/foaf/0.1/Agent"
	vcardNS   = "http://www.w3.org/2006/vcard/ns#"

	// appOrigin is the origin named by acl:origin in the tests.
	appOrigin  = "https://app.example"
	evilOrigin = "https://evil.example"
)

var (
	agentsOnce sync.Once
	agentsErr  error
	// alice and bob are authenticated agents other than the owner. alice is
	// the member of teamGroup; bob is not.
	alice, bob *testissuer.Agent
	teamGroup  string
)

// agents returns alice and bob, creating them (and the group document
// served by the issuer) on first use.
// A nil t panics on failure (used where the agents already exist).
func agents(t testing.TB) (*testissuer.Agent, *testissuer.Agent) {
	if t != nil {
		t.Helper()
	}
	agentsOnce.Do(func() {
		if alice, agentsErr = issuer.NewAgent("alice"); agentsErr != nil {
			return
		}
		if bob, agentsErr = issuer.NewAgent("bob"); agentsErr != nil {
			return
		}
		teamGroup = issuer.URL() + "/groups/team#g"
		issuer.Serve("/groups/team", "text/turtle", "@prefix vcard: <"+vcardNS+">.\n"+
			"<#g> a vcard:Group; vcard:hasMember <"+alice.WebID+">.\n")
	})
	if agentsErr != nil {
		if t == nil {
			panic(agentsErr)
		}
		t.Fatal(agentsErr)
	}
	return alice, bob
}

// grant is one acl:Authorization in an ACL document written by a test.
type grant struct {
	subject  string // Turtle for the access subject(s), e.g. "acl:agent <…>"
	modes    string // letters R, W, A, C
	accessTo string // absolute IRI or ""
	deflt    string // absolute IRI or "" (acl:default)
	extra    string // further Turtle predicate-object pairs, e.g. "acl:origin <…>"
}

var modeIRI = map[rune]string{'R': "acl:Read", 'W': "acl:Write", 'A': "acl:Append", 'C': "acl:Control"}

// aclTurtle renders grants as an ACL document. Grants without modes are
// left out (an Authorization must name a mode).
func aclTurtle(grants ...grant) []byte {
	var b strings.Builder
	b.WriteString("@prefix acl: <" + aclNS + ">.\n@prefix foaf: <http://xmlns.com/foaf/0.1/>.\n")
	n := 0
	for _, g := range grants {
		if g.modes == "" {
			continue
		}
		n++
		fmt.Fprintf(&b, "<#auth%d> a acl:Authorization;\n  %s;\n", n, g.subject)
		if g.accessTo != "" {
			b.WriteString("  acl:accessTo <" + g.accessTo + ">;\n")
		}
		if g.deflt != "" {
			b.WriteString("  acl:default <" + g.deflt + ">;\n")
		}
		if g.extra != "" {
			b.WriteString("  " + g.extra + ";\n")
		}
		var ms []string
		for _, r := range g.modes {
			ms = append(ms, modeIRI[r])
		}
		b.WriteString("  acl:mode " + strings.Join(ms, ", ") + ".\n")
	}
	return []byte(b.String())
}

func agentSubject(a *testissuer.Agent) string { return "acl:agent <" + a.WebID + ">" }

const (
	publicSubject = "acl:agentClass foaf:Agent"
	authnSubject  = "acl:agentClass acl:AuthenticatedAgent"
)

// ownerGrant gives the owner every mode on path p (and its members, for a
// container).
func ownerGrant(p string) grant {
	g := grant{subject: agentSubject(owner), modes: "RWAC", accessTo: srv.url(p)}
	if strings.HasSuffix(p, "/") {
		g.deflt = srv.url(p)
	}
	return g
}

// ownerACL is an ACL document for p that keeps the owner in control.
func ownerACL(p string) []byte { return aclTurtle(ownerGrant(p)) }

// auxOf returns the acl and describedby link targets of p, asked as the owner.
func auxOf(t testing.TB, p string) (acl, meta string) {
	t.Helper()
	r := srv.do(t, http.MethodHead, p, nil)
	mustStatus(t, r, http.StatusOK)
	a, d := linkTargets(r, "acl"), linkTargets(r, "describedby")
	if len(a) != 1 || len(d) != 1 {
		t.Fatalf("%s: want one acl and one describedby link, got %v", p, r.Header.Values("Link"))
	}
	return a[0], d[0]
}

// want401 checks a 401 that carries a DPoP challenge.
func want401(t testing.TB, r *reply) bool {
	t.Helper()
	if !expect(t, r, http.StatusUnauthorized) {
		return false
	}
	if wa := r.Header.Get("WWW-Authenticate"); !strings.Contains(strings.ToLower(wa), "dpop") {
		t.Errorf("401 without a DPoP WWW-Authenticate challenge (%q): %s", wa, r)
		return false
	}
	return true
}

var wacAllowRe = regexp.MustCompile(`\s*([A-Za-z]+)\s*=\s*"([^"]*)"\s*`)

// wacAllow parses a WAC-Allow header into permission group → sorted modes
// joined by spaces.
func wacAllow(t testing.TB, r *reply) map[string]string {
	t.Helper()
	out := map[string]string{}
	v := strings.Join(r.Header.Values("WAC-Allow"), ",")
	if v == "" {
		t.Errorf("no WAC-Allow header: %s", r)
		return out
	}
	for _, part := range strings.Split(v, ",") {
		m := wacAllowRe.FindStringSubmatch(part)
		if m == nil {
			t.Errorf("WAC-Allow %q: cannot parse %q", v, part)
			continue
		}
		modes := strings.Fields(strings.ToLower(m[2]))
		sort.Strings(modes)
		out[strings.ToLower(m[1])] = strings.Join(modes, " ")
	}
	return out
}

// checkWACAllow compares the user and public groups with want, written as
// "user=<modes>;public=<modes>" with modes in alphabetical order.
func checkWACAllow(t testing.TB, r *reply, want string) {
	t.Helper()
	got := wacAllow(t, r)
	for _, kv := range strings.Split(want, ";") {
		k, v, _ := strings.Cut(kv, "=")
		if got[k] != v {
			t.Errorf("WAC-Allow %s: want %q, got %q (header %q)", k, v, got[k], r.Header.Values("WAC-Allow"))
		}
	}
}

// countingListener is a loopback TCP listener that counts connections and
// closes each at once. It stands in for an internal service that must never
// be contacted.
type countingListener struct {
	ln net.Listener
	n  atomic.Int64
}

func newCountingListener(t testing.TB) *countingListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &countingListener{ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.n.Add(1)
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return c
}

func (c *countingListener) url() string { return "http://" + c.ln.Addr().String() }

func (c *countingListener) count() int64 { return c.n.Load() }
