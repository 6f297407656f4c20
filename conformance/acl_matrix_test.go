package conformance

import (
	"net/http"
	"strings"
	"testing"

	"github.com/naamio/naamio/internal/testissuer"
)

// who is the requesting agent of a matrix row and the access subject the
// row's grants are written for.
type who int

const (
	anonPublic  who = iota // anonymous; grants to acl:agentClass foaf:Agent
	anonVsAuthn            // anonymous; grants to acl:agentClass acl:AuthenticatedAgent
	authnOther             // bob; grants to acl:agentClass acl:AuthenticatedAgent
	named                  // alice; grants to acl:agent alice
	otherAgent             // bob; grants to acl:agent alice (bob is granted nothing)
	ownerOnly              // the owner; grants to the owner only (no extra owner grant)
	member                 // alice; grants to acl:agentGroup team (alice is a member)
	nonMember              // bob; grants to acl:agentGroup team (bob is not)
	originOK               // alice, Origin app; grants acl:agent alice + acl:origin app
	originBad              // alice, Origin evil; the same grants
)

func (w who) String() string {
	return [...]string{"anonymous/public", "anonymous/authenticated-class", "bob/authenticated-class",
		"alice/agent", "bob/agent-alice", "owner", "alice/group", "bob/group", "alice/origin-ok",
		"alice/origin-bad"}[w]
}

func (w who) requester() *testissuer.Agent {
	a, b := agents(nil)
	switch w {
	case anonPublic, anonVsAuthn:
		return nil
	case authnOther, otherAgent, nonMember:
		return b
	case ownerOnly:
		return owner
	}
	return a
}

func (w who) subject() string {
	a, _ := agents(nil)
	switch w {
	case anonPublic:
		return publicSubject
	case anonVsAuthn, authnOther:
		return authnSubject
	case ownerOnly:
		return agentSubject(owner)
	case member, nonMember:
		return "acl:agentGroup <" + teamGroup + ">"
	}
	return agentSubject(a)
}

func (w who) extra() string {
	if w == originOK || w == originBad {
		return "acl:origin <" + appOrigin + ">"
	}
	return ""
}

func (w who) origin() []string {
	switch w {
	case originOK:
		return []string{"Origin", appOrigin}
	case originBad:
		return []string{"Origin", evilOrigin}
	}
	return nil
}

// target is what a matrix row's request is sent to, inside the row's own
// container dir.
type target int

const (
	tDoc     target = iota // dir/doc.ttl
	tDir                   // dir itself
	tDocACL                // the ACL resource of doc.ttl
	tDocMeta               // the description resource of doc.ttl
	tDirACL                // the ACL resource of dir
)

func (tg target) String() string {
	return [...]string{"doc", "dir", "doc.acl", "doc.meta", "dir.acl"}[tg]
}

type patchKind int

const (
	insertOnly patchKind = iota // solid:inserts only: Append
	withDelete                  // solid:deletes: Read and Write
	withWhere                   // solid:where + solid:inserts: Read and Append
)

// Success sentinels for want (any of the listed codes).
const (
	okUpdate  = -1 // 200, 204, 205
	okDelete  = -2 // 200, 202, 204
	okOptions = -3 // 200, 204
)

// matrixRow is one access decision: the agent kind, the modes granted on
// the parent container (acl:accessTo and acl:default <dir>, in dir's own
// ACL) and in doc.ttl's own ACL (acl:accessTo <doc.ttl>; "-": doc.ttl has
// no ACL and inherits dir's defaults), the request, and the expected status.
type matrixRow struct {
	id     string
	method string
	target target
	exists bool   // doc.ttl exists
	parent string // modes on dir for the row's subject: R W A C letters
	own    string // modes in doc.ttl's own ACL, "-" for no own ACL
	who    who
	patch  patchKind
	want   int
	wac    string // when set, the expected WAC-Allow ("user=…;public=…")
}

