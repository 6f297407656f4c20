package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/internal/testissuer"
)

// Every change knows its agent (issue 11 item 3): writes made over HTTP by
// two agents and by nobody, and the server's own writes (the root ACL, pod
// provisioning), carry their origin in the change log of the real Badger
// store, as `naamio log` prints it.
func TestChangeLogOrigins(t *testing.T) {
	s, base := serveAccounts(t, "alice", "bob")
	aliceID, aliceSecret, aliceKey := scriptCredentials(t, s, "alice@example.org")
	bobID, bobSecret, bobKey := scriptCredentials(t, s, "bob@example.org")
	alice := clientCredentialsToken(t, base, aliceID, aliceSecret, aliceKey)
	bob := clientCredentialsToken(t, base, bobID, bobSecret, bobKey)
	aliceWebID := base + "alice/profile/card#me"
	bobWebID := base + "bob/profile/card#me"

	send := func(method, path, ct, body, access string, key *testissuer.Key, want int) {
		t.Helper()
		resp := sendWith(t, method, base, path, ct, body, access, key)
		if resp.StatusCode != want {
			t.Fatalf("%s %s = %d, want %d", method, path, resp.StatusCode, want)
		}
	}
	send("PUT", "/alice/note.txt", "text/plain", "alice", alice, aliceKey, 201)
	send("PUT", "/bob/note.txt", "text/plain", "bob", bob, bobKey, 201)
	send("PATCH", "/bob/data.ttl", "text/n3", `@prefix solid: <http://www.w3.org/ns/solid/terms#>.
_:p a solid:InsertDeletePatch; solid:inserts { <#a> <#b> <#c> . }.`, bob, bobKey, 201)
	send("DELETE", "/alice/note.txt", "", "", alice, aliceKey, 204)
	// A drop box whose ACL lets anyone write: the public's write.
	send("PUT", "/alice/drop/", "text/turtle", "", alice, aliceKey, 201)
	send("PUT", "/alice/drop/.acl", "text/turtle", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<#owner> a acl:Authorization ; acl:agent <`+aliceWebID+`> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#public> a acl:Authorization ; acl:agentClass foaf:Agent ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Write .`, alice, aliceKey, 201)
	send("PUT", "/alice/drop/anon.txt", "text/plain", "hello", "", nil, 201)

	// The server is stopped and its data directory read as `naamio log`
	// reads it.
	dir := s.cfg.DataDir
	closeServer(s)
	var out, errOut bytes.Buffer
	if err := printLog([]string{"--data", dir}, &out, &errOut); err != nil {
		t.Fatalf("naamio log: %v %s", err, errOut.String())
	}
	last := map[string]event.Change{} // path -> its latest change
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var c event.Change
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		if c.Origin == "" {
			t.Errorf("change without origin: %s", sc.Text())
		}
		last[c.Path] = c
	}
	for path, want := range map[string]struct {
		kind   event.Kind
		origin string
	}{
		"/":                    {event.Create, event.OriginSetup},
		"/.acl":                {event.Create, originSetup},
		"/alice/":              {event.Create, pod.Origin},
		"/bob/profile/card":    {event.Create, pod.Origin},
		"/alice/note.txt":      {event.Delete, aliceWebID},
		"/bob/note.txt":        {event.Create, bobWebID},
		"/bob/data.ttl":        {event.Create, bobWebID},
		"/alice/drop/.acl":     {event.Create, aliceWebID},
		"/alice/drop/anon.txt": {event.Create, event.OriginAnonymous},
	} {
		c, ok := last[path]
		if !ok || c.Kind != want.kind || c.Origin != want.origin {
			t.Errorf("%s: last change %+v, want %s by %s", path, c, want.kind, want.origin)
		}
	}
	for _, o := range []string{originSetup, originACLCommand, pod.Origin, "naamio:pod-release"} {
		if !event.IsServerOrigin(o) {
			t.Errorf("%s is not recognised as the server's origin", o)
		}
	}
	for _, o := range []string{aliceWebID, event.OriginAnonymous, ""} {
		if event.IsServerOrigin(o) {
			t.Errorf("%q is taken for the server's origin", o)
		}
	}
}
