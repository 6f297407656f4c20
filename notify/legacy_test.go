package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
)

// legacyPod is a real pod (Badger in a temp dir, the LDP handler with a
// public root ACL) with the legacy endpoint on an httptest server.
func legacyPod(t testing.TB, queue int) (*Legacy, string) {
	t.Helper()
	srv, set := ldptest.Server(t)
	base := srv.URL + "/"
	st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	h := ldptest.PublicHandler(t, st, res, ldp.Config{BaseURL: base})
	l, err := NewLegacy(LegacyOptions{BaseURL: base, Locator: h.Locator(), Access: h, Queue: queue})
	if err != nil {
		t.Fatal(err)
	}
	set(l)
	return l, srv.URL
}

func (l *Legacy) subscribers() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.subs)
}

// A client that subscribes and then never reads (issue 12 item 3): the
// feed consumer never blocks on it, its queue stays at its bound, and it
// is closed and forgotten.
func TestLegacyClientNeverReads(t *testing.T) {
	l, url := legacyPod(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+LegacyPath,
		&websocket.DialOptions{Subprotocols: []string{legacyProtocol}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	// Long paths make every pub large, so the socket's buffers fill soon.
	doc := "/" + strings.Repeat("d", 4000)
	if err := ws.Write(ctx, websocket.MessageText, []byte("sub "+doc)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"protocol solid-0.1", "ack " + url + doc} {
		if _, b, err := ws.Read(ctx); err != nil || string(b) != want {
			t.Fatalf("got %.60q (%v), want %.60q", b, err, want)
		}
	}
	if l.Open() != 1 || l.subscribers() != 1 {
		t.Fatalf("%d sockets, %d subscribed paths; want 1 and 1", l.Open(), l.subscribers())
	}
	// From now on the client reads nothing.
	for i := 0; l.subscribers() > 0; i++ {
		if ctx.Err() != nil {
			t.Fatalf("the socket was not dropped after %d pubs", i)
		}
		if err := l.Handle(ctx, []event.Change{{Seq: uint64(i + 1), Kind: event.Update, Path: doc, Time: time.Now()}}); err != nil {
			t.Fatal(err)
		}
		if i%64 == 63 {
			time.Sleep(time.Millisecond) // let the write loop run
		}
	}
	// The socket's goroutines end too.
	for l.Open() > 0 {
		if ctx.Err() != nil {
			t.Fatalf("%d sockets still served", l.Open())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A change committed before a subscription is not published to it,
// however late the feed brings it (a busy server's feed may hand over a
// write made just before the sub after the ack).
func TestLegacyNoPubForEarlierChanges(t *testing.T) {
	l, url := legacyPod(t, 16)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	before := time.Now()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+LegacyPath,
		&websocket.DialOptions{Subprotocols: []string{legacyProtocol}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if err := ws.Write(ctx, websocket.MessageText, []byte("sub /doc")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"protocol solid-0.1", "ack " + url + "/doc"} {
		if _, b, err := ws.Read(ctx); err != nil || string(b) != want {
			t.Fatalf("got %q (%v), want %q", b, err, want)
		}
	}
	_ = l.Handle(ctx, []event.Change{{Seq: 1, Kind: event.Update, Path: "/doc", Time: before}})
	_ = l.Handle(ctx, []event.Change{{Seq: 2, Kind: event.Update, Path: "/other", Time: time.Now()}})
	_ = l.Handle(ctx, []event.Change{{Seq: 3, Kind: event.Update, Path: "/doc", Time: time.Now()}})
	// The first pub the socket gets is the one of the later change: the
	// earlier change sent nothing.
	if _, b, err := ws.Read(ctx); err != nil || string(b) != "pub "+url+"/doc" {
		t.Fatalf("got %q (%v)", b, err)
	}
	if err := ws.Write(ctx, websocket.MessageText, []byte("sub /")); err != nil {
		t.Fatal(err)
	}
	if _, b, err := ws.Read(ctx); err != nil || string(b) != "ack "+url+"/" {
		t.Fatalf("got %q (%v), want the ack of / (no pub of an earlier change between)", b, err)
	}
}

// Unit checks of the socket URL built from the base URL.
func TestLegacyUpdatesViaScheme(t *testing.T) {
	for base, want := range map[string]string{
		"http://localhost:8080/":   "ws://localhost:8080" + LegacyPath,
		"https://pod.example/":     "wss://pod.example" + LegacyPath,
		"https://pod.example/sub/": "wss://pod.example/sub" + LegacyPath,
	} {
		l, err := NewLegacy(LegacyOptions{BaseURL: base})
		if err != nil {
			t.Fatal(err)
		}
		if got := l.UpdatesVia(); got != want {
			t.Errorf("%s: %s, want %s", base, got, want)
		}
	}
}

// FuzzLegacyLine: any line from a client is either refused or names a
// path of this server whose IRI maps back to it (the ack and the pubs name
// one canonical IRI).
func FuzzLegacyLine(f *testing.F) {
	for _, s := range []string{"sub http://localhost:8080/doc", "sub /a/../b/", "sub http://evil.example/",
		"protocol solid-0.1", "garbage", "sub %zz", "sub http://[::1", "sub //localhost:8080/x", " sub  /c/ "} {
		f.Add(s)
	}
	loc, err := ldp.NewLocator("http://localhost:8080/", nil)
	if err != nil {
		f.Fatal(err)
	}
	l, err := NewLegacy(LegacyOptions{BaseURL: "http://localhost:8080/", Locator: loc})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string) {
		verb, arg, ok := legacyParse(line)
		if !ok || verb != "sub" {
			return
		}
		p, problem := l.target(arg)
		if problem != "" {
			return
		}
		iri := loc.IRI(p)
		if back, ok := loc.PathOf(iri); !ok || back != p {
			t.Fatalf("%q: path %q, IRI %q maps back to %q, %v", line, p, iri, back, ok)
		}
	})
}
