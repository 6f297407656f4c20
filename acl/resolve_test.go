package acl

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// memStore is an in-memory ACL store: path → Turtle, with an ETag that
// changes on every write, and counters of loads and compiles.
type memStore struct {
	mu       sync.Mutex
	docs     map[string]memDoc
	next     int
	loads    atomic.Int64
	compiles atomic.Int64
	fail     atomic.Bool          // every load fails while set
	hook     func(aclPath string) // called at the start of each load
}

type memDoc struct {
	ttl     string
	version string
}

func newMemStore(docs map[string]string) *memStore {
	s := &memStore{docs: map[string]memDoc{}}
	for p, ttl := range docs {
		s.put(p, ttl)
	}
	return s
}

func (s *memStore) put(p, ttl string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	s.docs[p] = memDoc{ttl: ttl, version: `"v` + strconv.Itoa(s.next) + `"`}
}

func (s *memStore) del(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.docs, p)
}

var errIO = errors.New("disk on fire")

func (s *memStore) load(_ context.Context, aclPath string) ([]byte, string, bool, error) {
	if s.hook != nil {
		s.hook(aclPath)
	}
	s.loads.Add(1)
	if s.fail.Load() {
		return nil, "", false, errIO
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.docs[aclPath]
	if !ok {
		return nil, "", false, nil
	}
	return []byte(prefix + d.ttl), d.version, true, nil
}

func podIRI(p string) string { return "https://pod.example" + p }

func (s *memStore) resolver(tb testing.TB, size int) *Resolver {
	tb.Helper()
	r := NewResolver(s.load, podIRI, size)
	r.compile = func(src []byte, iri string) (*ACL, error) {
		s.compiles.Add(1)
		return Parse(src, iri)
	}
	return r
}

func (s *memStore) counts() (loads, compiles int64) {
	return s.loads.Load(), s.compiles.Load()
}

// rule is one Authorization; who is an agent WebID or "public".
func rule(name, who, accessTo, dflt, modes string) string {
	subj := "acl:agent <" + who + ">"
	if who == "public" {
		subj = "acl:agentClass foaf:Agent"
	}
	s := "<#" + name + "> a acl:Authorization; " + subj + "; acl:mode " + modes
	if accessTo != "" {
		s += "; acl:accessTo <" + accessTo + ">"
	}
	if dflt != "" {
		s += "; acl:default <" + dflt + ">"
	}
	return s + " .\n"
}

const (
	rwc = "acl:Read, acl:Write, acl:Control"
	rd  = "acl:Read"
	wr  = "acl:Write"
)

// rootACL gives alice everything on the root and, by default, below it.
var rootACL = rule("owner", alice, "./", "./", rwc)

func TestResolverEffective(t *testing.T) {
	anon := Agent{}
	tests := []struct {
		name      string
		docs      map[string]string
		path      string
		ag        Agent
		wantUser  Mode
		wantPub   Mode
		wantACL   string // "" when an error is expected
		wantTgt   string
		wantInher bool
		wantErr   error
	}{
		{name: "root container, own ACL", docs: map[string]string{"/.acl": rootACL},
			path: "/", ag: user(alice), wantUser: All, wantACL: "/.acl", wantTgt: base},
		{name: "root ACL inherited deep down", docs: map[string]string{"/.acl": rootACL},
			path: "/a/b/c", ag: user(alice), wantUser: All, wantACL: "/.acl", wantTgt: base, wantInher: true},
		{name: "inherited ACL grants nothing to others", docs: map[string]string{"/.acl": rootACL},
			path: "/a/b/c", ag: user(bob), wantACL: "/.acl", wantTgt: base, wantInher: true},
		{name: "container accessTo does not reach its children",
			docs: map[string]string{"/.acl": rule("o", alice, "./", "", rwc)},
			path: "/x", ag: user(alice), wantACL: "/.acl", wantTgt: base, wantInher: true},
		{name: "container accessTo applies to the container",
			docs: map[string]string{"/.acl": rule("o", alice, "./", "", rwc)},
			path: "/", ag: user(alice), wantUser: All, wantACL: "/.acl", wantTgt: base},
		{name: "container default reaches children, its accessTo does not",
			docs: map[string]string{"/.acl": rootACL,
				"/a/.acl": rule("p", "public", "", "./", rd) + rule("b", bob, "./", "", wr)},
			path: "/a/x", ag: user(bob), wantUser: Read, wantPub: Read,
			wantACL: "/a/.acl", wantTgt: base + "a/", wantInher: true},
		{name: "container default does not apply to the container itself",
			docs: map[string]string{"/.acl": rootACL,
				"/a/.acl": rule("p", "public", "", "./", rd) + rule("b", bob, "./", "", wr)},
			path: "/a/", ag: user(bob), wantUser: Write | Append, wantACL: "/a/.acl", wantTgt: base + "a/"},
		{name: "nearest ancestor wins over the root",
			docs: map[string]string{"/.acl": rootACL, "/a/.acl": rule("b", bob, "", "./", rd)},
			path: "/a/b/c", ag: user(alice), wantACL: "/a/.acl", wantTgt: base + "a/", wantInher: true},
		{name: "nearest ancestor wins over a farther one",
			docs: map[string]string{"/.acl": rootACL, "/a/.acl": rule("b", bob, "", "./", rd),
				"/a/b/.acl": rule("c", carol, "", "./", rd)},
			path: "/a/b/c/d", ag: user(carol), wantUser: Read, wantACL: "/a/b/.acl", wantTgt: base + "a/b/", wantInher: true},
		{name: "resource's own ACL, accessTo",
			docs: map[string]string{"/.acl": rootACL, "/a/r.acl": rule("c", carol, "r", "", rd)},
			path: "/a/r", ag: user(carol), wantUser: Read, wantACL: "/a/r.acl", wantTgt: base + "a/r"},
		{name: "own ACL replaces the inherited one",
			docs: map[string]string{"/.acl": rootACL, "/a/r.acl": rule("c", carol, "r", "", rd)},
			path: "/a/r", ag: user(alice), wantACL: "/a/r.acl", wantTgt: base + "a/r"},
		{name: "own ACL's default does not apply to the resource",
			docs: map[string]string{"/.acl": rootACL, "/a/r.acl": rule("c", carol, "", "r", rd)},
			path: "/a/r", ag: user(carol), wantACL: "/a/r.acl", wantTgt: base + "a/r"},
		{name: "/a.acl belongs to /a, not to the container /a/",
			docs: map[string]string{"/.acl": rootACL, "/a.acl": rule("b", bob, "a", "a/", rd)},
			path: "/a/x", ag: user(alice), wantUser: All, wantACL: "/.acl", wantTgt: base, wantInher: true},
		{name: "empty ACL document applies and grants nothing",
			docs: map[string]string{"/.acl": rootACL, "/a/.acl": ""},
			path: "/a/x", ag: user(alice), wantACL: "/a/.acl", wantTgt: base + "a/", wantInher: true},
		{name: "public agent", docs: map[string]string{"/.acl": rootACL + rule("p", "public", "", "./", rd)},
			path: "/doc", ag: anon, wantUser: Read, wantPub: Read, wantACL: "/.acl", wantTgt: base, wantInher: true},

		// SECURITY row 23: a broken nearest ACL denies; no fallback to the parent.
		{name: "unparseable container ACL denies, no fallback",
			docs: map[string]string{"/.acl": rootACL, "/a/.acl": "<#x> a acl:Authorization ; acl:mode"},
			path: "/a/b", ag: user(alice), wantErr: ErrInvalid},
		{name: "acl:condition denies, no fallback",
			docs: map[string]string{"/.acl": rootACL,
				"/a/.acl": rule("b", alice, "", "./", rd) + "<#b> acl:condition <#c> .\n"},
			path: "/a/b", ag: user(alice), wantErr: ErrUnsupported},
		{name: "broken own ACL denies, no fallback to the container",
			docs: map[string]string{"/.acl": rootACL, "/a/r.acl": "garbage"},
			path: "/a/r", ag: user(alice), wantErr: ErrInvalid},
		{name: "broken ACL above the nearest one does not matter",
			docs: map[string]string{"/.acl": "garbage", "/a/.acl": rule("a", alice, "", "./", rd)},
			path: "/a/b", ag: user(alice), wantUser: Read, wantACL: "/a/.acl", wantTgt: base + "a/", wantInher: true},

		{name: "no ACL anywhere", docs: map[string]string{}, path: "/a/b", ag: user(alice), wantErr: ErrNoACL},
		{name: "no ACL for the root", docs: map[string]string{"/a/.acl": rootACL}, path: "/", ag: user(alice), wantErr: ErrNoACL},
		{name: "ACL resource path is refused", docs: map[string]string{"/.acl": rootACL}, path: "/a.acl", ag: user(alice), wantErr: ErrBadPath},
		{name: "root ACL path is refused", docs: map[string]string{"/.acl": rootACL}, path: "/.acl", ag: user(alice), wantErr: ErrBadPath},
		{name: "description resource path is refused", docs: map[string]string{"/.acl": rootACL}, path: "/a.meta", ag: user(alice), wantErr: ErrBadPath},
		{name: "container named like an ACL is a resource path", docs: map[string]string{"/.acl": rootACL},
			path: "/x.acl/", ag: user(alice), wantUser: All, wantACL: "/.acl", wantTgt: base, wantInher: true},
		{name: "relative path is refused", docs: map[string]string{"/.acl": rootACL}, path: "a", ag: user(alice), wantErr: ErrBadPath},
		{name: "empty path is refused", docs: map[string]string{"/.acl": rootACL}, path: "", ag: user(alice), wantErr: ErrBadPath},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newMemStore(tc.docs)
			r := s.resolver(t, 0)
			for round := range 2 { // the second round is served from the cache
				e, err := r.Effective(t.Context(), tc.path)
				u, p, derr := r.Decide(t.Context(), tc.path, tc.ag, nil)
				if tc.wantErr != nil {
					if !errors.Is(err, tc.wantErr) || !errors.Is(derr, tc.wantErr) {
						t.Fatalf("round %d: err = %v, %v; want %v", round, err, derr, tc.wantErr)
					}
					if e != nil || u != 0 || p != 0 {
						t.Fatalf("round %d: error with a result: %+v %q %q", round, e, u, p)
					}
					continue
				}
				if err != nil || derr != nil {
					t.Fatalf("round %d: %v, %v", round, err, derr)
				}
				if e.ACLPath != tc.wantACL || e.Target != tc.wantTgt || e.Inherited != tc.wantInher {
					t.Fatalf("round %d: Effective = {%s %s %v}; want {%s %s %v}", round,
						e.ACLPath, e.Target, e.Inherited, tc.wantACL, tc.wantTgt, tc.wantInher)
				}
				if e.ACL.IRI() != podIRI(tc.wantACL) {
					t.Fatalf("ACL IRI = %s", e.ACL.IRI())
				}
				if u != tc.wantUser || p != tc.wantPub {
					t.Fatalf("round %d: Decide = %q, %q; want %q, %q", round, u, p, tc.wantUser, tc.wantPub)
				}
				if eu, ep := e.Allow(t.Context(), tc.ag, nil); eu != u || ep != p {
					t.Fatalf("Effective.Allow = %q, %q; Decide %q, %q", eu, ep, u, p)
				}
			}
		})
	}
}

