package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
)

// StreamingHTTPChannel2023, as the reference server (7.2) serves it: every
// resource links its stream with rel RelStreaming; a GET of the stream
// (StreamPath + the topic's IRI, percent-encoded as a URI component) that
// has Read on the topic is answered 200 text/turtle and kept open; the
// first notification in it is the topic's current state (Update, or
// Delete when it does not exist), then one per change, each a complete
// Turtle document written and flushed at once. There is no subscription
// request, so no features.
//
// Unlike the reference server, Read is checked again before each
// notification, and a stream whose subscriber lost it is ended.

// StreamPath is where the streams are served.
const StreamPath = "/.notifications/StreamingHTTPChannel2023/"

// RelStreaming is the Link relation from a resource to its stream.
const RelStreaming = "http://www.w3.org/ns/solid/terms#updatesViaStreamingHttp2023"

// DefaultMaxStreams is the default per-agent limit on open streams (429
// above it). A browser holds at most six HTTP/1.1 connections per host,
// so an app rarely opens more than a few.
const DefaultMaxStreams = 50

// streamType is the media type of a stream.
const streamType = "text/turtle"

// StreamLinks returns ldp.Config.ResourceLinks for a server whose base
// URL is base: each resource's stream is on the base host, also for a
// subdomain pod's resources.
func StreamLinks(base string) func(iri string) string {
	prefix := strings.TrimSuffix(base, "/") + StreamPath
	return func(iri string) string {
		return `<` + prefix + encodeComponent(iri) + `>; rel="` + RelStreaming + `"`
	}
}

// encodeComponent percent-encodes s as ECMAScript's encodeURIComponent
// does (the reference server's stream URLs), so the IRI is one segment.
func encodeComponent(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// errShutdown: the server is shutting down (503).
var errShutdown = errors.New("notify: shutting down")

// stream is one open StreamingHTTPChannel2023 response. Notifications go
// through a bounded queue; when it is full the stream is ended, so a
// client that never reads holds at most Service.queue messages and never
// holds up the feed.
type stream struct {
	topic  string
	agent  acl.Agent
	bucket string
	opened time.Time
	queue  chan []byte
	done   chan struct{}
	once   sync.Once
}

func (k *stream) offer(msg []byte) {
	select {
	case k.queue <- msg:
	default:
		k.stop()
	}
}

func (k *stream) stop() { k.once.Do(func() { close(k.done) }) }

// streams indexes the open streams by topic and counts them per agent.
type streams struct {
	mu      sync.Mutex
	byTopic map[string]map[*stream]struct{}
	perAg   map[string]int
	max     int // per agent (Config.MaxStreams)
	closed  bool
}

// open registers k unless its agent has max streams open (errTooMany) or
// the server is shutting down (errShutdown).
func (h *streams) open(k *stream) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errShutdown
	}
	if h.perAg[k.bucket] >= h.max {
		return fmt.Errorf("%w: %d open streams", errTooMany, h.max)
	}
	if h.byTopic == nil {
		h.byTopic, h.perAg = map[string]map[*stream]struct{}{}, map[string]int{}
	}
	if h.byTopic[k.topic] == nil {
		h.byTopic[k.topic] = map[*stream]struct{}{}
	}
	h.byTopic[k.topic][k] = struct{}{}
	h.perAg[k.bucket]++
	return nil
}

func (h *streams) remove(k *stream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.byTopic[k.topic], k)
	if len(h.byTopic[k.topic]) == 0 {
		delete(h.byTopic, k.topic)
	}
	if h.perAg[k.bucket]--; h.perAg[k.bucket] <= 0 {
		delete(h.perAg, k.bucket)
	}
}

func (h *streams) on(topic string) []*stream {
	h.mu.Lock()
	defer h.mu.Unlock()
	ks := make([]*stream, 0, len(h.byTopic[topic]))
	for k := range h.byTopic[topic] {
		ks = append(ks, k)
	}
	return ks
}

// send gives n to the streams of topic opened before the change committed
// whose subscriber may still Read the topic; a stream whose subscriber
// may not is ended (Read is checked before each notification).
func (h *streams) send(ctx context.Context, lh *ldp.Handler, c event.Change, topic string, n notification) {
	ks := h.on(topic)
	if len(ks) == 0 {
		return
	}
	msg := turtleOf(n)
	for _, k := range ks {
		if c.Time.Before(k.opened) {
			continue
		}
		if !lh.MayRead(ctx, k.agent, topic) {
			k.stop()
			continue
		}
		k.offer(msg)
	}
}

// CloseStreams ends every open stream and refuses new ones: the server is
// shutting down (http.Server.RegisterOnShutdown), and Shutdown waits for
// open responses, so it must not wait for these.
func (s *Service) CloseStreams() {
	s.streams.mu.Lock()
	defer s.streams.mu.Unlock()
	s.streams.closed = true
	for _, ks := range s.streams.byTopic {
		for k := range ks {
			k.stop()
		}
	}
}

