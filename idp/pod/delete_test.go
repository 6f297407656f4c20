package pod_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/ldp"
)

// tree lists every resource under container root, auxiliary resources
// included, in depth-first order.
func tree(t testing.TB, st ldp.Store, root string) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	var walk func(p string)
	walk = func(p string) {
		out = append(out, p)
		for _, a := range ldp.AuxPaths(p) {
			if ok, err := st.Exists(ctx, a); err != nil {
				t.Fatal(err)
			} else if ok {
				out = append(out, a)
			}
		}
		if !ldp.IsContainerPath(p) {
			return
		}
		kids, err := st.Children(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range kids {
			walk(k.Path)
		}
	}
	walk(root)
	return out
}

// fill writes a deeper tree into pod alice over HTTP, as its owner.
func fill(t *testing.T, s *site) {
	t.Helper()
	o := s.owner
	for _, path := range []string{"/alice/a/b/c/doc.txt", "/alice/a/b/other.txt", "/alice/a/top.txt", "/alice/z.txt"} {
		s.must(t, o, "PUT", path, "text/plain", "x", 201)
	}
	for _, path := range []string{"/alice/a/b/c/doc.txt.acl", "/alice/a/b/.acl"} {
		s.must(t, o, "PUT", path, "text/turtle", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#o> a acl:Authorization ; acl:agent <`+o.WebID+`> ; acl:accessTo <./> ; acl:mode acl:Read, acl:Write, acl:Control .`, 201)
	}
	s.must(t, o, "PUT", "/alice/a/.meta", "text/turtle", "<#a> <#b> <#c> .", 201)
	s.must(t, o, "PUT", "/alice/z.txt.meta", "text/turtle", "<#a> <#b> <#c> .", 201)
	s.must(t, s.other, "POST", "/alice/inbox/", "text/turtle", "<#n> <#says> <#hi> .", 201)
}

func TestDelete(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	s.create(t, "alice", s.owner.WebID)
	s.create(t, "bob", s.other.WebID)
	fill(t, s)
	all := tree(t, s.store, "/alice/")
	for _, want := range []string{"/alice/.acl", "/alice/a/b/c/doc.txt.acl", "/alice/a/b/.acl", "/alice/a/.meta", "/alice/z.txt.meta", "/alice/profile/card.acl"} {
		if !slices.Contains(all, want) {
			t.Fatalf("tree lacks %s: %v", want, all)
		}
	}
	bob := tree(t, s.store, "/bob/")

	if err := pod.Delete(ctx, s.store, s.base, "alice"); err != nil {
		t.Fatal(err)
	}
	for _, p := range all {
		if ok, err := s.store.Exists(ctx, p); err != nil || ok {
			t.Errorf("%s still exists (%v)", p, err)
		}
	}
	kids, err := s.store.Children(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kids {
		if strings.HasPrefix(k.Path, "/alice") {
			t.Errorf("/ still lists %s", k.Path)
		}
	}
	if got := tree(t, s.store, "/bob/"); !slices.Equal(got, bob) {
		t.Errorf("bob's pod changed: %v, was %v", got, bob)
	}
	if err := pod.Delete(ctx, s.store, s.base, "alice"); !errors.Is(err, ldp.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	if err := pod.Delete(ctx, s.store, s.base, "Alice"); !errors.Is(err, pod.ErrInvalidName) {
		t.Errorf("Delete(Alice) = %v", err)
	}
	// The name is free again, and the new pod knows nothing of the old one.
	s.create(t, "alice", s.other.WebID)
	s.must(t, s.owner, "GET", "/alice/", "", "", 403)
	s.must(t, s.other, "GET", "/alice/", "", "", 200)
	s.must(t, s.other, "GET", "/alice/a/b/c/doc.txt", "", "", 404)
}

// failingStore fails every Delete after the first n, or every Put after
// the first n (the other limit negative: never).
type failingStore struct {
	ldp.Store
	deletes, puts  atomic.Int64
	maxDel, maxPut int64
}

var errInjected = errors.New("injected failure")

func (f *failingStore) Delete(ctx context.Context, r ldp.DeleteRequest) error {
	if f.maxDel >= 0 && f.deletes.Add(1) > f.maxDel {
		return errInjected
	}
	return f.Store.Delete(ctx, r)
}

func (f *failingStore) Put(ctx context.Context, r ldp.PutRequest) (ldp.Meta, bool, error) {
	if f.maxPut >= 0 && f.puts.Add(1) > f.maxPut {
		return ldp.Meta{}, false, errInjected
	}
	return f.Store.Put(ctx, r)
}

// A Delete that fails part way leaves a smaller pod that a later Delete
// finishes; a cancelled one stops at once.
func TestDeleteResumes(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	s.create(t, "alice", s.owner.WebID)
	fill(t, s)
	all := tree(t, s.store, "/alice/")
	left := len(all)
	for _, k := range []int64{0, 2, 3} {
		err := pod.Delete(ctx, &failingStore{Store: s.store, maxDel: k, maxPut: -1}, s.base, "alice")
		if !errors.Is(err, errInjected) {
			t.Fatalf("Delete with %d deletes allowed = %v", k, err)
		}
		now := len(tree(t, s.store, "/alice/"))
		if k > 0 && now >= left {
			t.Fatalf("no progress: %d resources, were %d", now, left)
		}
		left = now
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := pod.Delete(cancelled, s.store, s.base, "alice"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Delete = %v", err)
	}
	if err := pod.Delete(ctx, s.store, s.base, "alice"); err != nil {
		t.Fatal(err)
	}
	for _, p := range all {
		if ok, _ := s.store.Exists(ctx, p); ok {
			t.Errorf("%s still exists", p)
		}
	}
}

// A Create that fails after claiming the name removes what it wrote, so
// the name can be used again.
func TestCreateCleansUp(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	for _, n := range []int64{1, 3, 6} {
		fs := &failingStore{Store: s.store, maxDel: -1, maxPut: n}
		if _, err := pod.Create(ctx, fs, s.base, "alice", s.iss.URL(), pod.CreateOptions{}); !errors.Is(err, errInjected) {
			t.Fatalf("Create with %d puts allowed = %v", n, err)
		}
		for _, p := range []string{"/alice/", "/alice/.acl", "/alice/profile/"} {
			if ok, err := s.store.Exists(ctx, p); err != nil || ok {
				t.Fatalf("after %d puts: %s exists (%v)", n, p, err)
			}
		}
	}
	s.create(t, "alice", s.owner.WebID)
	s.must(t, nil, "GET", "/alice/profile/card", "", "", 200)
}