func TestResolverCaching(t *testing.T) {
	s := newMemStore(map[string]string{"/.acl": rootACL, "/a/.acl": rule("b", bob, "", "./", rd)})
	r := s.resolver(t, 0)
	ctx := t.Context()
	step := func(path string, wantLoads, wantCompiles int64) {
		t.Helper()
		l0, c0 := s.counts()
		if _, _, err := r.Decide(ctx, path, user(bob), nil); err != nil {
			t.Fatal(err)
		}
		l1, c1 := s.counts()
		if l1-l0 != wantLoads || c1-c0 != wantCompiles {
			t.Fatalf("Decide %s: %d loads, %d compiles; want %d, %d", path, l1-l0, c1-c0, wantLoads, wantCompiles)
		}
	}
	step("/a/b/c", 3, 1) // /a/b/c.acl, /a/b/.acl, /a/.acl
	step("/a/b/c", 0, 0) // cached resolution
	step("/a/b/d", 3, 0) // same walk, compiled ACL reused
	step("/a/b/", 2, 0)  // /a/b/.acl, /a/.acl
	step("/a/b/e", 1, 0) // own ACL, then the cached resolution of /a/b/
	step("/x", 2, 1)     // /x.acl, /.acl compiled once
	step("/y", 2, 0)     // /y.acl, /.acl: the root itself is not cached yet
	step("/", 1, 0)      // /.acl
	step("/z", 1, 0)     // /z.acl, then the cached resolution of /
	step("/a/b/c", 0, 0)
}

