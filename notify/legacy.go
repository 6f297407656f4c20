// The legacy solid-0.1 WebSocket protocol (github.com/solid/solid-spec,
// api-websockets.md) that SolidOS and rdflib's update manager still use.
// Every resource answer names the socket in its Updates-Via header; a
// client opens it (subprotocol solid-0.1), sends "sub <url>", gets
// "ack <url>", and then "pub <url>" after every committed change of that
// resource, and of every resource in it when the URL is a container, as
// the Community Solid Server does. The protocol has no authentication, so
// only resources the public may Read are served: the check runs before
// the ack and again before every pub, so an ACL change stops the pubs at
// once. Deliveries come from the change-log feed (Legacy is an
// event.Consumer), never from the write path.
package notify

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
)

// LegacyPath is where the solid-0.1 socket is served on the base host.
const LegacyPath = "/.notifications/solid-0.1"

// legacyProtocol is the WebSocket subprotocol of the legacy protocol.
const legacyProtocol = "solid-0.1"

// Limits of one legacy socket (SECURITY: bad input, issue 12 item 3).
const (
	// LegacyDefaultMaxSubs is the most resources one socket may subscribe
	// to; one more closes it. SolidOS subscribes to the few documents a
	// pane shows.
	LegacyDefaultMaxSubs = 1000
	// LegacyDefaultQueue is the most messages waiting to be written to one
	// socket; a client that lets it fill (it does not read) is closed.
	LegacyDefaultQueue = 64
	// legacyMaxLine is the longest message a client may send (a sub line
	// with a long URL fits); a longer one closes the socket.
	legacyMaxLine = 8 << 10
	// legacyMaxBad is how many unusable lines a socket may send (each
	// answered with a warning or an error) before it is closed.
	legacyMaxBad = 32
)

// LegacyAccess decides what the legacy protocol may reveal: whether an
// unauthenticated agent may Read the resource at iri (false when unsure).
// *ldp.Handler implements it.
type LegacyAccess interface {
	PublicMayRead(ctx context.Context, iri string) bool
}

// LegacyOptions configures NewLegacy.
type LegacyOptions struct {
	// BaseURL is the server's public base URL; the socket's URL
	// (Updates-Via) is built from it: ws:// for http, wss:// for https.
	BaseURL string
	// Locator maps the URLs clients subscribe to onto store paths.
	Locator *ldp.Locator
	// Access is asked before every ack and every pub.
	Access LegacyAccess
	// MaxSubs and Queue bound one socket (0: the defaults above).
	MaxSubs, Queue int
	// Log receives one line per socket closed for misbehaving (nil: none).
	Log *slog.Logger
	// Sockets bounds the open sockets server-wide (shared with the
	// WebSocketChannel2023 service); nil: no bound.
	Sockets *Sockets
}

// Legacy serves the solid-0.1 sockets (ServeHTTP) and feeds them from the
// change log (Handle).
type Legacy struct {
	base    *url.URL
	via     string
	loc     *ldp.Locator
	access  LegacyAccess
	maxSubs int
	queue   int
	log     *slog.Logger
	sockets *Sockets

	open atomic.Int64 // sockets being served

	mu    sync.RWMutex
	subs  map[string]map[*legacyConn]time.Time // store path → subscribed sockets, and when
	conns map[*legacyConn]struct{}             // every socket being served
}

var _ event.Consumer = (*Legacy)(nil)

// NewLegacy builds the legacy protocol's endpoint.
func NewLegacy(o LegacyOptions) (*Legacy, error) {
	base, err := url.Parse(o.BaseURL)
	if err != nil {
		return nil, err
	}
	via := *base
	via.Scheme = "ws"
	if base.Scheme == "https" {
		via.Scheme = "wss"
	}
	via.Path = strings.TrimSuffix(base.Path, "/") + LegacyPath
	via.RawPath, via.RawQuery, via.Fragment = "", "", ""
	l := &Legacy{
		base: base, via: via.String(), loc: o.Locator, access: o.Access,
		maxSubs: o.MaxSubs, queue: o.Queue, log: o.Log, sockets: o.Sockets,
		subs:  map[string]map[*legacyConn]time.Time{},
		conns: map[*legacyConn]struct{}{},
	}
	if l.maxSubs <= 0 {
		l.maxSubs = LegacyDefaultMaxSubs
	}
	if l.queue <= 0 {
		l.queue = LegacyDefaultQueue
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	return l, nil
}

// Open is the number of sockets being served.
func (l *Legacy) Open() int64 { return l.open.Load() }

// Shutdown closes every socket (going away); the server calls it when it
// shuts down, since hijacked connections are not its to close.
func (l *Legacy) Shutdown() {
	l.mu.RLock()
	defer l.mu.RUnlock()
	for c := range l.conns {
		c.close(websocket.StatusGoingAway, "server shutting down")
	}
}

// UpdatesVia is the socket's URL, the value of the Updates-Via header.
func (l *Legacy) UpdatesVia() string { return l.via }

// Advertise sets Updates-Via on every answer of next, as the reference
// server does on every resource answer.
func (l *Legacy) Advertise(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Updates-Via", l.via)
		next.ServeHTTP(w, r)
	})
}
