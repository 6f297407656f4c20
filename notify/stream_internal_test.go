package notify

import (
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
)

// publicService is a Service over a real store whose root ACL lets the
// public read, served on 127.0.0.1 without authentication middleware.
func publicService(t *testing.T, cfg Config) (*Service, string) {
	t.Helper()
	srv, set := ldptest.Server(t)
	base := srv.URL + "/"
	st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	cfg.LDP = ldptest.PublicHandler(t, st, res, ldp.Config{BaseURL: base})
	var err error
	if cfg.Channels, err = st.KV(kv.Channels); err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	set(s)
	return s, base
}

// A client that opens a stream and never reads is cut off once its
// bounded queue is full, and offering to it never blocks the sender (the
// feed): issue 12 item 3.
func TestStreamingHTTPChannel2023_NeverReadingIsCut(t *testing.T) {
	s, base := publicService(t, Config{Queue: 2})
	addr := strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.(*net.TCPConn).SetReadBuffer(4096)
	if _, err := conn.Write([]byte("GET " + StreamPath + encodeComponent(base+"doc") + " HTTP/1.1\r\nHost: " + addr + "\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	var k *stream
	for i := 0; i < 500 && k == nil; i++ {
		if ks := s.streams.on("/doc"); len(ks) == 1 {
			k = ks[0]
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if k == nil {
		t.Fatal("the stream did not open")
	}
	big := []byte(strings.Repeat("# padding\n", 6<<10)) // 60 KiB a notification
	start := time.Now()
	cut := false
	sent := 0
	for ; sent < 2000 && !cut; sent++ { // at most ~120 MiB offered
		k.offer(big)
		select {
		case <-k.done:
			cut = true
		case <-time.After(2 * time.Millisecond): // let the writer drain what TCP takes
		}
	}
	if !cut {
		t.Fatal("a stream that is never read was not cut off")
	}
	t.Logf("cut after %d offers (%s)", sent, time.Since(start))
	// The handler returns and forgets the stream soon after, not after
	// writeTimeout: the blocked write is cut short.
	for i := 0; i < 300; i++ {
		if len(s.streams.on("/doc")) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the handler of a cut stream did not return")
}

// CloseStreams (registered with http.Server.RegisterOnShutdown) ends
// every open stream, also one blocked on a client that does not read,
// and refuses new ones with 503.
func TestStreamingHTTPChannel2023_CloseStreams(t *testing.T) {
	s, base := publicService(t, Config{})
	addr := strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET " + StreamPath + encodeComponent(base+"doc") + " HTTP/1.1\r\nHost: " + addr + "\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 500 && len(s.streams.on("/doc")) == 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	s.CloseStreams()
	for i := 0; i < 300 && len(s.streams.on("/doc")) > 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(s.streams.on("/doc")); n != 0 {
		t.Fatalf("%d streams open after CloseStreams", n)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", base[:len(base)-1]+StreamPath+encodeComponent(base+"doc"), nil))
	if rec.Code != 503 {
		t.Fatalf("stream after CloseStreams: %d, want 503", rec.Code)
	}
}

// encodeComponent matches ECMAScript's encodeURIComponent.
func TestEncodeComponent(t *testing.T) {
	for in, want := range map[string]string{
		"https://a.example/x y?q=1#f": "https%3A%2F%2Fa.example%2Fx%20y%3Fq%3D1%23f",
		"-_.!~*'()":                   "-_.!~*'()",
		"é":                           "%C3%A9",
	} {
		if got := encodeComponent(in); got != want {
			t.Errorf("encodeComponent(%q) = %q, want %q", in, got, want)
		}
	}
}
