package conformance

import (
	"net/http"
	"strings"
	"testing"
)

// Issue 10 item 4, SECURITY row 4 (Solid Protocol server-protect-containment):
// with Append on a container, a client could store ldp:contains triples about
// the container in another spelling, which then showed in its listing.
// Containment is the server's: ldp:contains in client data of a container is
// refused (409) whatever the subject, by N3 PATCH, SPARQL PATCH, PUT and
// POST, and the listing never shows a forged member.
func TestSecurityContainment(t *testing.T) {
	a, _ := agents(t)
	requirement(t, "security-row-04-containment-forgery", func(t *testing.T) {
		dir, _ := aclDir(t, t.Name(), grant{subject: agentSubject(a), modes: "A"})
		inbox := dir + "inbox/"
		srv.put(t, inbox, ctTurtle, nil)
		full := srv.url(inbox) // http://127.0.0.1:PORT/t-…/inbox/
		scheme, rest, _ := strings.Cut(full, "://")
		host, path, _ := strings.Cut(rest, "/")
		_, port, _ := strings.Cut(host, ":")
		path = "/" + path
		forged := "<" + full + "forged>"
		subjects := map[string]string{
			"exact":              "<" + full + ">",
			"relative":           "<>",
			"no slash":           "<" + strings.TrimSuffix(full, "/") + ">",
			"upper-case scheme":  "<" + strings.ToUpper(scheme) + "://" + host + path + ">",
			"LOCALHOST":          "<http://LOCALHOST:" + port + path + ">",
			"encoded unreserved": "<" + scheme + "://" + host + "/%" + strings.ToUpper(hexByte(path[1])) + path[2:] + ">",
			"dot segment":        "<" + full + "./>",
			"encoded dot":        "<" + full + "%2E/>",
			"dot-dot segment":    "<" + full + "x/../>",
			"blank node":         "_:b",
			"a member":           "<" + full + "x/>",
		}
		before := srv.snapshot(t, inbox)
		for name, s := range subjects {
			triple := s + " <" + ldpNS + "contains> " + forged + " ."
			expect(t, srv.doAs(t, a, http.MethodPatch, inbox, n3Doc(`solid:inserts { `+triple+` }`), "Content-Type", ctN3), http.StatusConflict)
			if s != "_:b" {
				expect(t, srv.doAs(t, a, http.MethodPatch, inbox, []byte(`INSERT DATA { `+triple+` }`), "Content-Type", ctSPARQL), http.StatusConflict)
			}
			expect(t, srv.do(t, http.MethodPut, inbox, []byte(triple), "Content-Type", ctTurtle), http.StatusConflict)
			expect(t, srv.do(t, http.MethodPost, dir, []byte(triple), "Content-Type", ctTurtle, "Slug", "made",
				"Link", `<`+ldpNS+`BasicContainer>; rel="type"`), http.StatusConflict)
			if t.Failed() {
				t.Logf("subject spelling %q: %s", name, s)
			}
		}
		srv.unchanged(t, inbox, before, "refused containment")
		if r := srv.do(t, http.MethodGet, inbox, nil, "Accept", ctTurtle); strings.Contains(string(r.body), "forged") {
			t.Errorf("the listing shows a forged member:\n%s", r.body)
		}
		if kids := srv.children(t, dir); kids[srv.url(dir+"made/")] {
			t.Errorf("a refused POST created %smade/", dir)
		}
	})
}

func hexByte(c byte) string {
	const hex = "0123456789abcdef"
	return string([]byte{hex[c>>4], hex[c&15]})
}