var matrixRows = []matrixRow{
	// Read (WAC server-read-operation; Solid server-unauthenticated for 401).
	{id: "server-read-operation", method: "GET", target: tDoc, exists: true, parent: "R", own: "-", who: anonPublic, want: 200, wac: "user=read;public=read"},
	{id: "server-unauthenticated", method: "GET", target: tDoc, exists: true, parent: "", own: "-", who: anonPublic, want: 401},
	{id: "server-unauthenticated", method: "GET", target: tDoc, exists: false, parent: "", own: "-", who: anonPublic, want: 401},
	{id: "server-read-operation", method: "GET", target: tDoc, exists: true, parent: "R", own: "-", who: otherAgent, want: 403},
	{id: "server-read-operation", method: "GET", target: tDoc, exists: false, parent: "R", own: "-", who: otherAgent, want: 403},
	{id: "server-read-operation", method: "GET", target: tDoc, exists: true, parent: "R", own: "-", who: named, want: 200, wac: "user=read;public="},
	{id: "server-read-operation", method: "GET", target: tDoc, exists: false, parent: "R", own: "-", who: named, want: 404},
	{id: "server-read-operation", method: "GET", target: tDoc, exists: true, parent: "A", own: "-", who: named, want: 403},
	{id: "server-read-operation", method: "GET", target: tDoc, exists: true, parent: "W", own: "-", who: named, want: 403},
	{id: "server-read-operation", method: "GET", target: tDoc, exists: true, parent: "C", own: "-", who: named, want: 403},
	{id: "server-read-operation", method: "GET", target: tDoc, exists: true, parent: "R", own: "", who: named, want: 403},
	{id: "server-read-operation", method: "GET", target: tDoc, exists: true, parent: "", own: "R", who: named, want: 200, wac: "user=read;public="},
	{id: "server-read-operation", method: "GET", target: tDoc, exists: true, parent: "R", own: "-", who: authnOther, want: 200, wac: "user=read;public="},
	{id: "server-unauthenticated", method: "GET", target: tDoc, exists: true, parent: "R", own: "-", who: anonVsAuthn, want: 401},
	{id: "server-read-operation", method: "GET", target: tDoc, exists: true, parent: "R", own: "-", who: member, want: 200},
	{id: "server-read-operation", method: "GET", target: tDoc, exists: true, parent: "R", own: "-", who: nonMember, want: 403},
	{id: "server-read-operation", method: "GET", target: tDoc, exists: true, parent: "R", own: "-", who: originOK, want: 200},
	{id: "server-read-operation", method: "GET", target: tDoc, exists: true, parent: "R", own: "-", who: originBad, want: 403},
	{id: "server-read-operation", method: "GET", target: tDoc, exists: true, parent: "RWC", own: "-", who: ownerOnly, want: 200, wac: "user=append control read write;public="},
	{id: "server-read-operation", method: "HEAD", target: tDoc, exists: true, parent: "R", own: "-", who: anonPublic, want: 200, wac: "user=read;public=read"},
	{id: "server-unauthenticated", method: "HEAD", target: tDoc, exists: true, parent: "", own: "-", who: anonPublic, want: 401},
	{id: "server-unauthenticated", method: "HEAD", target: tDoc, exists: false, parent: "", own: "-", who: anonPublic, want: 401},
	{id: "server-read-operation", method: "GET", target: tDir, exists: true, parent: "R", own: "-", who: named, want: 200},
	{id: "server-read-operation", method: "GET", target: tDir, exists: true, parent: "A", own: "-", who: named, want: 403},
	{id: "server-wac-allow", method: "GET", target: tDoc, exists: true, parent: "RW", own: "-", who: named, want: 200, wac: "user=append read write;public="},
	{id: "server-wac-allow", method: "HEAD", target: tDoc, exists: true, parent: "RA", own: "-", who: authnOther, want: 200, wac: "user=append read;public="},

	// OPTIONS needs no authorization.
	{id: "server-cors-options", method: "OPTIONS", target: tDoc, exists: true, parent: "", own: "-", who: anonPublic, want: okOptions},
	{id: "server-cors-options", method: "OPTIONS", target: tDoc, exists: false, parent: "", own: "-", who: otherAgent, want: okOptions},

	// Update by PUT (server-update-operation) and create (server-create-operation).
	{id: "server-update-operation", method: "PUT", target: tDoc, exists: true, parent: "W", own: "-", who: named, want: okUpdate},
	{id: "server-update-operation", method: "PUT", target: tDoc, exists: true, parent: "A", own: "-", who: named, want: 403},
	{id: "server-update-operation", method: "PUT", target: tDoc, exists: true, parent: "R", own: "-", who: named, want: 403},
	{id: "server-update-operation", method: "PUT", target: tDoc, exists: true, parent: "", own: "-", who: anonPublic, want: 401},
	{id: "server-update-operation", method: "PUT", target: tDoc, exists: true, parent: "", own: "W", who: named, want: okUpdate},
	{id: "server-update-operation", method: "PUT", target: tDoc, exists: true, parent: "W", own: "R", who: named, want: 403},
	{id: "server-update-operation", method: "PUT", target: tDoc, exists: true, parent: "W", own: "-", who: member, want: okUpdate},
	{id: "server-create-operation", method: "PUT", target: tDoc, exists: false, parent: "W", own: "-", who: named, want: 201},
	{id: "server-create-operation", method: "PUT", target: tDoc, exists: false, parent: "A", own: "-", who: named, want: 403},
	{id: "server-create-operation", method: "PUT", target: tDoc, exists: false, parent: "RW", own: "-", who: otherAgent, want: 403},
	{id: "server-create-operation", method: "PUT", target: tDoc, exists: false, parent: "W", own: "-", who: anonPublic, want: 201},
	{id: "server-create-operation", method: "PUT", target: tDoc, exists: false, parent: "W", own: "-", who: anonVsAuthn, want: 401},

	// Create by POST: Append on the container.
	{id: "server-create-operation", method: "POST", target: tDir, exists: true, parent: "A", own: "-", who: named, want: 201},
	{id: "server-create-operation", method: "POST", target: tDir, exists: true, parent: "W", own: "-", who: named, want: 201},
	{id: "server-create-operation", method: "POST", target: tDir, exists: true, parent: "R", own: "-", who: named, want: 403},
	{id: "server-create-operation", method: "POST", target: tDir, exists: true, parent: "", own: "-", who: anonPublic, want: 401},
	{id: "server-create-operation", method: "POST", target: tDir, exists: true, parent: "A", own: "-", who: authnOther, want: 201},
	{id: "server-create-operation", method: "POST", target: tDir, exists: true, parent: "A", own: "-", who: originBad, want: 403},

	// PATCH: the modes its parts need (Solid Protocol server-n3-patch-*).
	{id: "server-n3-patch-insert", method: "PATCH", target: tDoc, exists: true, parent: "A", own: "-", who: named, patch: insertOnly, want: okUpdate},
	{id: "server-n3-patch-insert", method: "PATCH", target: tDoc, exists: true, parent: "R", own: "-", who: named, patch: insertOnly, want: 403},
	{id: "server-n3-patch-insert", method: "PATCH", target: tDoc, exists: true, parent: "", own: "-", who: anonPublic, patch: insertOnly, want: 401},
	{id: "server-n3-patch-insert", method: "PATCH", target: tDoc, exists: false, parent: "A", own: "-", who: named, patch: insertOnly, want: 201},
	{id: "server-n3-patch-insert", method: "PATCH", target: tDoc, exists: true, parent: "R", own: "-", who: otherAgent, patch: insertOnly, want: 403},
	{id: "server-n3-patch-delete", method: "PATCH", target: tDoc, exists: true, parent: "A", own: "-", who: named, patch: withDelete, want: 403},
	{id: "server-n3-patch-delete", method: "PATCH", target: tDoc, exists: true, parent: "W", own: "-", who: named, patch: withDelete, want: 403},
	{id: "server-n3-patch-delete", method: "PATCH", target: tDoc, exists: true, parent: "RW", own: "-", who: named, patch: withDelete, want: okUpdate},
	{id: "server-n3-patch-where", method: "PATCH", target: tDoc, exists: true, parent: "A", own: "-", who: named, patch: withWhere, want: 403},
	{id: "server-n3-patch-where", method: "PATCH", target: tDoc, exists: true, parent: "RA", own: "-", who: named, patch: withWhere, want: okUpdate},

	// DELETE: Write on the resource and on its container.
	{id: "server-delete-operation", method: "DELETE", target: tDoc, exists: true, parent: "W", own: "-", who: named, want: okDelete},
	{id: "server-delete-operation", method: "DELETE", target: tDoc, exists: true, parent: "", own: "W", who: named, want: 403},
	{id: "server-delete-operation", method: "DELETE", target: tDoc, exists: true, parent: "W", own: "R", who: named, want: 403},
	{id: "server-delete-operation", method: "DELETE", target: tDoc, exists: true, parent: "W", own: "W", who: named, want: okDelete},
	{id: "server-delete-operation", method: "DELETE", target: tDoc, exists: true, parent: "A", own: "-", who: named, want: 403},
	{id: "server-delete-operation", method: "DELETE", target: tDoc, exists: true, parent: "", own: "-", who: anonPublic, want: 401},
	{id: "server-delete-operation", method: "DELETE", target: tDoc, exists: true, parent: "W", own: "-", who: anonPublic, want: okDelete},

	// ACL resources: Control on the subject, by any method.
	{id: "server-control-operation", method: "GET", target: tDocACL, exists: true, parent: "RWA", own: "-", who: named, want: 403},
	{id: "server-control-operation", method: "GET", target: tDocACL, exists: true, parent: "", own: "C", who: named, want: 200},
	{id: "server-get-acl-without-representation", method: "GET", target: tDocACL, exists: true, parent: "C", own: "-", who: named, want: 404},
	{id: "server-control-operation", method: "PUT", target: tDocACL, exists: true, parent: "RWA", own: "-", who: named, want: 403},
	{id: "server-control-operation", method: "PUT", target: tDocACL, exists: true, parent: "C", own: "-", who: named, want: 201},
	{id: "server-control-operation", method: "PUT", target: tDocACL, exists: true, parent: "", own: "C", who: named, want: okUpdate},
	{id: "server-control-operation", method: "GET", target: tDocACL, exists: true, parent: "", own: "", who: anonPublic, want: 401},
	{id: "server-control-operation", method: "GET", target: tDocACL, exists: true, parent: "", own: "RW", who: named, want: 403},
	{id: "server-control-operation", method: "HEAD", target: tDirACL, exists: true, parent: "C", own: "-", who: named, want: 200},
	{id: "server-control-operation", method: "PATCH", target: tDocACL, exists: true, parent: "RW", own: "RWA", who: named, patch: insertOnly, want: 403},
	{id: "server-control-operation", method: "DELETE", target: tDocACL, exists: true, parent: "RW", own: "RW", who: named, want: 403},
	{id: "server-control-operation", method: "GET", target: tDocACL, exists: true, parent: "C", own: "-", who: originBad, want: 403},

	// Description resources: as for the subject.
	{id: "server-description-resource-authorization", method: "GET", target: tDocMeta, exists: true, parent: "R", own: "-", who: named, want: 200},
	{id: "server-description-resource-authorization", method: "GET", target: tDocMeta, exists: true, parent: "", own: "-", who: named, want: 403},
	{id: "server-description-resource-authorization", method: "GET", target: tDocMeta, exists: true, parent: "", own: "-", who: anonPublic, want: 401},
	{id: "server-description-resource-authorization", method: "GET", target: tDocMeta, exists: true, parent: "", own: "R", who: named, want: 200},
	{id: "server-description-resource-authorization", method: "GET", target: tDocMeta, exists: true, parent: "R", own: "", who: named, want: 403},
	{id: "server-description-resource-authorization", method: "PUT", target: tDocMeta, exists: true, parent: "RW", own: "-", who: named, want: okUpdate},
	{id: "server-description-resource-authorization", method: "PUT", target: tDocMeta, exists: true, parent: "R", own: "-", who: named, want: 403},
}

