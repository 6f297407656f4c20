package share

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/internal/testdeps"
)

// jsCase is one call of share-acl.js (testdata/share-acl.mjs).
type jsCase struct {
	Op     string       `json:"op"`
	Text   string       `json:"text,omitempty"`
	Model  *editorModel `json:"model,omitempty"`
	Add    *Entry       `json:"add,omitempty"`
	Remove *int         `json:"remove,omitempty"`
	After  []Entry      `json:"after,omitempty"`
}

type jsResult struct {
	OK  string `json:"ok"`
	Err string `json:"err"`
}

// runJS runs the sharing page's own rules (web/ui/static/share-acl.js,
// the file the page loads) in Node.
func runJS(t *testing.T, cases []jsCase) []jsResult {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		testdeps.Missing(t, testdeps.Node, "node is not installed (Debian package nodejs)")
	}
	in, _ := json.Marshal(cases)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "testdata/share-acl.mjs", "../ui/static/share-acl.js")
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var res []jsResult
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(cases) {
		t.Fatalf("node output %s: %v", out, err)
	}
	return res
}

func folderModel() *editorModel {
	return &editorModel{Resource: folder, ACL: aclIRI, Container: true, Owner: owner, Editor: owner, Entries: []Entry{
		{Kind: KindAgent, IRI: owner, Modes: []string{"Read", "Write", "Control"}, Self: true, Members: true},
		{Kind: KindPublic, Modes: []string{"Read"}, Self: true},
	}, Keep: `<https://pod.example/alice/groups#friends> <http://www.w3.org/2000/01/rdf-schema#label> "kept" .` + "\n"}
}

// Issue 15 item 1: what the page writes is a valid ACL (parsed back by the
// evaluator) that means what the table says: adding a person gives them
// exactly the modes chosen on the folder and its members; removing them
// takes it away; unknown triples are kept; and an edit that takes Control
// from the owner or the editor is refused before anything is written.
func TestShareScriptWritesValidACL(t *testing.T) {
	public := 1
	bobEntry := &Entry{Kind: KindAgent, IRI: bob, Modes: []string{"Write", "Read"}, Self: true, Members: true}
	m := folderModel()
	withBob := *m
	withBob.Entries = append(append([]Entry{}, m.Entries...), *bobEntry)
	removeBob := 2
	cases := []jsCase{
		{Op: "write", Model: m, Add: bobEntry},
		{Op: "write", Model: &withBob, Remove: &removeBob},
		{Op: "write", Model: m, Remove: &public},
		{Op: "write", Model: m, After: []Entry{{Kind: KindAgent, IRI: owner, Modes: []string{"Read", "Write"}, Self: true, Members: true}}},
		{Op: "write", Model: m, After: []Entry{{Kind: KindAgent, IRI: owner, Modes: []string{"Read", "Write", "Control"}, Self: true}}},
		{Op: "write", Model: m, Add: &Entry{Kind: KindAuthenticated, Modes: []string{"Append"}, Self: false, Members: true}},
		{Op: "write", Model: m, Add: &Entry{Kind: KindGroup, IRI: "https://pod.example/alice/groups#friends", Modes: []string{"Read"}, Self: true}},
		{Op: "write", Model: &editorModel{Resource: folder, ACL: aclIRI, Container: true, Owner: owner, Editor: carol,
			Entries: []Entry{{Kind: KindAgent, IRI: carol, Modes: []string{"Control"}, Self: true, Members: true}}}, Add: bobEntry},
	}
	res := runJS(t, cases)
	bobAgent := acl.Agent{WebID: bob, Authenticated: true}
	ownerAgent := acl.Agent{WebID: owner, Authenticated: true}
	decide := func(r jsResult, ag acl.Agent, target string, inherited bool) acl.Mode {
		t.Helper()
		if r.Err != "" {
			t.Fatalf("script refused: %s", r.Err)
		}
		a, err := acl.Parse([]byte(r.OK), aclIRI)
		if err != nil {
			t.Fatalf("written ACL does not parse: %v\n%s", err, r.OK)
		}
		return a.Modes(context.Background(), target, inherited, ag, nil)
	}
	if got := decide(res[0], bobAgent, folder, false); !got.Has(acl.Read|acl.Write) || got.Has(acl.Control) {
		t.Errorf("bob added: %v on the folder", got)
	}
	if got := decide(res[0], bobAgent, folder, true); !got.Has(acl.Read | acl.Write) {
		t.Errorf("bob added: %v on its members", got)
	}
	if got := decide(res[0], ownerAgent, folder, false); !got.Has(acl.Control) {
		t.Errorf("owner lost Control: %v", got)
	}
	if !strings.Contains(res[0].OK, `"kept"`) {
		t.Errorf("kept triples dropped:\n%s", res[0].OK)
	}
	if got := decide(res[1], bobAgent, folder, false); got.Has(acl.Write) || got != decide(res[1], acl.Agent{}, folder, false) {
		t.Errorf("bob removed but has %v", got)
	}
	if got := decide(res[2], acl.Agent{}, folder, false); got != 0 {
		t.Errorf("public removed but has %v", got)
	}
	for i, c := range []int{3, 4} {
		if res[c].Err == "" || !strings.Contains(res[c].Err, "Control") {
			t.Errorf("case %d: an edit taking the owner's Control was not refused: %+v", i, res[c])
		}
	}
	if got := decide(res[5], acl.Agent{WebID: carol, Authenticated: true}, folder, true); !got.Has(acl.Append) {
		t.Errorf("authenticated agents on members: %v", got)
	}
	if got := decide(res[5], acl.Agent{WebID: carol, Authenticated: true}, folder, false); got.Has(acl.Append) {
		t.Errorf("members-only rule applies to the folder: %v", got)
	}
	if !strings.Contains(res[6].OK, "acl:agentGroup <https://pod.example/alice/groups#friends>") {
		t.Errorf("group rule:\n%s", res[6].OK)
	}
	// An ACL that had locked the owner out (written by carol) gives the
	// owner Control back with the next edit made through the page.
	if got := decide(res[7], ownerAgent, folder, false); !got.Has(acl.Control) {
		t.Errorf("the owner is still locked out: %v\n%s", got, res[7].OK)
	}
	if got := decide(res[7], ownerAgent, folder, true); !got.Has(acl.Control) {
		t.Errorf("the owner is locked out of the members: %v", got)
	}
}

