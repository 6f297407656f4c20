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
	// legacyNotReading is the close reason of a client that lets its
	// queue of pubs fill.
	legacyNotReading = "not reading"
)

// legacyConn is one open solid-0.1 socket. Its subscriptions (paths) are
// guarded by the Legacy's mu. Answers to the client's own lines are
// written by its reader goroutine; pubs are queued (at most max) and
// written by a goroutine that runs only while the queue is not empty, so
// an idle socket costs one goroutine (the reader's).
type legacyConn struct {
	ws   *websocket.Conn
	subs map[string]struct{}

	mu      sync.Mutex
	queue   []string // pubs waiting to be written
	max     int
	writing bool // a drain goroutine runs

	once   sync.Once
	closed chan struct{} // closed once the socket is closed
}

// errLegacyBad: a socket sent more unusable lines than legacyMaxBad.
var errLegacyBad = errors.New("too many unusable messages")

// ServeHTTP upgrades the request to a solid-0.1 socket and leaves it to
// a goroutine of its own that serves it until the client leaves or
// misbehaves; the handler returns, so its request and stack are not kept
// (issue 12 item 5). Over the server's socket limit the upgrade is
// refused (503).
func (l *Legacy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !l.sockets.acquire() {
		refuseSocket(w)
		return
	}
	// Any Origin may connect: the socket reveals only changes of resources
	// the public may read, and no credentials (cookies, tokens) are used.
	ws, err := websocket.Accept(smallBuffers(w), r, &websocket.AcceptOptions{
		Subprotocols:       []string{legacyProtocol},
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		l.sockets.release()
		return // Accept has answered
	}
	ws.SetReadLimit(legacyMaxLine)
	c := &legacyConn{ws: ws, subs: map[string]struct{}{}, max: l.queue, closed: make(chan struct{})}
	l.open.Add(1)
	l.mu.Lock()
	l.conns[c] = struct{}{}
	l.mu.Unlock()
	if !l.greet(c, r) {
		go l.end(c)
		return
	}
	go l.serve(c)
}

// end forgets c once it is closed.
func (l *Legacy) end(c *legacyConn) {
	l.drop(c)
	<-c.closed
	l.open.Add(-1)
	l.sockets.release()
}

// serve reads the client's lines until the socket closes.
func (l *Legacy) serve(c *legacyConn) {
	defer l.end(c)
	ctx := context.Background() // the socket's life: Read ends when it closes
	bad := 0
	for {
		typ, msg, err := c.ws.Read(ctx)
		if err != nil {
			c.close(websocket.StatusNormalClosure, "")
			return
		}
		if typ != websocket.MessageText {
			c.close(websocket.StatusUnsupportedData, "text messages only")
			return
		}
		if !l.handle(ctx, c, string(msg)) {
			if bad++; bad > legacyMaxBad {
				l.log.Info("legacy socket closed", "err", errLegacyBad)
				c.close(websocket.StatusPolicyViolation, errLegacyBad.Error())
				return
			}
		}
	}
}

// handle runs message on a goroutine of its own and waits for it: the
// access check of a sub runs deep, and the stack it grows would otherwise
// stay with the reader for the socket's life (8 KiB instead of 2 or 4 of
// an idle socket; issue 12 item 5).
func (l *Legacy) handle(ctx context.Context, c *legacyConn, line string) bool {
	ok := make(chan bool, 1)
	go func() { ok <- l.message(ctx, c, line) }()
	return <-ok
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
			set = map[*legacyConn]time.Time{}
			l.subs[p] = set
		}
		set[c] = time.Now()
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

// reply writes an answer to the client's own line, on the reader
// goroutine: a client that sends faster than it reads is slowed down, and
// one that does not read at all is closed when the write times out.
func (c *legacyConn) reply(msg string) {
	ctx, cancel := context.WithTimeout(context.Background(), legacyWriteTimeout)
	defer cancel()
	if c.ws.Write(ctx, websocket.MessageText, []byte(msg)) != nil {
		c.close(websocket.StatusPolicyViolation, legacyNotReading)
	}
}

// send queues a pub without ever blocking (the feed consumer calls it): a
// client whose queue is full is not reading, and is closed.
func (c *legacyConn) send(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.closed:
		return
	default:
	}
	if len(c.queue) >= c.max {
		c.queue = nil
		c.close(websocket.StatusPolicyViolation, legacyNotReading)
		return
	}
	c.queue = append(c.queue, msg)
	if !c.writing {
		c.writing = true
		go c.drain()
	}
}

// drain writes the queued pubs in order and ends when the queue is empty.
func (c *legacyConn) drain() {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.queue, c.writing = nil, false // an idle socket keeps no buffer
			c.mu.Unlock()
			return
		}
		msg := c.queue[0]
		c.queue = c.queue[1:]
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), legacyWriteTimeout)
		err := c.ws.Write(ctx, websocket.MessageText, []byte(msg))
		cancel()
		if err != nil {
			c.close(websocket.StatusPolicyViolation, legacyNotReading)
			c.mu.Lock()
			c.queue, c.writing = nil, false
			c.mu.Unlock()
			return
		}
	}
}

// close ends the socket once, with code and reason, without waiting; c.closed
// is closed when it is done.
func (c *legacyConn) close(code websocket.StatusCode, reason string) {
	c.once.Do(func() {
		go func() {
			_ = c.ws.Close(code, reason)
			close(c.closed)
		}()
	})
}
