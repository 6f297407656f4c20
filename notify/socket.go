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
// away without closing (and the goroutine serving it) is let go within
// about a minute rather than when its channel expires.
const pingEvery = time.Minute

// socket is one open WebSocket of a channel. Notifications go through a
// bounded queue; when it is full the socket is closed, so a client that
// never reads holds at most Service.queue messages.
type socket struct {
	ch     *channel
	opened time.Time
	queue  chan []byte
	full   chan struct{}
	once   sync.Once
}

// offer queues msg, or closes the socket when its queue is full.
func (k *socket) offer(msg []byte) {
	select {
	case k.queue <- msg:
	default:
		k.stop()
	}
}

func (k *socket) stop() { k.once.Do(func() { close(k.full) }) }

// hub indexes the open sockets by topic and by channel.
type hub struct {
	mu        sync.Mutex
	byTopic   map[string]map[*socket]struct{}
	byChannel map[string]map[*socket]struct{}
	closed    bool
}

func (h *hub) init() {
	h.byTopic = map[string]map[*socket]struct{}{}
	h.byChannel = map[string]map[*socket]struct{}{}
}

func add(m map[string]map[*socket]struct{}, key string, k *socket) {
	if m[key] == nil {
		m[key] = map[*socket]struct{}{}
	}
	m[key][k] = struct{}{}
}

func remove(m map[string]map[*socket]struct{}, key string, k *socket) {
	delete(m[key], k)
	if len(m[key]) == 0 {
		delete(m, key)
	}
}

func (h *hub) register(k *socket) {
	h.mu.Lock()
	if h.closed {
		k.stop()
	}
	add(h.byTopic, k.ch.Topic, k)
	add(h.byChannel, k.ch.Token, k)
	h.mu.Unlock()
}

func (h *hub) unregister(k *socket) {
	h.mu.Lock()
	remove(h.byTopic, k.ch.Topic, k)
	remove(h.byChannel, k.ch.Token, k)
	h.mu.Unlock()
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

// closeChannel closes every socket of an unsubscribed channel.
func (h *hub) closeChannel(token string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k := range h.byChannel[token] {
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
		for k := range ks {
			k.stop()
		}
	}
}

// serveSocket upgrades r and sends the channel's notifications until the
// client goes, sends anything (clients only listen: a data message closes
// the socket, StatusPolicyViolation), or its queue overflows.
func (s *Service) serveSocket(w http.ResponseWriter, r *http.Request, c *channel) {
	// The receiveFrom URL is the capability (no cookies are involved), and
	// apps on any origin connect to it: no Origin check.
	// The socket is registered before the handshake completes, so every
	// change committed after the client sees it open reaches it (queued
	// until the connection is ready).
	k := &socket{ch: c, opened: time.Now(), queue: make(chan []byte, s.queue), full: make(chan struct{})}
	s.hub.register(k)
	defer s.hub.unregister(k)
	s.connected(r.Context(), k) // notify:state (admit.go)
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	conn.SetReadLimit(1024)
	ctx := conn.CloseRead(context.WithoutCancel(r.Context()))
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				_ = conn.CloseNow()
				return
			}
		case <-k.full:
			_ = conn.Close(websocket.StatusPolicyViolation, "not reading, unsubscribed, or shutting down")
			return
		case msg := <-k.queue:
			wctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := conn.Write(wctx, websocket.MessageText, msg)
			cancel()
			if err != nil {
				_ = conn.CloseNow()
				return
			}
		}
	}
}
