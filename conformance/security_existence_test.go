package conformance

import (
	"net/http"
	"strings"
	"testing"

	"github.com/naamio/naamio/internal/testissuer"
)

// Issue 10 item 5, SECURITY row 21 for every method: an agent with Write
// (or Append, or Control) but no Read got 404 for DELETE of a missing
// resource and 2xx/403 otherwise. Now every refusal that would depend on
// whether the target exists is 403 (401 anonymous) unless the agent may
// Read, as the reference server answers; probes that change nothing give
// the same status and headers for an existing and a missing target.
func TestSecurityExistence(t *testing.T) {
	a, _ := agents(t)
	requirement(t, "security-row-21-no-leak-without-read", func(t *testing.T) {
		for _, c := range []struct {
			name, modes string
			agent       *testissuer.Agent
		}{
			{"write", "W", a},
			{"append", "A", a},
			{"append-write", "AW", a},
			{"control", "C", a},
			{"write-control", "WC", a},
			{"public-write", "AW", nil},
		} {
			subject := agentSubject(a)
			want := http.StatusForbidden
			if c.agent == nil {
				subject, want = publicSubject, http.StatusUnauthorized
			}
			dir, doc := aclDir(t, t.Name()+c.name, grant{subject: subject, modes: c.modes})
			srv.put(t, dir+"bin.txt", "text/plain", []byte("x"))
			srv.put(t, dir+"full/x.txt", "text/plain", []byte("x"))
			const insert = "INSERT DATA { <#a> <#b> <#c> . }"
			stale := []string{"If-Match", `"stale"`}
			for _, pr := range []struct {
				name, method, existing, missing string
				body                            []byte
				kv                              []string
			}{
				{"OPTIONS", http.MethodOptions, doc, dir + "gone.ttl", nil, nil},
				{"OPTIONS container", http.MethodOptions, dir + "full/", dir + "none/", nil, nil},
				{"DELETE If-None-Match *", http.MethodDelete, doc, dir + "gone.ttl", nil, []string{"If-None-Match", "*"}},
				{"DELETE stale If-Match", http.MethodDelete, doc, dir + "gone.ttl", nil, stale},
				{"DELETE non-empty container", http.MethodDelete, dir + "full/", dir + "none/", nil, nil},
				{"PUT stale If-Match", http.MethodPut, doc, dir + "gone.ttl", []byte("<#a> <#b> <#c> ."), append([]string{"Content-Type", ctTurtle}, stale...)},
				{"POST to a non-container", http.MethodPost, dir + "bin.txt", dir + "gone.txt", []byte("y"), []string{"Content-Type", "text/plain"}},
				{"PATCH binary, stale If-Match", http.MethodPatch, dir + "bin.txt", dir + "gone.txt", []byte(insert), append([]string{"Content-Type", ctSPARQL}, stale...)},
			} {
				re := srv.doAs(t, c.agent, pr.method, pr.existing, pr.body, pr.kv...)
				rm := srv.doAs(t, c.agent, pr.method, pr.missing, pr.body, pr.kv...)
				if re.StatusCode != rm.StatusCode {
					t.Errorf("%s, %s: existing %s but missing %s", c.name, pr.name, re, rm)
					continue
				}
				for _, h := range []string{"Allow", "Accept-Put", "Accept-Post", "Accept-Patch", "Link", "ETag"} {
					ve := strings.ReplaceAll(re.Header.Get(h), srv.url(pr.existing), "<p>")
					vm := strings.ReplaceAll(rm.Header.Get(h), srv.url(pr.missing), "<p>")
					if ve != vm {
						t.Errorf("%s, %s: %s %q for the existing target, %q for the missing one", c.name, pr.name, h, ve, vm)
					}
				}
			}
			// The case, and POST to a missing container.
			if strings.ContainsAny(c.modes, "W") {
				expect(t, srv.doAs(t, c.agent, http.MethodDelete, dir+"gone.ttl", nil), want)
			}
			expect(t, srv.doAs(t, c.agent, http.MethodPost, dir+"none/", []byte("y"), "Content-Type", "text/plain"), want)
			expect(t, srv.do(t, http.MethodGet, doc, nil), http.StatusOK)
			expect(t, srv.do(t, http.MethodGet, dir+"full/x.txt", nil), http.StatusOK)
		}
	})
}