// Bad input (issue 15 item 1, SECURITY row 58): what the page accepts as a
// WebID or group address, and what it treats as a Fediverse handle.
func TestShareScriptBadInput(t *testing.T) {
	long := "https://x.example/" + strings.Repeat("a", 3000)
	cases := []struct {
		in, want string // want "" = refused
	}{
		{"https://bob.example/profile/card#me", "https://bob.example/profile/card#me"},
		{"javascript:alert(1)", ""},
		{"JaVaScRiPt:alert(1)", ""},
		{"data:text/html,<script>alert(1)</script>", ""},
		{"<script>alert(1)</script>", ""},
		{"/relative/card#me", ""},
		{"https://u:p@bob.example/card#me", ""},
		{long, ""},
		{"", ""},
		{"https://bob.example/a b<c>\"d`{|}^\\e", "https://bob.example/a%20b%3Cc%3E%22d%60%7B%7C%7D%5E/e"},
		{"ftp://bob.example/card", ""},
	}
	var js []jsCase
	for _, c := range cases {
		js = append(js, jsCase{Op: "iri", Text: c.in})
	}
	handles := map[string]bool{"@bob@social.example": true, "bob@social.example": true, "@bob@localhost:8443": true,
		"@bob": false, "@a@b@c": false, "@<script>@x.example": false, "@bob@x.example/path": false, "@" + strings.Repeat("a", 65) + "@x.example": false}
	var hs []string
	for h := range handles {
		hs = append(hs, h)
		js = append(js, jsCase{Op: "handle", Text: h})
	}
	res := runJS(t, js)
	for i, c := range cases {
		if res[i].OK != c.want {
			t.Errorf("iri(%.40q) = %q (err %q), want %q", c.in, res[i].OK, res[i].Err, c.want)
		}
		if c.want != "" {
			if _, err := acl.Parse([]byte("<#a> a <http://www.w3.org/ns/auth/acl#Authorization>; <http://www.w3.org/ns/auth/acl#agent> <"+res[i].OK+">."), aclIRI); err != nil {
				t.Errorf("%q is no Turtle IRI: %v", res[i].OK, err)
			}
		}
	}
	for i, h := range hs {
		if got := res[len(cases)+i].OK == "handle"; got != handles[h] {
			t.Errorf("handle %.30q: %v, want %v", h, got, handles[h])
		}
	}
	// The server's own reading of handles agrees.
	for h, want := range handles {
		if got := handleRe.MatchString(h); got != want {
			t.Errorf("server: handle %.30q: %v, want %v", h, got, want)
		}
	}
}