func (m matrixRow) name() string {
	ex := "exists"
	if !m.exists {
		ex = "absent"
	}
	n := m.method + " " + m.target.String() + " " + ex + " parent=" + m.parent + " own=" + m.own + " as " + m.who.String()
	if m.method == http.MethodPatch {
		n += [...]string{" inserts", " deletes", " where"}[m.patch]
	}
	return n
}

func (m matrixRow) wantSet() []int {
	switch m.want {
	case okUpdate:
		return updated
	case okDelete:
		return deleted
	case okOptions:
		return optionsO
	}
	return []int{m.want}
}

// TestACLMatrix checks one access decision per row, each in a fresh
// container written by the owner. Rows are grouped by requirement ID.
func TestACLMatrix(t *testing.T) {
	agents(t)
	var order []string
	byID := map[string][]matrixRow{}
	for _, r := range matrixRows {
		if byID[r.id] == nil {
			order = append(order, r.id)
		}
		byID[r.id] = append(byID[r.id], r)
	}
	for _, id := range order {
		rows := byID[id]
		requirement(t, id, func(t *testing.T) {
			for _, row := range rows {
				t.Run(row.name(), func(t *testing.T) { runMatrixRow(t, row) })
			}
		})
	}
}

// matrixSetup is the layout of one row's container.
type matrixSetup struct {
	dir, doc, docACL, docMeta, dirACL string
}