// serveStream answers a GET of a stream.
func (s *Service) serveStream(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		return errMethod
	}
	iri, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), StreamPath))
	if err != nil {
		return fmt.Errorf("%w: %v", errNotFound, err)
	}
	topic, ok := s.ldp.Locator().PathOf(iri)
	if !ok || strings.ContainsAny(iri, "?#") {
		return fmt.Errorf("%w: %s is not a resource of this server", errNotFound, iri)
	}
	// Read on the topic, as a GET of it: 401/403, no existence leak.
	ag, err := ldp.RequestAgent(r)
	if err != nil || !s.ldp.MayRead(r.Context(), ag, topic) {
		s.ldp.RefuseRead(w, r, topic)
		return nil
	}
	k := &stream{topic: topic, agent: ag, bucket: bucketOf(ag, r.RemoteAddr), opened: time.Now(),
		queue: make(chan []byte, s.queue), done: make(chan struct{})}
	if err := s.streams.open(k); err != nil {
		return err
	}
	defer s.streams.remove(k)
	hd := w.Header()
	hd.Set("Content-Type", streamType)
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Accel-Buffering", "no") // a buffering proxy would hold notifications back
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	// A write blocked on a client that does not read is cut short when
	// the stream is stopped (queue full, Read revoked, shutdown), not
	// only after writeTimeout.
	// An idle stream just returns, ending its response cleanly.
	var writing atomic.Bool
	finished, cutter := make(chan struct{}), make(chan struct{})
	defer func() {
		// The response ends cleanly: once the cutter is gone, the write
		// deadline it may have moved to the past is put back, so the
		// end of the chunked body still goes out.
		close(finished)
		<-cutter
		_ = rc.SetWriteDeadline(time.Now().Add(time.Second))
	}()
	go func() {
		defer close(cutter)
		select {
		case <-k.done:
			if writing.Load() {
				_ = rc.SetWriteDeadline(time.Now())
			}
		case <-finished:
		}
	}()
	write := func(msg []byte) bool {
		writing.Store(true)
		defer writing.Store(false)
		select {
		case <-k.done:
			return false
		default:
		}
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := w.Write(msg); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// The first notification is the topic's current state, as the
	// reference server sends it when a stream opens.
	if n, ok := s.current(r.Context(), topic); ok {
		if !write(turtleOf(n)) {
			return nil
		}
	} else if rc.Flush() != nil {
		return nil
	}
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-k.done:
			return nil // not reading, Read revoked, or shutting down
		case msg := <-k.queue:
			if !write(msg) {
				return nil
			}
		}
	}
}

// current is a notification of the topic's current state: Update with
// its state while it exists, Delete when it does not.
func (s *Service) current(ctx context.Context, topic string) (notification, bool) {
	etag, exists, err := s.ldp.State(ctx, topic)
	if err != nil {
		return notification{}, false
	}
	n := notification{Context: []string{ctxStreams, ctxNotification}, ID: "urn:naamio:state:" + newToken(),
		Type: "Update", Object: s.ldp.IRI(topic), State: etag, Published: time.Now().UTC().Format(time.RFC3339Nano)}
	if !exists {
		n.Type = "Delete"
	}
	return n, true
}

// turtleOf writes n as a Turtle document with full IRIs (the Activity
// Streams and notification terms its JSON-LD form expands to), so each
// notification in a stream can be parsed alone.
func turtleOf(n notification) []byte {
	const as, nt = "https://www.w3.org/ns/activitystreams#", "http://www.w3.org/ns/solid/notifications#"
	var b strings.Builder
	b.WriteString(turtleIRI(n.ID) + " a " + turtleIRI(as+n.Type) + " ;\n")
	b.WriteString("    " + turtleIRI(as+"object") + " " + turtleIRI(n.Object) + " ;\n")
	if n.Target != "" {
		b.WriteString("    " + turtleIRI(as+"target") + " " + turtleIRI(n.Target) + " ;\n")
	}
	if n.State != "" {
		b.WriteString("    " + turtleIRI(nt+"state") + " " + turtleString(n.State) + " ;\n")
	}
	b.WriteString("    " + turtleIRI(as+"published") + " " + turtleString(n.Published) + "^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n")
	return []byte(b.String())
}

// turtleIRI writes an IRIREF, escaping (UCHAR) what may not appear in one.
func turtleIRI(s string) string {
	var b strings.Builder
	b.WriteByte('<')
	for _, r := range s {
		if r <= 0x20 || strings.ContainsRune("<>\"{}|^`\\", r) {
			fmt.Fprintf(&b, "\\u%04X", r)
			continue
		}
		b.WriteRune(r)
	}
	b.WriteByte('>')
	return b.String()
}

// turtleString writes a STRING_LITERAL_QUOTE.
func turtleString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`)
	return `"` + r.Replace(s) + `"`
}
