package remote

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/safehttp"
)

func TestFetchActor(t *testing.T) {
	k, _ := testKeys(t)
	p := newPeer(t)
	f := fetcherFor(t, 0, p.addr(t))
	for _, ct := range []string{
		"application/activity+json",
		"application/activity+json; charset=utf-8",
		`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`,
		`application/ld+json;profile="https://www.w3.org/ns/activitystreams http://example.org/other"`,
	} {
		t.Run(ct, func(t *testing.T) {
			p.put("/users/bob", 200, ct, p.actorDoc("/users/bob", &k.PublicKey))
			doc, err := f.Fetch(context.Background(), p.URL+"/users/bob")
			if err != nil {
				t.Fatal(err)
			}
			if doc.ID != p.URL+"/users/bob" || doc.Object["type"] != "Person" {
				t.Errorf("got %+v", doc)
			}
		})
	}
}

// The fetch asks for AS2 with the Accept header peers expect.
func TestFetchSendsAccept(t *testing.T) {
	p := newPeer(t)
	var accept string
	p.guard = func(w http.ResponseWriter, r *http.Request) bool { accept = r.Header.Get("Accept"); return false }
	p.put("/o", 200, as2, map[string]any{"id": p.URL + "/o"})
	if _, err := fetcherFor(t, 0, p.addr(t)).Fetch(context.Background(), p.URL+"/o"); err != nil {
		t.Fatal(err)
	}
	if accept != AcceptAS2 {
		t.Errorf("Accept %q", accept)
	}
}

