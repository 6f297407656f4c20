package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/naamio/naamio/ldp/ldptest"
	"github.com/naamio/naamio/notify"
)

// The legacy solid-0.1 WebSocket protocol (issue 12 item 2), against a real
// server on 127.0.0.1 with a real Badger store, with a Go WebSocket client.

// legacyClient is one solid-0.1 socket of a test.
type legacyClient struct {
	t  *testing.T
	ws *websocket.Conn
}

func dialLegacy(t *testing.T, base string, protocols ...string) *legacyClient {
	t.Helper()
	if protocols == nil {
		protocols = []string{"solid-0.1"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(base, "http") + notify.LegacyPath
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: protocols})
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &legacyClient{t: t, ws: ws}
}

func (c *legacyClient) send(line string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(line)); err != nil {
		c.t.Fatalf("send %.40q: %v", line, err)
	}
}

// next returns the next line from the server, or the error that ended
// the socket.
func (c *legacyClient) next() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := c.ws.Read(ctx)
	return string(b), err
}

func (c *legacyClient) expect(want string) {
	c.t.Helper()
	got, err := c.next()
	if err != nil || got != want {
		c.t.Fatalf("got %q (%v), want %q", got, err, want)
	}
}

// put writes body to url anonymously (the public may write under the test
// server's root ACL unless an ACL below says otherwise).
func put(t *testing.T, url, ct, body string) {
	t.Helper()
	resp, _ := ldptest.Send(t, nil, http.MethodPut, url, ct, body)
	if resp.StatusCode >= 300 {
		t.Fatalf("PUT %s = %d", url, resp.StatusCode)
	}
}

func TestLegacyUpdatesVia(t *testing.T) {
	base, _ := startServer(t, nil)
	want := "ws" + strings.TrimPrefix(base, "http") + notify.LegacyPath
	for _, p := range []string{"/", "/missing"} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Updates-Via"); got != want {
			t.Fatalf("GET %s: Updates-Via %q, want %q", p, got, want)
		}
	}
}

func TestLegacySubAckPub(t *testing.T) {
	base, _ := startServer(t, nil)
	put(t, base+"/doc", "text/plain", "one")
	c := dialLegacy(t, base)
	c.expect("protocol solid-0.1")
	c.send("sub " + base + "/doc")
	c.expect("ack " + base + "/doc")
	c.send("sub /") // relative to the base URL, as some clients send it
	c.expect("ack " + base + "/")
	put(t, base+"/doc", "text/plain", "two")
	// The resource, then its container (solid-0.1: a change of a member
	// notifies the container).
	c.expect("pub " + base + "/doc")
	c.expect("pub " + base + "/")
	put(t, base+"/new", "text/plain", "created")
	c.expect("pub " + base + "/")
	resp, _ := ldptest.Send(t, nil, http.MethodDelete, base+"/doc", "", "")
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE = %d", resp.StatusCode)
	}
	c.expect("pub " + base + "/doc")
	c.expect("pub " + base + "/")
}

// Without a subprotocol (rdflib opens the socket so) the socket works after
// a warning; with others but not solid-0.1 it is refused.
func TestLegacySubprotocol(t *testing.T) {
	base, _ := startServer(t, nil)
	c := dialLegacy(t, base, []string{}...)
	c.expect("warning Missing Sec-WebSocket-Protocol header, expected value 'solid-0.1'")
	c.expect("protocol solid-0.1")
	c.send("sub " + base + "/x")
	c.expect("ack " + base + "/x")
	o := dialLegacy(t, base, "chat")
	o.expect("error Client does not support protocol solid-0.1")
	if _, err := o.next(); websocket.CloseStatus(err) != websocket.StatusProtocolError {
		t.Fatalf("socket without solid-0.1 not closed: %v", err)
	}
}

const ownerOnlyPublicWrite = `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<#owner> a acl:Authorization ; acl:agent <https://owner.example/profile/card#me> ;
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .
<#drop> a acl:Authorization ; acl:agentClass foaf:Agent ;
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Write .
`