func setupMatrix(t *testing.T, row matrixRow) matrixSetup {
	t.Helper()
	s := matrixSetup{dir: fresh("m " + row.target.String() + " " + row.method)}
	s.doc = s.dir + "doc.ttl"
	srv.put(t, s.dir, ctTurtle, nil)
	if row.exists {
		srv.put(t, s.doc, ctTurtle, []byte(`@prefix ex: <http://example.org/>. <#s> ex:p "v" .`))
		s.docACL, s.docMeta = auxOf(t, s.doc)
		srv.put(t, s.docMeta, ctTurtle, []byte(`<`+srv.url(s.doc)+`> <http://purl.org/dc/terms/title> "d" .`))
	}
	s.dirACL, _ = auxOf(t, s.dir)
	withOwner := func(g grant, og grant) []byte {
		if row.who == ownerOnly {
			return aclTurtle(g)
		}
		return aclTurtle(g, og)
	}
	if row.own != "-" {
		if !row.exists {
			t.Fatal("bad row: an own ACL needs an existing doc.ttl")
		}
		g := grant{subject: row.who.subject(), modes: row.own, accessTo: srv.url(s.doc), extra: row.who.extra()}
		srv.put(t, s.docACL, ctTurtle, withOwner(g, ownerGrant(s.doc)))
	}
	g := grant{subject: row.who.subject(), modes: row.parent, accessTo: srv.url(s.dir), deflt: srv.url(s.dir), extra: row.who.extra()}
	srv.put(t, s.dirACL, ctTurtle, withOwner(g, ownerGrant(s.dir)))
	return s
}