// change is one step of an invalidation scenario: put or delete a document
// and report it as the change log would (unless silent), or check a path.
type change struct {
	op      string // "put", "del", "inv" (only Invalidate), "check"
	path    string
	ttl     string
	silent  bool   // put/del without Invalidate
	wantACL string // check: the effective ACL path, or "" for wantErr
	wantErr error
	ag      Agent
	want    Mode
}

func put(p, ttl string) change  { return change{op: "put", path: p, ttl: ttl} }
func del(p string) change       { return change{op: "del", path: p} }
func delSilent(p string) change { return change{op: "del", path: p, silent: true} }
func check(p, aclPath string, ag Agent, want Mode) change {
	return change{op: "check", path: p, wantACL: aclPath, ag: ag, want: want}
}
func checkErr(p string, err error) change { return change{op: "check", path: p, wantErr: err} }

func TestResolverInvalidate(t *testing.T) {
	bobReads := func(dflt string) string { return rule("b", bob, "", dflt, rd) }
	tests := []struct {
		name  string
		steps []change
	}{
		{"create a container ACL deep down", []change{
			check("/a/b/c", "/.acl", user(alice), All),
			check("/a/b/", "/.acl", user(alice), All),
			check("/a/x", "/.acl", user(alice), All),
			put("/a/b/.acl", bobReads("./")),
			check("/a/b/c", "/a/b/.acl", user(bob), Read),
			check("/a/b/c", "/a/b/.acl", user(alice), 0),
			check("/a/b/", "/a/b/.acl", user(alice), 0),
			check("/a/x", "/.acl", user(alice), All),
		}},
		{"create a container ACL at the first level", []change{
			check("/a/b/c/d", "/.acl", user(alice), All),
			put("/a/.acl", bobReads("./")),
			check("/a/b/c/d", "/a/.acl", user(bob), Read),
		}},
		{"create a resource's own ACL", []change{
			check("/a/r", "/.acl", user(alice), All),
			put("/a/r.acl", rule("c", carol, "r", "", rd)),
			check("/a/r", "/a/r.acl", user(carol), Read),
			check("/a/r", "/a/r.acl", user(alice), 0),
		}},
		{"update a container ACL", []change{
			put("/a/.acl", bobReads("./")),
			check("/a/b/c", "/a/.acl", user(bob), Read),
			put("/a/.acl", rule("b", bob, "", "./", wr)),
			check("/a/b/c", "/a/.acl", user(bob), Write|Append),
		}},
		{"update the root ACL", []change{
			check("/a/b/c", "/.acl", user(alice), All),
			check("/", "/.acl", user(alice), All),
			put("/.acl", rule("o", alice, "./", "", rwc)),
			check("/a/b/c", "/.acl", user(alice), 0),
			check("/", "/.acl", user(alice), All),
		}},
		{"update to a broken ACL denies, fixing it restores", []change{
			put("/a/.acl", bobReads("./")),
			check("/a/b", "/a/.acl", user(bob), Read),
			put("/a/.acl", "not turtle"),
			checkErr("/a/b", ErrInvalid),
			checkErr("/a/b", ErrInvalid),
			put("/a/.acl", bobReads("./")),
			check("/a/b", "/a/.acl", user(bob), Read),
		}},
		{"delete a container ACL", []change{
			put("/a/b/.acl", bobReads("./")),
			check("/a/b/c", "/a/b/.acl", user(bob), Read),
			check("/a/b/", "/a/b/.acl", user(bob), 0),
			del("/a/b/.acl"),
			check("/a/b/c", "/.acl", user(alice), All),
			check("/a/b/", "/.acl", user(alice), All),
		}},
		{"delete a resource's own ACL", []change{
			put("/a/r.acl", rule("c", carol, "r", "", rd)),
			check("/a/r", "/a/r.acl", user(carol), Read),
			del("/a/r.acl"),
			check("/a/r", "/.acl", user(carol), 0),
			check("/a/r", "/.acl", user(alice), All),
		}},
		{"delete the root ACL", []change{
			check("/a", "/.acl", user(alice), All),
			del("/.acl"),
			checkErr("/a", ErrNoACL),
			put("/.acl", rootACL),
			check("/a", "/.acl", user(alice), All),
		}},
		// SECURITY row 22: the store deletes the .acl with its subject.
		{"row 22: delete and recreate a resource", []change{
			put("/a/.acl", rule("p", "public", "", "./", rd)),
			put("/a/r.acl", rule("c", carol, "r", "", rwc)),
			check("/a/r", "/a/r.acl", user(carol), All),
			del("/a/r"), del("/a/r.acl"),
			put("/a/r", ""),
			check("/a/r", "/a/.acl", user(carol), Read),
		}},
		{"row 22: only the resource's own entry reaches Invalidate", []change{
			put("/a/r.acl", rule("c", carol, "r", "", rwc)),
			check("/a/r", "/a/r.acl", user(carol), All),
			delSilent("/a/r.acl"), del("/a/r"),
			put("/a/r", ""),
			check("/a/r", "/.acl", user(carol), 0),
		}},
		{"row 22: delete and recreate a container", []change{
			put("/c/.acl", rule("c", carol, "./", "./", rwc)),
			check("/c/", "/c/.acl", user(carol), All),
			check("/c/x", "/c/.acl", user(carol), All),
			del("/c/"), del("/c/.acl"),
			put("/c/", ""),
			check("/c/", "/.acl", user(carol), 0),
			check("/c/x", "/.acl", user(carol), 0),
		}},
		{"twin paths: /a.acl does not govern /a/", []change{
			check("/a/x", "/.acl", user(alice), All),
			put("/a.acl", rule("b", bob, "a", "", rd)),
			check("/a", "/a.acl", user(bob), Read),
			check("/a/x", "/.acl", user(alice), All),
			del("/a.acl"),
			check("/a", "/.acl", user(alice), All),
		}},
		{"ordinary writes change nothing", []change{
			put("/a/.acl", bobReads("./")),
			check("/a/b/c", "/a/.acl", user(bob), Read),
			put("/a/b/c", "data"), put("/a/b/", "data"), put("/a/", "data"), put("/a/b/c.meta", ""),
			check("/a/b/c", "/a/.acl", user(bob), Read),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newMemStore(map[string]string{"/.acl": rootACL})
			r := s.resolver(t, 0)
			for i, st := range tc.steps {
				switch st.op {
				case "put":
					s.put(st.path, st.ttl)
				case "del":
					s.del(st.path)
				}
				if st.op != "check" {
					if !st.silent {
						r.Invalidate(st.path)
					}
					continue
				}
				for round := range 2 {
					e, err := r.Effective(t.Context(), st.path)
					u, _, derr := r.Decide(t.Context(), st.path, st.ag, nil)
					if st.wantErr != nil {
						if !errors.Is(err, st.wantErr) || !errors.Is(derr, st.wantErr) {
							t.Fatalf("step %d round %d %s: err %v, %v; want %v", i, round, st.path, err, derr, st.wantErr)
						}
						continue
					}
					if err != nil || derr != nil {
						t.Fatalf("step %d round %d %s: %v, %v", i, round, st.path, err, derr)
					}
					if e.ACLPath != st.wantACL || u != st.want {
						t.Fatalf("step %d round %d %s: %s grants %q; want %s, %q", i, round, st.path, e.ACLPath, u, st.wantACL, st.want)
					}
				}
			}
		})
	}
}

