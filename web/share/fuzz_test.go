package share

import (
	"strings"
	"testing"

	"github.com/naamio/naamio/rdf"
)

// FuzzReadModel: any ACL document the page reads gives a model or an
// error, never a panic, and what it keeps parses again.
func FuzzReadModel(f *testing.F) {
	f.Add(prefixes + `<#a> a acl:Authorization; acl:agent <` + bob + `>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read.`)
	f.Add(prefixes + `<#a> a acl:Authorization; acl:agentClass foaf:Agent; acl:origin <https://a.example>; acl:accessTo <./>, <x>; acl:mode acl:Write. <x> <y> "z".`)
	f.Add(prefixes + `_:a a acl:Authorization; acl:agentGroup <g#x>; acl:default <../>; acl:mode acl:Control; <http://www.w3.org/2000/01/rdf-schema#label> "n".`)
	f.Fuzz(func(t *testing.T, ttl string) {
		g, err := rdf.Parse(strings.NewReader(ttl), rdf.MediaTurtle, aclIRI, rdf.Limits{})
		if err != nil {
			return
		}
		for _, from := range []string{"", podRoot} {
			m, err := readModel(g, aclIRI, folder, true, from)
			if err != nil {
				continue
			}
			if _, err := rdf.Parse(strings.NewReader(m.Keep), rdf.MediaNTriples, aclIRI, rdf.Limits{}); err != nil {
				t.Fatalf("kept triples do not parse: %v\n%s", err, m.Keep)
			}
		}
	})
}

// FuzzWebIDOf: any WebFinger answer gives an absolute http(s) URL or an
// error.
func FuzzWebIDOf(f *testing.F) {
	f.Add(`{"links":[{"rel":"self","type":"application/activity+json","href":"https://s.example/u/a"}]}`)
	f.Add(`{"links":[{"rel":"http://webfinger.net/rel/profile-page","href":"javascript:alert(1)"}]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		id, err := webIDOf([]byte(body))
		if err == nil && !webURL(id) {
			t.Fatalf("webIDOf gave %q", id)
		}
	})
}
