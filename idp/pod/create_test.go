package pod_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/rdf"
)

// A new pod served by the real handler: public profile, private root,
// owner control, authenticated append-only inbox, pim:Storage root that
// cannot be deleted over HTTP.
func TestCreateServesPod(t *testing.T) {
	s := newSite(t)
	p := s.create(t, "alice", s.owner.WebID)
	root := s.base + "alice/"
	if p.Name != "alice" || p.Root != root || p.WebID != s.owner.WebID {
		t.Fatalf("Pod = %+v", p)
	}
	owner, other := s.owner, s.other

	t.Run("public profile", func(t *testing.T) {
		resp, body := s.must(t, nil, "GET", "/alice/profile/card", "", "", 200)
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/turtle") {
			t.Fatalf("Content-Type %q", ct)
		}
		if got := resp.Header.Get("WAC-Allow"); got != `user="read",public="read"` {
			t.Errorf("WAC-Allow %q", got)
		}
		g := s.graph(t, "/alice/profile/card", body)
		me, card := owner.WebID, root+"profile/card"
		for _, tr := range []rdf.Triple{
			triple(me, solidNS+"oidcIssuer", s.iss.URL()),
			triple(me, pimNS+"storage", root),
			triple(me, ldpNS+"inbox", root+"inbox/"),
			triple(me, pimNS+"preferencesFile", root+"settings/prefs.ttl"),
			triple(me, solidNS+"publicTypeIndex", root+"settings/publicTypeIndex.ttl"),
			triple(me, solidNS+"privateTypeIndex", root+"settings/privateTypeIndex.ttl"),
			triple(me, rdfType, foafNS+"Person"),
			triple(me, rdfType, "http://schema.org/Person"),
			triple(card, rdfType, foafNS+"PersonalProfileDocument"),
			triple(card, foafNS+"maker", me),
			triple(card, foafNS+"primaryTopic", me),
		} {
			if !g.Has(tr) {
				t.Errorf("profile lacks %v", tr)
			}
		}
		// Public read of the card only: not the container, not its ACL.
		s.must(t, nil, "GET", "/alice/profile/", "", "", 401)
		s.must(t, nil, "GET", "/alice/profile/card.acl", "", "", 401)
		s.must(t, nil, "PUT", "/alice/profile/card", "text/turtle", "<#a> <#b> <#c> .", 401)
		s.must(t, other, "PUT", "/alice/profile/card", "text/turtle", "<#a> <#b> <#c> .", 403)
	})

	t.Run("private root", func(t *testing.T) {
		for _, path := range []string{"/alice/", "/alice/.acl", "/alice/settings/prefs.ttl", "/alice/settings/privateTypeIndex.ttl", "/alice/inbox/"} {
			s.must(t, nil, "GET", path, "", "", 401)
			s.must(t, other, "GET", path, "", "", 403)
		}
		// The site owner's root ACL does not reach into the pod.
		s.must(t, s.admin, "GET", "/alice/", "", "", 403)
		s.must(t, nil, "PUT", "/alice/x", "text/plain", "x", 401)
		s.must(t, other, "PUT", "/alice/x", "text/plain", "x", 403)
	})

	t.Run("public type index", func(t *testing.T) {
		_, body := s.must(t, nil, "GET", "/alice/settings/publicTypeIndex.ttl", "", "", 200)
		g := s.graph(t, "/alice/settings/publicTypeIndex.ttl", body)
		doc := root + "settings/publicTypeIndex.ttl"
		if !g.Has(triple(doc, rdfType, solidNS+"TypeIndex")) || !g.Has(triple(doc, rdfType, solidNS+"ListedDocument")) {
			t.Errorf("public type index:\n%s", body)
		}
		s.must(t, nil, "PUT", "/alice/settings/publicTypeIndex.ttl", "text/turtle", "<#a> <#b> <#c> .", 401)
		_, body = s.must(t, owner, "GET", "/alice/settings/privateTypeIndex.ttl", "", "", 200)
		doc = root + "settings/privateTypeIndex.ttl"
		if !s.graph(t, "/alice/settings/privateTypeIndex.ttl", body).Has(triple(doc, rdfType, solidNS+"UnlistedDocument")) {
			t.Errorf("private type index:\n%s", body)
		}
	})

	t.Run("owner", func(t *testing.T) {
		resp, body := s.must(t, owner, "GET", "/alice/", "", "", 200)
		if got := resp.Header.Get("WAC-Allow"); got != `user="read write append control",public=""` {
			t.Errorf("WAC-Allow %q", got)
		}
		if l := resp.Header.Get("Link"); !strings.Contains(l, storageLn) {
			t.Errorf("pod root Link lacks pim:Storage: %s", l)
		}
		g := s.graph(t, "/alice/", body)
		if !g.Has(triple(root, rdfType, pimNS+"Storage")) || !g.Has(triple(root, solidNS+"owner", owner.WebID)) {
			t.Errorf("pod root:\n%s", body)
		}
		for _, path := range []string{"/alice/.acl", "/alice/profile/card.acl", "/alice/inbox/.acl", "/alice/settings/prefs.ttl"} {
			s.must(t, owner, "GET", path, "", "", 200)
		}
		s.must(t, owner, "PUT", "/alice/notes/n1", "text/turtle", "<#a> <#b> <#c> .", 201)
		s.must(t, owner, "GET", "/alice/notes/n1", "", "", 200)
		s.must(t, owner, "PUT", "/alice/profile/card", "text/turtle", "<#me> <#b> <#c> .", 204)
		s.must(t, owner, "DELETE", "/alice/notes/n1", "", "", 204)
		s.must(t, nil, "GET", "/alice/notes/", "", "", 401)
		// A plain container is not a storage.
		resp, _ = s.must(t, owner, "GET", "/alice/notes/", "", "", 200)
		if strings.Contains(resp.Header.Get("Link"), storageLn) {
			t.Errorf("/alice/notes/ typed pim:Storage")
		}
	})

	t.Run("inbox", func(t *testing.T) {
		resp, _ := s.must(t, other, "POST", "/alice/inbox/", "text/turtle", "<#n> <#says> <#hello> .", 201)
		loc := resp.Header.Get("Location")
		if !strings.HasPrefix(loc, root+"inbox/") {
			t.Fatalf("Location %q", loc)
		}
		member := strings.TrimPrefix(loc, strings.TrimSuffix(s.base, "/"))
		s.must(t, nil, "POST", "/alice/inbox/", "text/turtle", "<#n> <#says> <#hi> .", 401)
		s.must(t, other, "GET", "/alice/inbox/", "", "", 403)
		s.must(t, other, "GET", member, "", "", 403)
		s.must(t, other, "PUT", member, "text/turtle", "<#x> <#y> <#z> .", 403)
		s.must(t, other, "DELETE", member, "", "", 403)
		s.must(t, other, "PUT", "/alice/inbox/mine", "text/turtle", "<#x> <#y> <#z> .", 403)
		s.must(t, owner, "GET", member, "", "", 200)
		_, body := s.must(t, owner, "GET", "/alice/inbox/", "", "", 200)
		if !s.graph(t, "/alice/inbox/", body).Has(triple(root+"inbox/", ldpNS+"contains", loc)) {
			t.Errorf("inbox does not list %s:\n%s", loc, body)
		}
	})

	t.Run("pod root cannot be deleted over HTTP", func(t *testing.T) {
		s.must(t, owner, "DELETE", "/alice/", "", "", 405)
		s.must(t, owner, "DELETE", "/alice/.acl", "", "", 405)
		s.must(t, other, "DELETE", "/alice/", "", "", 403)
		s.must(t, nil, "DELETE", "/alice/", "", "", 401)
		resp, _ := s.must(t, owner, "HEAD", "/alice/", "", "", 200)
		if strings.Contains(resp.Header.Get("Allow"), "DELETE") {
			t.Errorf("Allow %q", resp.Header.Get("Allow"))
		}
	})
}