// TestResolverInvalidateScope checks that an ACL change drops what depended on
// it and little else (by counting loads).
func TestResolverInvalidateScope(t *testing.T) {
	s := newMemStore(map[string]string{"/.acl": rootACL})
	r := s.resolver(t, 0)
	ctx := t.Context()
	paths := []string{"/", "/a", "/a/", "/a/b/", "/a/b/c", "/ab", "/ab/c", "/x/y"}
	warm := func() {
		for _, p := range paths {
			if _, err := r.Effective(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	reloaded := func() map[string]bool {
		out := map[string]bool{}
		for _, p := range paths {
			l0, _ := s.counts()
			if _, err := r.Effective(ctx, p); err != nil {
				t.Fatal(err)
			}
			if l1, _ := s.counts(); l1 != l0 {
				out[p] = true
			}
		}
		return out
	}
	for _, tc := range []struct {
		changed string
		want    []string
	}{
		{"/a/b/.acl", []string{"/a/b/", "/a/b/c"}},
		{"/a/.acl", []string{"/a/", "/a/b/", "/a/b/c"}},
		{"/a.acl", []string{"/a"}},
		{"/ab", []string{"/ab"}},
		{"/a/b/c.acl", []string{"/a/b/c"}},
		{"/a/b/c.meta", nil},
		{"/a/b/", []string{"/a/b/"}},
		{"/.acl", paths},
	} {
		warm()
		r.Invalidate(tc.changed)
		got := reloaded()
		if len(got) != len(tc.want) {
			t.Errorf("Invalidate(%s) dropped %v; want %v", tc.changed, got, tc.want)
			continue
		}
		for _, p := range tc.want {
			if !got[p] {
				t.Errorf("Invalidate(%s) dropped %v; want %v", tc.changed, got, tc.want)
			}
		}
	}
}

// TestResolverInFlight: a resolution that read the store before a change and
// finishes after its Invalidate must not be cached.
func TestResolverInFlight(t *testing.T) {
	s := newMemStore(map[string]string{"/.acl": rootACL})
	r := s.resolver(t, 0)
	ctx := t.Context()
	reached, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.hook = func(aclPath string) {
		if aclPath == "/.acl" { // the walk already saw no /a/.acl
			once.Do(func() { close(reached); <-release })
		}
	}
	done := make(chan *Effective)
	go func() {
		e, err := r.Effective(ctx, "/a/x")
		if err != nil {
			t.Error(err)
		}
		done <- e
	}()
	<-reached
	s.put("/a/.acl", rule("b", bob, "", "./", rd))
	r.Invalidate("/a/.acl")
	close(release)
	if e := <-done; e.ACLPath != "/.acl" {
		t.Fatalf("in-flight resolution = %s; it read the store before the change", e.ACLPath)
	}
	e, err := r.Effective(ctx, "/a/x")
	if err != nil || e.ACLPath != "/a/.acl" {
		t.Fatalf("after the change: %+v, %v; want /a/.acl (stale resolution cached)", e, err)
	}
}

func TestResolverLoadErrorNotCached(t *testing.T) {
	s := newMemStore(map[string]string{"/.acl": rootACL})
	r := s.resolver(t, 0)
	s.fail.Store(true)
	if _, _, err := r.Decide(t.Context(), "/a", user(alice), nil); !errors.Is(err, errIO) {
		t.Fatalf("err = %v; want the load error", err)
	}
	s.fail.Store(false)
	if u, _, err := r.Decide(t.Context(), "/a", user(alice), nil); err != nil || u != All {
		t.Fatalf("after recovery: %q, %v", u, err)
	}
}

func TestResolverEmptyVersionNotCached(t *testing.T) {
	compiles := 0
	r := NewResolver(func(_ context.Context, aclPath string) ([]byte, string, bool, error) {
		return []byte(prefix + rootACL), "", aclPath == "/.acl", nil
	}, podIRI, 0)
	r.compile = func(src []byte, iri string) (*ACL, error) { compiles++; return Parse(src, iri) }
	for _, p := range []string{"/a", "/b", "/c"} {
		if u, _, err := r.Decide(t.Context(), p, user(alice), nil); err != nil || u != All {
			t.Fatalf("%s: %q, %v", p, u, err)
		}
	}
	if compiles != 3 {
		t.Fatalf("compiles = %d; an ACL without a version must not be cached", compiles)
	}
}

func TestResolverCacheBound(t *testing.T) {
	s := newMemStore(map[string]string{"/.acl": rootACL})
	for i := range 20 {
		s.put(fmt.Sprintf("/r%d.acl", i), rule("o", alice, fmt.Sprintf("r%d", i), "", rd))
	}
	r := s.resolver(t, 8)
	for round := range 3 {
		for i := range 40 {
			p := fmt.Sprintf("/r%d", i)
			want := Read
			if i >= 20 {
				want = All
			}
			if u, _, err := r.Decide(t.Context(), p, user(alice), nil); err != nil || u != want {
				t.Fatalf("round %d %s: %q, %v", round, p, u, err)
			}
		}
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.resolved) > 8 || len(r.compiled) > 8 {
		t.Fatalf("cache sizes %d, %d; bound 8", len(r.resolved), len(r.compiled))
	}
}

// TestResolverConcurrent runs Decide and ACL changes with Invalidate together
// (meant for -race); once the writers stop, every answer must match a fresh
// resolver's.
func TestResolverConcurrent(t *testing.T) {
	s := newMemStore(map[string]string{"/.acl": rootACL})
	r := s.resolver(t, 64)
	ctx := t.Context()
	paths := []string{"/", "/a/", "/a/b", "/a/b/", "/a/b/c", "/a/b/c/d", "/x", "/x/y/z"}
	acls := []string{"/a/.acl", "/a/b/.acl", "/a/b/c.acl", "/x/y/.acl", "/.acl"}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				p := paths[(g+i)%len(paths)]
				_, _, err := r.Decide(ctx, p, user(bob), nil)
				if err != nil && !errors.Is(err, ErrNoACL) && !errors.Is(err, ErrInvalid) {
					t.Error(err)
					return
				}
			}
		})
	}
	var writers sync.WaitGroup
	for w := range 2 {
		writers.Go(func() {
			for i := range 300 {
				a := acls[(w+i)%len(acls)]
				switch i % 4 {
				case 0, 1:
					s.put(a, rule("b", bob, "", "./", rd)+rule("o", alice, "./", "./", rwc))
				case 2:
					s.del(a)
				case 3:
					s.put(a, "broken")
				}
				r.Invalidate(a)
			}
		})
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	fresh := s.resolver(t, 0)
	for _, p := range paths {
		u1, p1, e1 := r.Decide(ctx, p, user(bob), nil)
		u2, p2, e2 := fresh.Decide(ctx, p, user(bob), nil)
		if u1 != u2 || p1 != p2 || fmt.Sprint(e1) != fmt.Sprint(e2) {
			t.Errorf("%s: cached %q %q %v; fresh %q %q %v", p, u1, p1, e1, u2, p2, e2)
		}
	}
}

