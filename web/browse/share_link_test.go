package browse_test

import (
	"net/url"
	"testing"
)

// Issue 15 item 1 (sharing): the folder and document pages link to the
// sharing page exactly when the person has Control of what they show
// (WAC-Allow user="… control"); someone who may only read and write, and
// a visitor without a session (even where the public holds Control), get
// no link.
func TestShareLinkOnlyWithControl(t *testing.T) {
	b, _ := docPages(t)
	link := func(path string) string {
		return `id="share" href="http://pod.example/.web/share?resource=` +
			url.QueryEscape(docBase+path[1:]) + `"`
	}
	for _, path := range []string{"/shared/", "/shared/note.txt"} {
		code, _, body := page(t, b, path, alice)
		if code != 200 {
			t.Fatalf("%s as alice: %d", path, code)
		}
		mustContain(t, body, link(path))
		code, _, body = page(t, b, path, bob)
		if code != 200 {
			t.Fatalf("%s as bob: %d", path, code)
		}
		mustNotContain(t, body, `id="share"`)
	}
	_, _, body := page(t, b, "/notes.ttl", "")
	mustNotContain(t, body, `id="share"`)
}
