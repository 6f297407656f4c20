package notify

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

const (
	// legacyWriteTimeout bounds one message written to a socket.
	legacyWriteTimeout = 5 * time.Second
	// legacyFlushTimeout bounds writing the messages still queued when a
	// socket is closed (an error line that says why).
	legacyFlushTimeout = time.Second
	// legacyNotReading is the close reason of a client that lets its
	// queue fill.
	legacyNotReading = "not reading"
)

// legacyConn is one open solid-0.1 socket. Its subscriptions (paths) are
// guarded by the Legacy's mu; out is its bounded queue of messages.
type legacyConn struct {
	ws   *websocket.Conn
	out  chan string
	subs map[string]struct{}
	stop context.CancelFunc
	// close sets code and reason once and closes closing.
	once    sync.Once
	closing chan struct{}
	code    websocket.StatusCode
	reason  string
}

// errLegacyBad: a socket sent more unusable lines than legacyMaxBad.
var errLegacyBad = errors.New("too many unusable messages")

// ServeHTTP upgrades the request to a solid-0.1 socket and serves it until
// the client leaves or misbehaves.
func (l *Legacy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Any Origin may connect: the socket reveals only changes of resources
	// the public may read, and no credentials (cookies, tokens) are used.
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:       []string{legacyProtocol},
		InsecureSkipVerify: true,
	})
	if err != nil {
		return // Accept has answered
	}
	ws.SetReadLimit(legacyMaxLine)
	ctx, stop := context.WithCancel(context.Background())
	c := &legacyConn{ws: ws, out: make(chan string, l.queue), subs: map[string]struct{}{}, stop: stop, closing: make(chan struct{})}
	l.open.Add(1)
	l.mu.Lock()
	l.conns[c] = struct{}{}
	l.mu.Unlock()
	done := make(chan struct{})
	defer func() {
		l.drop(c)
		<-done // the write loop has closed the socket
		l.open.Add(-1)
	}()
	go func() {
		defer close(done)
		c.writeLoop(ctx)
	}()
	if !l.greet(c, r) {
		return
	}
	bad := 0
	for {
		typ, msg, err := ws.Read(ctx)
		if err != nil {
			c.close(websocket.StatusNormalClosure, "")
			return
		}
		if typ != websocket.MessageText {
			c.close(websocket.StatusUnsupportedData, "text messages only")
			return
		}
		if !l.message(ctx, c, string(msg)) {
			if bad++; bad > legacyMaxBad {
				l.log.Info("legacy socket closed", "err", errLegacyBad)
				c.close(websocket.StatusPolicyViolation, errLegacyBad.Error())
				return
			}
		}
	}
}

// greet checks the subprotocols the client offered, as the solid-0.1 text
// asks: none is a warning, a list without solid-0.1 an error and a close.
func (l *Legacy) greet(c *legacyConn, r *http.Request) bool {
	var offered []string
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			offered = append(offered, strings.TrimSpace(p))
		}
	}
	switch {
	case len(offered) == 0:
		c.reply("warning Missing Sec-WebSocket-Protocol header, expected value '" + legacyProtocol + "'")
	case c.ws.Subprotocol() != legacyProtocol:
		c.reply("error Client does not support protocol " + legacyProtocol)
		c.close(websocket.StatusProtocolError, "solid-0.1 only")
		return false
	}
	c.reply("protocol " + legacyProtocol)
	return true
}

// message handles one line from the client; false when it was unusable.
func (l *Legacy) message(ctx context.Context, c *legacyConn, line string) bool {
	verb, arg, ok := legacyParse(line)
	if !ok {
		c.reply("warning Unrecognized message format")
		return false
	}
	switch verb {
	case "sub":
		return l.subscribe(ctx, c, arg)
	case "protocol": // the client names its version; nothing to do
		return true
	default:
		c.reply("warning Unrecognized message type")
		return false
	}
}

// legacyParse splits a client's line into its verb and argument
// ("sub <url>"); false for a line without both.
func legacyParse(line string) (verb, arg string, ok bool) {
	verb, arg, ok = strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	return verb, arg, ok && verb != "" && arg != ""
}

