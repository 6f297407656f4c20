package ldp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
)

// recordingGuard guards /g/ only; it refuses documents that mention
// "forbidden", fails on "broken", and records what it was shown.
type recordingGuard struct {
	mu        sync.Mutex
	seen      []ldp.Proposal
	hook      func(ldp.Proposal) // runs inside Check (a concurrent writer)
	calls     int
	committed []string // path and validator of each committed write
}

func (g *recordingGuard) Committed(ctx context.Context, w ldp.Proposal, etag string) {
	g.mu.Lock()
	g.committed = append(g.committed, w.Path+" "+etag)
	g.mu.Unlock()
}

func (g *recordingGuard) Guards(p string) bool { return strings.HasPrefix(p, "/g/") }

func (g *recordingGuard) Buffers(p, ct string) bool { return ct == "application/json" }

func (g *recordingGuard) Check(ctx context.Context, w ldp.Proposal) error {
	g.mu.Lock()
	g.seen = append(g.seen, w)
	g.calls++
	hook := g.hook
	g.mu.Unlock()
	if hook != nil {
		hook(w)
	}
	text := string(w.Body)
	if w.Graph != nil {
		for _, t := range w.Graph.Triples() {
			text += t.O.Value + " "
		}
	}
	switch {
	case strings.Contains(text, "forbidden"):
		return fmt.Errorf("%w: the document says forbidden", ldp.ErrRefused)
	case strings.Contains(text, "broken"):
		return errors.New("the checker crashed")
	}
	return nil
}

func (g *recordingGuard) last() ldp.Proposal {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.seen[len(g.seen)-1]
}

// A Guard sees every write it guards before it commits — PUT, POST and
// PATCH, RDF as a graph and the non-RDF bodies it asks for as bytes — and
// a refusal (422 with its reason) or a failure (503) stores nothing.
func TestGuard(t *testing.T) {
	const base = "http://pod.example/"
	st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	g := &recordingGuard{}
	h := ldptest.PublicHandler(t, st, res, ldp.Config{BaseURL: base, NewGuard: func(*ldp.Handler) ldp.Guard { return g }})
	do := func(method, path, ct, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, base+strings.TrimPrefix(path, "/"), strings.NewReader(body))
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	turtle := func(word string) string { return `<#it> <http://example.org/says> "` + word + `" .` }
	steps := []struct {
		name             string
		method, path, ct string
		body             string
		want             int
		reason           string
		check            func(ldp.Proposal) error
	}{
		{"create container", "PUT", "/g/", "", "", 201, "", nil},
		{"new document", "PUT", "/g/a.ttl", "text/turtle", turtle("hello"), 201, "", func(w ldp.Proposal) error {
			if w.Kind != event.Create || w.ETag != "" || w.Graph == nil || w.Graph.Len() != 1 || w.IRI != base+"g/a.ttl" {
				return fmt.Errorf("%+v", w)
			}
			return nil
		}},
		{"refused replace", "PUT", "/g/a.ttl", "text/turtle", turtle("forbidden"), 422, "the document says forbidden", nil},
		{"failed check", "PUT", "/g/a.ttl", "text/turtle", turtle("broken"), 503, "", nil},
		{"refused patch", "PATCH", "/g/a.ttl", "text/n3", `@prefix solid: <http://www.w3.org/ns/solid/terms#>.
_:p a solid:InsertDeletePatch; solid:inserts { <#it> <http://example.org/says> "forbidden" . }.`, 422, "forbidden", func(w ldp.Proposal) error {
			if w.Kind != event.Update || w.ETag == "" || w.Graph.Len() != 2 {
				return fmt.Errorf("%+v", w)
			}
			return nil
		}},
		{"refused post", "POST", "/g/", "text/turtle", turtle("forbidden"), 422, "forbidden", nil},
		{"buffered JSON", "PUT", "/g/m.json", "application/json", `{"forbidden":true}`, 422, "forbidden", func(w ldp.Proposal) error {
			if string(w.Body) != `{"forbidden":true}` {
				return fmt.Errorf("body %q", w.Body)
			}
			return nil
		}},
		{"accepted JSON is stored as sent", "PUT", "/g/m.json", "application/json", `{"ok":true}`, 201, "", nil},
		{"not buffered", "PUT", "/g/b.txt", "text/plain", "forbidden", 201, "", func(w ldp.Proposal) error {
			if w.Body != nil {
				return fmt.Errorf("body %q given though not asked for", w.Body)
			}
			return nil
		}},
		{"outside the guarded paths", "PUT", "/other.ttl", "text/turtle", turtle("forbidden"), 201, "", nil},
	}
	for _, s := range steps {
		calls := g.calls
		w := do(s.method, s.path, s.ct, s.body)
		if w.Code != s.want || !strings.Contains(w.Body.String(), s.reason) {
			t.Fatalf("%s: %d %q; want %d with %q", s.name, w.Code, w.Body, s.want, s.reason)
		}
		if s.check != nil {
			if g.calls == calls {
				t.Fatalf("%s: the guard was not asked", s.name)
			}
			if err := s.check(g.last()); err != nil {
				t.Fatalf("%s: guard saw %v", s.name, err)
			}
		}
	}
	if g.calls != 9 { // every step but the one outside /g/
		t.Errorf("guard asked %d times", g.calls)
	}
	// Committed hears of the four writes that were made, with the
	// validator each resource got.
	if len(g.committed) != 4 || !strings.HasPrefix(g.committed[1], "/g/a.ttl ") || strings.HasSuffix(g.committed[1], " ") {
		t.Errorf("committed: %q", g.committed)
	}
	if w := do("HEAD", "/g/m.json", "", ""); !strings.Contains(w.Header().Get("ETag"), strings.Fields(g.committed[2])[1]) {
		t.Errorf("m.json ETag %s, committed %q", w.Header().Get("ETag"), g.committed[2])
	}
	// Nothing refused was stored.
	if w := do("GET", "/g/a.ttl", "", ""); !strings.Contains(w.Body.String(), "hello") || strings.Contains(w.Body.String(), "forbidden") {
		t.Errorf("a.ttl after refusals: %q", w.Body)
	}
	if w := do("GET", "/g/m.json", "", ""); w.Body.String() != `{"ok":true}` {
		t.Errorf("m.json: %q", w.Body)
	}
	if w := do("GET", "/g/", "", ""); strings.Count(w.Body.String(), "ldp#contains>")+strings.Count(w.Body.String(), "ldp:contains") == 0 || strings.Contains(w.Body.String(), "forbidden") {
		t.Errorf("listing: %q", w.Body)
	}
}

// A write whose resource changes while the guard decides is refused (409):
// the decision was about the state it saw.
func TestGuardConcurrentChange(t *testing.T) {
	const base = "http://pod.example/"
	st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	g := &recordingGuard{}
	h := ldptest.PublicHandler(t, st, res, ldp.Config{BaseURL: base, NewGuard: func(*ldp.Handler) ldp.Guard { return g }})
	put := func(body string) int {
		r := httptest.NewRequest(http.MethodPut, base+"g/a.txt", strings.NewReader(body))
		r.Header.Set("Content-Type", "text/plain")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if got := put("one"); got != http.StatusCreated {
		t.Fatal(got)
	}
	g.hook = func(w ldp.Proposal) {
		g.hook = nil
		if got := put("sneaked in"); got != http.StatusNoContent {
			t.Errorf("concurrent write: %d", got)
		}
	}
	if got := put("two"); got != http.StatusConflict {
		t.Fatalf("write after a concurrent change: %d, want 409", got)
	}
}
