package conformance

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
)

// stallingHost is a WebID host on 127.0.0.1 that never answers: each
// request waits until the server gives up on it. It counts requests that
// arrived and requests that are over.
type stallingHost struct {
	srv      *http.Server
	url      string
	addrPort string
	arrived  atomic.Int64
	finished atomic.Int64
}

func newStallingHost(t *testing.T) *stallingHost {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &stallingHost{url: "http://" + ln.Addr().String(), addrPort: ln.Addr().String()}
	h.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.arrived.Add(1)
		defer h.finished.Add(1)
		<-r.Context().Done()
	})}
	go func() { _ = h.srv.Serve(ln) }()
	t.Cleanup(func() { _ = h.srv.Close() })
	return h
}

// clientFrom is an HTTP client whose connections come from the loopback
// address ip (the server tells clients apart by address).
func clientFrom(t *testing.T, ip string) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{Proxy: nil, DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Timeout: time.Minute, Transport: tr}
}

// signedGet sends GET u as agent with client c and returns the status.
func signedGet(c *http.Client, agent *testissuer.Agent, u string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	if err := agent.Sign(req); err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// SECURITY row 61 (issue 10 item 9), end to end: tokens naming WebIDs on a
// host that never answers, sent from many client addresses, do not delay
// another user's first request. Asserted by order: that user is
// authenticated (403: known, no permission) while every fetch to the slow
// host is still waiting; the requests beyond the slow host's fetch slots
// get 503 at once.
func TestSecurityFetch(t *testing.T) {
	requirement(t, "security-row-61-slow-webid-host", func(t *testing.T) {
		slow := newStallingHost(t)
		s := startLimited(t, "--allow-fetch-addr", issuer.AddrPort()+","+slow.addrPort)
		const attackers = 24
		statuses := make(chan int, attackers)
		var wg sync.WaitGroup
		for i := 0; i < attackers; i++ {
			k, err := testissuer.NewKey()
			if err != nil {
				t.Fatal(err)
			}
			webID := fmt.Sprintf("%s/s%d/card#me", slow.url, i)
			tok, err := issuer.Token(testissuer.TokenClaims{WebID: webID, ClientID: testissuer.DefaultClientID}, k)
			if err != nil {
				t.Fatal(err)
			}
			c := clientFrom(t, fmt.Sprintf("127.0.0.%d", 100+i))
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := signedGet(c, &testissuer.Agent{WebID: webID, Token: tok, Key: k}, s.base)
				if err != nil {
					st = -1
				}
				statuses <- st
			}()
		}
		// Wait (bounded) until every attacking request reached the slow
		// host or was answered.
		var early []int
		for limit := time.Now().Add(10 * time.Second); time.Now().Before(limit) && int(slow.arrived.Load())+len(early) < attackers; {
			select {
			case st := <-statuses:
				early = append(early, st)
			case <-time.After(10 * time.Millisecond):
			}
		}
		fresh, err := issuer.NewAgent("row61-first-request")
		if err != nil {
			t.Fatal(err)
		}
		st, err := signedGet(clientFrom(t, "127.0.0.60"), fresh, s.base)
		if err != nil {
			t.Fatal(err)
		}
		if st != http.StatusForbidden {
			t.Errorf("other user's first request: %d, want 403 (authenticated, no permission)", st)
		}
		if n := slow.finished.Load(); n != 0 {
			t.Errorf("other user answered only after %d slow fetches had ended (arrived %d)", n, slow.arrived.Load())
		}
		if len(early) == 0 {
			t.Errorf("no attacking request answered at once (%d reached the slow host)", slow.arrived.Load())
		}
		for _, st := range early {
			if st != http.StatusServiceUnavailable {
				t.Errorf("attacking request beyond the host's slots: %d, want 503", st)
			}
		}
		wg.Wait() // the slow fetches end at the server's fetch timeout
	})
}