// The protocol has no authentication: a resource the public may not read
// gets an error line instead of an ack, and a subscription stops
// publishing as soon as an ACL takes public Read away.
func TestLegacyPrivateResource(t *testing.T) {
	base, _ := startServer(t, nil)
	put(t, base+"/secret/doc", "text/plain", "one")
	put(t, base+"/open", "text/plain", "one")
	c := dialLegacy(t, base)
	c.expect("protocol solid-0.1")
	c.send("sub " + base + "/secret/doc")
	c.expect("ack " + base + "/secret/doc")
	c.send("sub " + base + "/open")
	c.expect("ack " + base + "/open")
	put(t, base+"/secret/.acl", "text/turtle", ownerOnlyPublicWrite)
	put(t, base+"/secret/doc", "text/plain", "two") // the public may still write
	put(t, base+"/open", "text/plain", "two")
	// The next line is the public resource's pub: none for the private one.
	c.expect("pub " + base + "/open")
	c.send("sub " + base + "/secret/doc")
	c.expect("error Not publicly readable: " + base + "/secret/doc")
	c.send("sub " + base + "/secret/other")
	c.expect("error Not publicly readable: " + base + "/secret/other")
}

// Bad input (issue 12 item 3): each answered with a warning or an error
// line, or closed; never a crash, never an unbounded buffer.
func TestLegacyBadInput(t *testing.T) {
	base, _ := startServer(t, nil)
	long := "sub " + base + "/" + strings.Repeat("a", 10<<10)
	cases := []struct {
		name  string
		send  []string
		reply string // the line answered ("" for none)
		close websocket.StatusCode
	}{
		{"garbage", []string{"garbage"}, "warning Unrecognized message format", -1},
		{"unknown verb", []string{"pub http://x/"}, "warning Unrecognized message type", -1},
		{"empty", []string{"   "}, "warning Unrecognized message format", -1},
		{"other host", []string{"sub http://evil.example/doc"}, "error Not a resource of this server", -1},
		{"other scheme", []string{"sub " + strings.Replace(base, "http:", "https:", 1) + "/doc"}, "error Not a resource of this server", -1},
		{"not a URL", []string{"sub http://[::1"}, "error Invalid URL", -1},
		{"dot segments stay on the server", []string{"sub " + base + "/../../x/./y"}, "ack " + base + "/x/y", -1},
		{"10 KB line", []string{long}, "", websocket.StatusMessageTooBig},
		{"a flood of garbage", repeat("x", 40), "warning Unrecognized message format", websocket.StatusPolicyViolation},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dialLegacy(t, base)
			c.expect("protocol solid-0.1")
			for _, l := range tc.send {
				c.send(l)
			}
			if tc.reply != "" {
				c.expect(tc.reply)
			}
			if tc.close == -1 {
				c.send("sub " + base + "/still")
				c.expect("ack " + base + "/still")
				return
			}
			for {
				_, err := c.next()
				if err == nil {
					continue
				}
				if got := websocket.CloseStatus(err); got != tc.close {
					t.Fatalf("closed with %v (%v), want %v", got, err, tc.close)
				}
				return
			}
		})
	}
	t.Run("binary message", func(t *testing.T) {
		c := dialLegacy(t, base)
		c.expect("protocol solid-0.1")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.ws.Write(ctx, websocket.MessageBinary, []byte("sub /")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.next(); websocket.CloseStatus(err) != websocket.StatusUnsupportedData {
			t.Fatalf("binary message: %v", err)
		}
	})
	t.Run("too many subscriptions", func(t *testing.T) {
		c := dialLegacy(t, base)
		c.expect("protocol solid-0.1")
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for i := range notify.LegacyDefaultMaxSubs + 10 {
				if c.ws.Write(ctx, websocket.MessageText, fmt.Appendf(nil, "sub %s/n%d", base, i)) != nil {
					return
				}
			}
		}()
		acks, last := 0, ""
		for {
			line, err := c.next()
			if err != nil {
				if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
					t.Fatalf("closed with %v", err)
				}
				break
			}
			if strings.HasPrefix(line, "ack ") {
				acks++
			}
			last = line
		}
		if acks != notify.LegacyDefaultMaxSubs || last != "error Too many subscriptions" {
			t.Fatalf("%d acks, last line %q; want %d acks and the limit's error", acks, last, notify.LegacyDefaultMaxSubs)
		}
	})
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}