func (s matrixSetup) path(tg target) string {
	switch tg {
	case tDir:
		return s.dir
	case tDocACL:
		return s.docACL
	case tDocMeta:
		return s.docMeta
	case tDirACL:
		return s.dirACL
	}
	return s.doc
}

// requestBody returns the body and Content-Type a row sends.
func (s matrixSetup) requestBody(row matrixRow) ([]byte, string) {
	a, _ := agents(nil)
	switch row.method {
	case http.MethodPut:
		switch row.target {
		case tDocACL:
			return aclTurtle(ownerGrant(s.doc), grant{subject: agentSubject(a), modes: "R", accessTo: srv.url(s.doc)}), ctTurtle
		case tDirACL:
			return aclTurtle(ownerGrant(s.dir)), ctTurtle
		case tDocMeta:
			return []byte(`<` + srv.url(s.doc) + `> <http://purl.org/dc/terms/title> "new" .`), ctTurtle
		}
		return []byte(`@prefix ex: <http://example.org/>. <#s> ex:p "put" .`), ctTurtle
	case http.MethodPost:
		return []byte("posted"), "text/plain"
	case http.MethodPatch:
		if row.target == tDocACL {
			return n3Doc(`solid:inserts { <#note> <http://www.w3.org/2000/01/rdf-schema#comment> "c" }`), ctN3
		}
		switch row.patch {
		case withDelete:
			return n3Doc(`solid:deletes { <#s> ex:p "v" }`), ctN3
		case withWhere:
			return n3Doc(`solid:where { ?x ex:p "v" }`, `solid:inserts { ?x ex:q "w" }`), ctN3
		}
		return n3Doc(`solid:inserts { <#s> ex:q "new" }`), ctN3
	}
	return nil, ""
}

func runMatrixRow(t *testing.T, row matrixRow) {
	s := setupMatrix(t, row)
	p := s.path(row.target)
	denied := row.want == http.StatusUnauthorized || row.want == http.StatusForbidden
	write := row.method != http.MethodGet && row.method != http.MethodHead && row.method != http.MethodOptions
	var before snap
	var kids int
	if denied && write && row.who != ownerOnly {
		before = srv.snapshot(t, p)
		kids = len(srv.children(t, s.dir))
	}
	body, ct := s.requestBody(row)
	kv := row.who.origin()
	if ct != "" {
		kv = append(kv, "Content-Type", ct)
	}
	r := srv.doAs(t, row.who.requester(), row.method, p, body, kv...)
	if row.want == http.StatusUnauthorized {
		want401(t, r)
	} else {
		expect(t, r, row.wantSet()...)
	}
	if row.wac != "" && r.StatusCode == http.StatusOK {
		checkWACAllow(t, r, row.wac)
	}
	if denied && r.StatusCode != http.StatusUnauthorized && r.StatusCode != http.StatusForbidden {
		return
	}
	if denied && write && row.who != ownerOnly {
		srv.unchanged(t, p, before, "refused "+row.method)
		if n := len(srv.children(t, s.dir)); n != kids {
			t.Errorf("refused %s changed the container listing: %d → %d members", row.method, kids, n)
		}
	}
	if denied && strings.Contains(string(r.body), "http://example.org/p") {
		t.Errorf("refused response carries the resource's content: %s", r)
	}
}