// BenchmarkDecideCached is a WAC decision through the Resolver with the
// resolution cached (issue 4 target: < 5 µs).
func BenchmarkDecideCached(b *testing.B) {
	var ten strings.Builder
	ten.WriteString(fixture)
	for i := range 3 {
		fmt.Fprintf(&ten, "<#extra%d> a acl:Authorization; acl:agent <https://u%d.example/#me>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read .\n", i, i)
	}
	s := newMemStore(map[string]string{"/.acl": rootACL, "/a/.acl": ten.String()})
	r := s.resolver(b, 0)
	ctx := b.Context()
	gc := groups{podIRI("/a/groups#friends"): {carol}} // <groups#friends> relative to /a/.acl
	cases := []struct {
		name, path string
		ag         Agent
		want       Mode
	}{
		{"inherited-agent", "/a/b/c/doc", user(alice), All},
		{"inherited-public", "/a/b/c/doc", Agent{}, Control},
		{"inherited-group", "/a/b/c/doc", user(carol), Read | Append | Control},
		{"own-agent", "/a/", user(alice), All},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			if _, _, err := r.Decide(ctx, c.path, c.ag, gc); err != nil {
				b.Fatal(err)
			}
			l0, c0 := s.counts()
			b.ReportAllocs()
			for b.Loop() {
				if u, _, err := r.Decide(ctx, c.path, c.ag, gc); err != nil || u != c.want {
					b.Fatalf("Decide = %q, %v", u, err)
				}
			}
			if l1, c1 := s.counts(); l1 != l0 || c1 != c0 {
				b.Fatalf("%d loads, %d compiles in the loop", l1-l0, c1-c0)
			}
		})
	}
}