// SECURITY row 39 (and 44 for the statuses that may pass): what a fetch
// discards, and how it says so.
func TestFetchBadInput(t *testing.T) {
	p := newPeer(t)
	f := fetcherFor(t, 0, p.addr(t))
	f.MaxBytes = 4096
	self := func(path string) map[string]any { return map[string]any{"id": p.URL + path, "type": "Note"} }
	cases := []struct {
		name   string
		status int
		ctype  string
		body   func(path string) any
		fetch  string // URL suffix fetched, default the path
		want   error
	}{
		{"row39 plain application/json", 200, "application/json", func(p string) any { return self(p) }, "", ErrNotAS2},
		{"row39 text/html", 200, "text/html", func(p string) any { return self(p) }, "", ErrNotAS2},
		{"row39 ld+json without profile", 200, "application/ld+json", func(p string) any { return self(p) }, "", ErrNotAS2},
		{"row39 ld+json with another profile", 200, `application/ld+json; profile="http://example.org/p"`, func(p string) any { return self(p) }, "", ErrNotAS2},
		{"row39 no Content-Type", 200, "", func(p string) any { return []byte(`{"id":"x"}`) }, "", ErrNotAS2},
		{"row39 unparsable Content-Type", 200, "application/activity+json; ===", func(p string) any { return self(p) }, "", ErrNotAS2},
		{"row39 id of another document", 200, as2, func(p string) any { return self("/users/mallory") }, "", ErrIDMismatch},
		{"row39 id of another host", 200, as2, func(string) any {
			return map[string]any{"id": "https://victim.example/users/alice"}
		}, "", ErrIDMismatch},
		{"row39 id with a trailing slash", 200, as2, func(p string) any { return self(p + "/") }, "", ErrIDMismatch},
		{"row39 id with a fragment the URL lacks", 200, as2, func(p string) any { return self(p + "#me") }, "", ErrIDMismatch},
		{"row39 URL with a fragment the id lacks", 200, as2, func(p string) any { return self(p) }, "#me", ErrIDMismatch},
		{"URL and id with the same fragment", 200, as2, func(p string) any { return self(p + "#me") }, "#me", nil},
		{"no id", 200, as2, func(string) any { return map[string]any{"type": "Note"} }, "", ErrInvalid},
		{"id not a string", 200, as2, func(string) any { return map[string]any{"id": 7} }, "", ErrInvalid},
		{"not JSON", 200, as2, func(string) any { return []byte("<html>") }, "", ErrInvalid},
		{"a JSON array", 200, as2, func(string) any { return []any{1} }, "", ErrInvalid},
		{"two JSON values", 200, as2, func(p string) any { return []byte(`{"id":"x"} {"id":"y"}`) }, "", ErrInvalid},
		{"too large", 200, as2, func(p string) any {
			return map[string]any{"id": p, "content": strings.Repeat("a", 5000)}
		}, "", ErrInvalid},
		{"404", 404, as2, func(p string) any { return self(p) }, "", ErrNotFound},
		{"410", 410, as2, func(p string) any { return self(p) }, "", ErrNotFound},
		{"401", 401, as2, func(p string) any { return self(p) }, "", ErrRefused},
		{"row44 500", 500, "text/plain", func(string) any { return []byte("oops") }, "", ErrTemporary},
		{"row44 502", 502, "text/plain", func(string) any { return []byte("oops") }, "", ErrTemporary},
		{"row44 503", 503, "text/plain", func(string) any { return []byte("oops") }, "", ErrTemporary},
		{"row44 429", 429, "text/plain", func(string) any { return []byte("slow down") }, "", ErrTemporary},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := "/objects/" + string(rune('a'+i))
			p.put(path, c.status, c.ctype, c.body(path))
			doc, err := f.Fetch(context.Background(), p.URL+path+c.fetch)
			switch {
			case c.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != nil && err == nil:
				t.Fatalf("accepted %+v", doc)
			case c.want != nil && !errors.Is(err, c.want):
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestIsAS2(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/activity+json": true,
		"Application/Activity+JSON": true,
		`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`: true,
		`application/ld+json; profile=https://www.w3.org/ns/activitystreams`:   false, // unquoted "/" is not a token
		"application/json":                    false,
		"application/ld+json":                 false,
		"application/activity+json+evil":      false,
		"text/activity+json":                  false,
		"":                                    false,
		"application/activity+json; charset=": false,
	} {
		if got := IsAS2(ct); got != want {
			t.Errorf("IsAS2(%q) = %v, want %v", ct, got, want)
		}
	}
}

// SECURITY row 41: an actor URL that resolves to, or redirects to, a
// loopback, IPv4-mapped loopback or link-local (cloud metadata) address is
// refused when the socket is about to connect: the client is allowed plain
// http to exactly one test peer, and every other destination, named by
// literal, by name or by a redirect, is refused and never reached.
func TestFetchRefusedDestinations(t *testing.T) {
	p := newPeer(t)
	victim := newPeer(t) // a "private" server on 127.0.0.1 not in the allow list
	victim.put("/secret", 200, as2, map[string]any{"id": "x"})
	_, vport, _ := net.SplitHostPort(victim.Listener.Addr().String())
	// http is allowed in general here so that each case gets past the
	// scheme check and is judged at dial time, on the resolved address.
	c := safehttp.New(safehttp.Options{Timeout: 2 * time.Second, AllowedSchemes: []string{"http", "https"}, AllowAddrPorts: []netip.AddrPort{p.addr(t)}})
	t.Cleanup(c.CloseIdleConnections)
	f := &Fetcher{Client: c}
	p.redirect("/to-loopback", "http://127.0.0.1:"+vport+"/secret")
	p.redirect("/to-mapped", "http://[::ffff:127.0.0.1]:"+vport+"/secret")
	p.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")
	p.redirect("/to-localhost", "http://localhost:"+vport+"/secret")
	for _, target := range []string{
		"http://127.0.0.1:" + vport + "/secret",
		"http://[::ffff:127.0.0.1]:" + vport + "/secret",
		"http://localhost:" + vport + "/secret",
		"http://169.254.169.254/latest/meta-data/",
		"http://[::1]:" + vport + "/secret",
		p.URL + "/to-loopback",
		p.URL + "/to-mapped",
		p.URL + "/to-metadata",
		p.URL + "/to-localhost",
	} {
		t.Run("row41 "+target, func(t *testing.T) {
			_, err := f.Fetch(context.Background(), target)
			if !errors.Is(err, ErrForbidden) || !errors.Is(err, safehttp.ErrForbiddenAddress) {
				t.Fatalf("err = %v, want ErrForbidden at dial time", err)
			}
			if errors.Is(err, ErrTemporary) {
				t.Error("a refused destination is reported as temporary")
			}
			if n := victim.totalHits(); n != 0 {
				t.Fatalf("the private server was reached %d times", n)
			}
		})
	}
	// A key whose id points there is refused the same way.
	if _, err := f.FetchKey(context.Background(), "http://127.0.0.1:"+vport+"/secret#main-key"); !errors.Is(err, ErrForbidden) {
		t.Errorf("FetchKey: %v", err)
	}
	// Without --allow-fetch-addr, plain http is refused before any dial.
	strict := &Fetcher{Client: safehttp.New(safehttp.Options{})}
	if _, err := strict.Fetch(context.Background(), p.URL+"/to-loopback"); !errors.Is(err, ErrForbidden) || !errors.Is(err, safehttp.ErrForbiddenScheme) {
		t.Errorf("plain http without an allowed address: %v", err)
	}
	if n := victim.totalHits(); n != 0 {
		t.Fatalf("the private server was reached %d times", n)
	}
}

// SECURITY row 44: failures that may pass are ErrTemporary.
func TestFetchTemporaryFailures(t *testing.T) {
	t.Run("row44 timeout", func(t *testing.T) {
		p := newPeer(t)
		p.guard = func(w http.ResponseWriter, r *http.Request) bool {
			<-r.Context().Done() // answers only when the client has given up
			return true
		}
		f := fetcherFor(t, 200*time.Millisecond, p.addr(t))
		if _, err := f.Fetch(context.Background(), p.URL+"/users/bob"); !errors.Is(err, ErrTemporary) {
			t.Fatalf("err = %v, want ErrTemporary", err)
		}
	})
	t.Run("row44 connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ap := netip.MustParseAddrPort(l.Addr().String())
		l.Close() // nothing listens there any more
		f := fetcherFor(t, 0, ap)
		if _, err := f.Fetch(context.Background(), "http://"+ap.String()+"/users/bob"); !errors.Is(err, ErrTemporary) {
			t.Fatalf("err = %v, want ErrTemporary", err)
		}
	})
	t.Run("row44 connection dropped mid-answer", func(t *testing.T) {
		p := newPeer(t)
		p.guard = func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", as2)
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(200)
			w.Write([]byte(`{"id":`))
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
				}
			}
			return true
		}
		f := fetcherFor(t, 0, p.addr(t))
		if _, err := f.Fetch(context.Background(), p.URL+"/users/bob"); !errors.Is(err, ErrTemporary) {
			t.Fatalf("err = %v, want ErrTemporary", err)
		}
	})
}

// Redirects are followed (each hop checked by safehttp) but the document
// must still carry the URL that was asked for as its id.
func TestFetchRedirect(t *testing.T) {
	p := newPeer(t)
	f := fetcherFor(t, 0, p.addr(t))
	p.redirect("/@bob", p.URL+"/users/bob")
	p.put("/users/bob", 200, as2, map[string]any{"id": p.URL + "/users/bob"})
	if _, err := f.Fetch(context.Background(), p.URL+"/@bob"); !errors.Is(err, ErrIDMismatch) {
		t.Fatalf("err = %v, want ErrIDMismatch", err)
	}
	p.put("/notes/1", 200, as2, map[string]any{"id": p.URL + "/old/notes/1"})
	p.redirect("/old/notes/1", p.URL+"/notes/1")
	if _, err := f.Fetch(context.Background(), p.URL+"/old/notes/1"); err != nil {
		t.Fatalf("a moved document naming its old URL: %v", err)
	}
}
