package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/federation/deliver"
	"github.com/naamio/naamio/federation/httpsig"
	"github.com/naamio/naamio/federation/remote"
	"github.com/naamio/naamio/internal/safehttp"
)

// serveFed runs a whole server (Serve: its workers too) on 127.0.0.1 with
// pods made for names, after mod changed its Config. It answers the
// server and its base URL (with a trailing slash).
func serveFed(t testing.TB, mod func(*Config), names ...string) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr + "/"
	dir := t.TempDir()
	for _, u := range names {
		var out, errOut bytes.Buffer
		if err := accountCommand([]string{"create", "--data", dir, "--base-url", base, "--email", u + "@example.org", "--pod", u},
			strings.NewReader("correct horse battery\n"), &out, &errOut); err != nil {
			t.Fatalf("%v %s", err, errOut.String())
		}
	}
	log, _ := NewLogger(io.Discard, "json", "info")
	cfg := defaults()
	cfg.DataDir, cfg.DiskReserve, cfg.BaseURL, cfg.Listen = dir, 0, base, addr
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	serveInTest(t, context.Background(), s)
	if !healthy(base, 200) {
		t.Fatal("server did not become healthy")
	}
	return s, base
}

// addrPort is the ip:port of an http://127.0.0.1:port URL.
func addrPort(t testing.TB, u string) netip.AddrPort {
	t.Helper()
	rest := strings.TrimPrefix(u, "http://")
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	ap, err := netip.ParseAddrPort(rest)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

// The server's delivery queue runs as a worker and signs each delivery
// with the pod's own key, named by its actor's key id: a receiver on
// 127.0.0.1 (allowed with --allow-fetch-addr) verifies it with the key it
// fetches from the actor document.
func TestFederationDeliverySigned(t *testing.T) {
	got := make(chan error, 1)
	var verifier *httpsig.Verifier
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v, err := verifier.Verify(r, body)
		if err == nil {
			err = v.CheckActor(strings.TrimSuffix(v.KeyID, "#main-key"))
			if err == nil && !strings.HasSuffix(v.KeyID, "/.ap/actors/alice#main-key") {
				err = errors.New("key id " + v.KeyID)
			}
		}
		select {
		case got <- err:
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer recv.Close()
	s, base := serveFed(t, func(c *Config) {
		c.AllowFetch = append(c.AllowFetch, addrPort(t, recv.URL))
	}, "alice")
	f := &remote.Fetcher{Client: safehttp.New(safehttp.Options{AllowAddrPorts: []netip.AddrPort{addrPort(t, base)}})}
	var err error
	if verifier, err = httpsig.NewVerifier(remote.NewKeyCache(f, remote.KeyCacheOptions{}), recv.URL); err != nil {
		t.Fatal(err)
	}
	actor := strings.TrimSuffix(base, "/") + "/.ap/actors/alice"
	body := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Like","actor":"` + actor + `","object":"https://x.example/1"}`)
	if _, err := s.fed.Deliverer().Enqueue(context.Background(), deliver.Post{Sender: "alice", Body: body, Inboxes: []string{recv.URL + "/inbox"}}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatal("delivery did not verify:", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("nothing delivered")
	}
}
