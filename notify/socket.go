package notify

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// writeTimeout bounds one send (or ping) to a socket.
const writeTimeout = 10 * time.Second

// pingEvery is how often an idle socket is pinged, so a peer that went
// away without closing (and what serves it) is let go within about a
// minute rather than when its channel expires.
const pingEvery = time.Minute

// socket is one open WebSocket of a channel. An idle socket costs one
// goroutine, the library's reader (CloseRead), which answers pings and
// notices the peer closing; the HTTP handler returns once the socket is
// open, so its request and stack are not kept (issue 12 item 5). Sends
// go through a bounded queue written by a goroutine that runs only while
// the queue is not empty; when the queue is full the socket is closed, so
// a client that never reads holds at most Service.queue messages. Pings
// come from a timer, not a goroutine.
type socket struct {
	ch     *channel
	opened time.Time
	max    int // queue bound

	mu      sync.Mutex
	conn    *websocket.Conn // nil until the handshake is done
	queue   [][]byte        // messages waiting to be written
	writing bool            // a drain goroutine runs
	stopped bool            // closed, or to be closed once conn is set
	ping    *time.Timer
}

// offer queues msg, or closes the socket when its queue is full. It never
// blocks (the feed consumer calls it).
func (k *socket) offer(msg []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return
	}
	if len(k.queue) >= k.max {
		k.stopLocked()
		return
	}
	k.queue = append(k.queue, msg)
	k.startDrainLocked()
}

func (k *socket) startDrainLocked() {
	if k.conn != nil && !k.writing && len(k.queue) > 0 {
		k.writing = true
		go k.drain(k.conn)
	}
}

// stop closes the socket (StatusPolicyViolation): its client does not
// read, it was unsubscribed, or the server is shutting down.
func (k *socket) stop() {
	k.mu.Lock()
	k.stopLocked()
	k.mu.Unlock()
}

func (k *socket) stopLocked() {
	if k.stopped {
		return
	}
	k.stopped = true
	k.queue = nil
	if k.conn != nil {
		go closeSocket(k.conn)
	}
}

func closeSocket(conn *websocket.Conn) {
	_ = conn.Close(websocket.StatusPolicyViolation, "not reading, unsubscribed, or shutting down")
}

// drain writes the queued messages in order and ends when the queue is
// empty; an idle socket keeps no buffer.
func (k *socket) drain(conn *websocket.Conn) {
	for {
		k.mu.Lock()
		if len(k.queue) == 0 || k.stopped {
			k.queue, k.writing = nil, false
			k.mu.Unlock()
			return
		}
		msg := k.queue[0]
		k.queue[0] = nil
		k.queue = k.queue[1:]
		k.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		err := conn.Write(ctx, websocket.MessageText, msg)
		cancel()
		if err != nil {
			_ = conn.CloseNow()
			k.mu.Lock()
			k.queue, k.writing, k.stopped = nil, false, true
			k.mu.Unlock()
			return
		}
	}
}

// pinged runs on the socket's timer: it pings the peer, closes the
// socket when no pong comes within writeTimeout, and arms the next ping.
func (k *socket) pinged(conn *websocket.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	err := conn.Ping(ctx)
	cancel()
	if err != nil {
		_ = conn.CloseNow()
		return
	}
	k.mu.Lock()
	if !k.stopped {
		k.ping.Reset(pingEvery)
	}
	k.mu.Unlock()
}

// hub indexes the open sockets by topic and by channel.
type hub struct {
	mu        sync.Mutex
	byTopic   map[string]map[*socket]struct{}
	byChannel map[string][]*socket
	n         int
	closed    bool
}

func (h *hub) init() {
	h.byTopic = map[string]map[*socket]struct{}{}
	h.byChannel = map[string][]*socket{}
}

func (h *hub) register(k *socket) {
	h.mu.Lock()
	if h.closed {
		k.stop()
	}
	set := h.byTopic[k.ch.Topic]
	if set == nil {
		set = map[*socket]struct{}{}
		h.byTopic[k.ch.Topic] = set
	}
	set[k] = struct{}{}
	h.byChannel[k.ch.Token] = append(h.byChannel[k.ch.Token], k)
	h.n++
	h.mu.Unlock()
}

func (h *hub) unregister(k *socket) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if set := h.byTopic[k.ch.Topic]; set != nil {
		delete(set, k)
		if len(set) == 0 {
			delete(h.byTopic, k.ch.Topic)
		}
	}
	ks := h.byChannel[k.ch.Token]
	for i, o := range ks {
		if o == k {
			ks = append(ks[:i:i], ks[i+1:]...)
			h.n--
			break
		}
	}
	if len(ks) == 0 {
		delete(h.byChannel, k.ch.Token)
	} else {
		h.byChannel[k.ch.Token] = ks
	}
}

// on returns the open sockets of topic.
func (h *hub) on(topic string) []*socket {
	h.mu.Lock()
	defer h.mu.Unlock()
	ks := make([]*socket, 0, len(h.byTopic[topic]))
	for k := range h.byTopic[topic] {
		ks = append(ks, k)
	}
	return ks
}

// open is the number of sockets registered.
func (h *hub) open() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// closeChannel closes every socket of an unsubscribed channel.
func (h *hub) closeChannel(token string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range h.byChannel[token] {
		k.stop()
	}
}

// Close closes every open socket and every one opened later: the
// server is shutting down (http.Server.RegisterOnShutdown; hijacked
// connections are not closed by Shutdown).
func (s *Service) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.closed = true
	for _, ks := range s.hub.byChannel {
		for _, k := range ks {
			k.stop()
		}
	}
}

// serveSocket upgrades r and leaves the socket to send the channel's
// notifications until the client goes, sends anything (clients only
// listen: a data message closes the socket, StatusPolicyViolation), or
// its queue overflows. Over the server's socket limit the upgrade is
// refused (503).
func (s *Service) serveSocket(w http.ResponseWriter, r *http.Request, c *channel) {
	if !s.sockets.acquire() {
		refuseSocket(w)
		return
	}
	// The receiveFrom URL is the capability (no cookies are involved), and
	// apps on any origin connect to it: no Origin check.
	// The socket is registered before the handshake completes, so every
	// change committed after the client sees it open reaches it (queued
	// until the connection is ready).
	k := &socket{ch: c, opened: time.Now(), max: s.queue}
	s.hub.register(k)
	s.connected(r.Context(), k) // notify:state (admit.go)
	conn, err := websocket.Accept(smallBuffers(w), r, &websocket.AcceptOptions{
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		s.hub.unregister(k)
		s.sockets.release()
		return
	}
	conn.SetReadLimit(1024)
	// The socket outlives the request: its context ends with the handler.
	ctx := conn.CloseRead(context.Background())
	k.mu.Lock()
	k.conn = conn
	k.ping = time.AfterFunc(pingEvery, func() { k.pinged(conn) })
	if k.stopped {
		go closeSocket(conn)
	}
	k.startDrainLocked()
	k.mu.Unlock()
	context.AfterFunc(ctx, func() {
		k.mu.Lock()
		k.stopped, k.queue = true, nil
		k.ping.Stop()
		k.mu.Unlock()
		s.hub.unregister(k)
		s.sockets.release()
	})
}