// Without a WebID from outside, the pod's own profile is the WebID.
func TestCreateDefaultWebID(t *testing.T) {
	s := newSite(t)
	p, err := pod.Create(context.Background(), s.store, s.base, "bob", s.iss.URL(), pod.CreateOptions{Name: "Bob"})
	if err != nil {
		t.Fatal(err)
	}
	me := s.base + "bob/profile/card#me"
	if p.WebID != me {
		t.Fatalf("WebID %q", p.WebID)
	}
	_, body := s.must(t, nil, "GET", "/bob/profile/card", "", "", 200)
	g := s.graph(t, "/bob/profile/card", body)
	if !g.Has(triple(me, pimNS+"storage", s.base+"bob/")) ||
		!g.Has(rdf.Triple{S: rdf.NewIRI(me), P: rdf.NewIRI(foafNS + "name"), O: rdf.NewLiteral("Bob", "")}) {
		t.Errorf("profile:\n%s", body)
	}
	if strings.Contains(body, s.owner.WebID) {
		t.Errorf("profile names another WebID:\n%s", body)
	}
}

func TestCreateRefuses(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	s.create(t, "alice", s.owner.WebID)
	// The slash twin of a pod root is taken too.
	if _, _, err := s.store.Put(ctx, ldp.PutRequest{Path: "/carol", ContentType: "text/plain", Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	// So is a container the site owner made.
	if _, _, err := s.store.Put(ctx, ldp.PutRequest{Path: "/dave/x", ContentType: "text/plain", Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	iss := s.iss.URL()
	for _, c := range []struct {
		name, base, name2, issuer, webID string
		want                             error
	}{
		{name: "duplicate", name2: "alice", want: pod.ErrExists},
		{name: "twin", name2: "carol", want: pod.ErrExists},
		{name: "existing container", name2: "dave", want: pod.ErrExists},
		{name: "reserved", name2: "admin", want: pod.ErrInvalidName},
		{name: "invalid", name2: "Alice", want: pod.ErrInvalidName},
		{name: "empty", name2: "", want: pod.ErrInvalidName},
		{name: "traversal", name2: "..", want: pod.ErrInvalidName},
		{name: "bad base", base: "/relative/", name2: "erin"},
		{name: "bad issuer", name2: "erin", issuer: "issuer.example"},
		{name: "bad webid", name2: "erin", webID: "mailto:erin@example.org"},
	} {
		t.Run(c.name, func(t *testing.T) {
			base, issuer := s.base, iss
			if c.base != "" {
				base = c.base
			}
			if c.issuer != "" {
				issuer = c.issuer
			}
			p, err := pod.Create(ctx, s.store, base, c.name2, issuer, pod.CreateOptions{WebID: c.webID})
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("Create = %+v, %v; want %v", p, err, c.want)
			}
		})
	}
	// Nothing was written for the refused ones.
	for _, path := range []string{"/erin/", "/carol/", "/dave/.acl", "/admin/"} {
		if ok, err := s.store.Exists(ctx, path); err != nil || ok {
			t.Errorf("%s exists (%v)", path, err)
		}
	}
	// The first pod is untouched.
	s.must(t, s.owner, "GET", "/alice/", "", "", 200)
}

// Of concurrent Creates of one name exactly one wins, and the pod is
// wholly the winner's.
func TestCreateConcurrent(t *testing.T) {
	s := newSite(t)
	const n = 8
	var wg sync.WaitGroup
	pods := make([]*pod.Pod, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			webID := s.iss.WebID("claimant" + string(rune('a'+i)))
			pods[i], errs[i] = pod.Create(context.Background(), s.store, s.base, "alice", s.iss.URL(), pod.CreateOptions{WebID: webID})
		})
	}
	wg.Wait()
	var winner *pod.Pod
	for i, err := range errs {
		switch {
		case err == nil:
			if winner != nil {
				t.Fatalf("two Creates won: %+v and %+v", winner, pods[i])
			}
			winner = pods[i]
		case !errors.Is(err, pod.ErrExists):
			t.Fatalf("Create: %v", err)
		}
	}
	if winner == nil {
		t.Fatal("no Create won")
	}
	for _, path := range []string{"/alice/", "/alice/.acl", "/alice/profile/card", "/alice/inbox/.acl"} {
		_, body, err := s.store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		_, _ = readInto(&b, body)
		if strings.Count(b.String(), "claimant") != strings.Count(b.String(), winner.WebID) {
			t.Errorf("%s names a loser:\n%s", path, b.String())
		}
	}
}
