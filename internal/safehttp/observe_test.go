package safehttp

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options.Observe is told each hop's result (the server's
// naamio_outbound_fetches_total, issue 16 item 4).
func TestObserveResults(t *testing.T) {
	srv := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/missing":
			http.NotFound(w, r)
		case "/big":
			w.Header().Set("Content-Length", "5000")
			_, _ = w.Write([]byte(strings.Repeat("x", 5000)))
		case "/moved":
			http.Redirect(w, r, "/ok", http.StatusFound)
		default:
			_, _ = w.Write([]byte("ok"))
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close() // nothing listens there: the dial fails

	var mu sync.Mutex
	var got []string
	c := New(Options{Timeout: 2 * time.Second, MaxBody: 1000,
		AllowAddrPorts: []netip.AddrPort{srv.addrPort(t), closedAddr},
		Observe: func(r string) {
			mu.Lock()
			got = append(got, r)
			mu.Unlock()
		}})
	for _, tc := range []struct {
		url  string
		want []string
	}{
		{srv.URL + "/ok", []string{"ok"}},
		{srv.URL + "/missing", []string{"http_error"}},
		{srv.URL + "/big", []string{"too_large"}},
		{srv.URL + "/moved", []string{"ok", "ok"}}, // each hop
		{"https://127.0.0.1:1/", []string{"refused"}},
		{"http://10.0.0.1/", []string{"refused"}},
		{"http://" + closedAddr.String() + "/", []string{"error"}},
	} {
		mu.Lock()
		got = nil
		mu.Unlock()
		_, _ = c.Get(context.Background(), tc.url, "")
		mu.Lock()
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("GET %s: observed %v, want %v", tc.url, got, tc.want)
		}
		mu.Unlock()
	}
}