// target is the store path a sub's URL names (absolute, or relative to the
// base URL), or the error line that refuses it.
func (l *Legacy) target(raw string) (path, problem string) {
	ref, err := url.Parse(raw)
	if err != nil {
		return "", "error Invalid URL"
	}
	p, ok := l.loc.PathOf(l.base.ResolveReference(ref).String())
	if !ok {
		return "", "error Not a resource of this server"
	}
	return p, ""
}

// subscribe handles "sub <url>": a URL of this server (absolute, or
// relative to the base URL) whose resource the public may read is acked;
// anything else gets an error line. The subscription is kept by canonical
// path, so every spelling of a URL is one subscription.
func (l *Legacy) subscribe(ctx context.Context, c *legacyConn, raw string) bool {
	p, problem := l.target(raw)
	if problem != "" {
		c.reply(problem)
		return false
	}
	iri := l.loc.IRI(p)
	// The protocol has no authentication: only what the public may read.
	if !l.access.PublicMayRead(ctx, iri) {
		c.reply("error Not publicly readable: " + iri)
		return false
	}
	l.mu.Lock()
	_, had := c.subs[p]
	full := !had && len(c.subs) >= l.maxSubs
	if !full && !had {
		c.subs[p] = struct{}{}
		set := l.subs[p]
		if set == nil {
			set = map[*legacyConn]struct{}{}
			l.subs[p] = set
		}
		set[c] = struct{}{}
	}
	l.mu.Unlock()
	if full {
		l.log.Info("legacy socket closed", "err", "too many subscriptions", "max", l.maxSubs)
		c.reply("error Too many subscriptions")
		c.close(websocket.StatusPolicyViolation, "too many subscriptions")
		return true
	}
	c.reply("ack " + iri)
	return true
}

// drop forgets every subscription of c and closes it.
func (l *Legacy) drop(c *legacyConn) {
	l.mu.Lock()
	for p := range c.subs {
		if set := l.subs[p]; set != nil {
			delete(set, c)
			if len(set) == 0 {
				delete(l.subs, p)
			}
		}
	}
	c.subs = nil
	delete(l.conns, c)
	l.mu.Unlock()
	c.close(websocket.StatusNormalClosure, "")
}

// reply queues an answer to the client's own message. It waits for room
// (the client's reading paces its writing, and the reader goroutine is the
// client's own), but never longer than the socket lives: a client that
// does not read is closed by the write loop's timeout.
func (c *legacyConn) reply(msg string) {
	select {
	case c.out <- msg:
	case <-c.closing:
	}
}

// send queues a pub without ever blocking (the feed consumer calls it): a
// client whose queue is full is not reading, and is closed.
func (c *legacyConn) send(msg string) {
	select {
	case c.out <- msg:
	default:
		c.close(websocket.StatusPolicyViolation, legacyNotReading)
	}
}

// close ends the socket once, with code and reason, without waiting: the
// write loop sends what is queued (unless the client is not reading) and
// then the close frame.
func (c *legacyConn) close(code websocket.StatusCode, reason string) {
	c.once.Do(func() {
		c.code, c.reason = code, reason
		close(c.closing)
	})
}

// writeLoop writes the queued messages in order until the socket ends,
// then closes it.
func (c *legacyConn) writeLoop(ctx context.Context) {
	defer c.stop()
	for {
		select {
		case <-ctx.Done():
			c.close(websocket.StatusGoingAway, "")
			_ = c.ws.CloseNow()
			return
		case <-c.closing:
			if c.reason != legacyNotReading {
				c.flush(ctx)
			}
			_ = c.ws.Close(c.code, c.reason)
			return
		case msg := <-c.out:
			if !c.write(ctx, msg, legacyWriteTimeout) {
				c.close(websocket.StatusPolicyViolation, legacyNotReading)
			}
		}
	}
}

// flush writes what is still queued, within legacyFlushTimeout.
func (c *legacyConn) flush(ctx context.Context) {
	deadline := time.Now().Add(legacyFlushTimeout)
	for {
		select {
		case msg := <-c.out:
			if !c.write(ctx, msg, time.Until(deadline)) {
				return
			}
		default:
			return
		}
	}
}

func (c *legacyConn) write(ctx context.Context, msg string, d time.Duration) bool {
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return c.ws.Write(wctx, websocket.MessageText, []byte(msg)) == nil
}
