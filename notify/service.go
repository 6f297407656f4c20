package notify

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
)

// ServicePath is the WebSocketChannel2023 subscription service (the
// reference server's layout); each channel is ServicePath + its token,
// and the same path with ws(s) is its receiveFrom.
const ServicePath = "/.notifications/WebSocketChannel2023/"

// DefaultMaxPerAgent is the default per-agent channel limit (issue 12
// item 3: well above what one app opens).
const DefaultMaxPerAgent = 500

// DefaultMaxDuration is how long a channel lives: as the reference
// server's default maximum (two weeks), after which an app subscribes
// again. It keeps channels that apps never delete from filling the
// per-agent limit for good.
const DefaultMaxDuration = 14 * 24 * time.Hour

// DefaultQueue is the default send queue of one socket, in notifications.
const DefaultQueue = 64

// Config wires a Service.
type Config struct {
	// LDP decides access and maps IRIs to paths. Required.
	LDP *ldp.Handler
	// Channels is kv.Channels. Required.
	Channels kv.KV
	// MaxPerAgent caps one agent's channels (429 above it); 0: default.
	MaxPerAgent int
	// Queue is each socket's send queue; a socket whose queue is full is
	// closed (a client that never reads holds no more than this). 0: default.
	Queue int
	// MaxDuration is a channel's lifetime (notify:endAt of the channel);
	// 0: DefaultMaxDuration.
	MaxDuration time.Duration
	// Sockets bounds the open sockets server-wide (shared with the
	// solid-0.1 endpoint); nil: no bound.
	Sockets *Sockets
	Log     *slog.Logger

	// MaxStreams caps one agent's open StreamingHTTPChannel2023 streams
	// (429 above it); 0: DefaultMaxStreams.
	MaxStreams int
}

// Service is the WebSocketChannel2023 subscription service, its
// channels' sockets, and the change-log consumer feeding them.
type Service struct {
	ldp      *ldp.Handler
	channels channels
	max      int
	queue    int
	life     time.Duration
	log      *slog.Logger
	hub      hub
	rate     rateGate // notify:rate (admit.go)
	streams  streams  // StreamingHTTPChannel2023 (stream.go)
	sockets  *Sockets
	subMu    sync.Mutex // count-then-put of the per-agent limit
}

// Sockets is the bound the service counts its sockets against (nil: none);
// the server's metrics read its Open.
func (s *Service) Sockets() *Sockets { return s.sockets }

// New builds the service.
func New(cfg Config) (*Service, error) {
	if cfg.LDP == nil || cfg.Channels == nil {
		return nil, errors.New("notify: LDP handler and Channels are required")
	}
	s := &Service{ldp: cfg.LDP, channels: channels{cfg.Channels}, max: cfg.MaxPerAgent, queue: cfg.Queue, life: cfg.MaxDuration, log: cfg.Log, sockets: cfg.Sockets}
	if s.max <= 0 {
		s.max = DefaultMaxPerAgent
	}
	if s.life <= 0 {
		s.life = DefaultMaxDuration
	}
	if s.queue <= 0 {
		s.queue = DefaultQueue
	}
	if s.streams.max = cfg.MaxStreams; s.streams.max <= 0 {
		s.streams.max = DefaultMaxStreams
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.hub.init()
	return s, nil
}

// Services lists the subscription services for the storage description
// (ldp.Config.Subscriptions) of a server whose root IRI is base.
func Services(base string) []ldp.SubscriptionService {
	return []ldp.SubscriptionService{{
		IRI:         strings.TrimSuffix(base, "/") + ServicePath,
		ChannelType: typeWebSocket,
		Features:    featureIRIs(),
	}, {
		IRI:         strings.TrimSuffix(base, "/") + WebhookPath,
		ChannelType: typeWebhook,
		Features:    featureIRIs(),
	}}
}

// ServeHTTP serves ServicePath and the channels under it, GatewayPath,
// and the streams under StreamPath.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	if strings.HasPrefix(p, GatewayPath) { // gateway.go
		if err := s.serveGateway(w, r, p); err != nil {
			s.fail(w, r, err)
		}
		return
	}
	if strings.HasPrefix(p, StreamPath) { // stream.go
		if err := s.serveStream(w, r); err != nil {
			s.fail(w, r, err)
		}
		return
	}
	if !strings.HasPrefix(p, ServicePath) {
		http.NotFound(w, r)
		return
	}
	token := strings.TrimPrefix(p, ServicePath)
	var err error
	if token == "" {
		err = s.serveService(w, r)
	} else {
		err = s.serveChannel(w, r, token)
	}
	if err != nil {
		s.fail(w, r, err)
	}
}

// serveService serves ServicePath.
func (s *Service) serveService(w http.ResponseWriter, r *http.Request) error {
	return s.serveSubscriptionService(w, r, ServicePath, typeWebSocket, s.subscribe)
}

// serveSubscriptionService answers a subscription service of channel type
// typ at path: notifications-protocol
// subscription-server-subscription-request-methods (GET, HEAD, OPTIONS,
// POST; the description lists the features), POST subscribing.
func (s *Service) serveSubscriptionService(w http.ResponseWriter, r *http.Request, path, typ string,
	subscribe func(http.ResponseWriter, *http.Request) error) error {
	w.Header().Set("Allow", "OPTIONS, HEAD, GET, POST")
	switch r.Method {
	case http.MethodOptions:
		w.Header().Set("Accept-Post", "application/ld+json")
		w.WriteHeader(http.StatusNoContent)
		return nil
	case http.MethodGet, http.MethodHead:
		return writeJSONLD(w, r, http.StatusOK, map[string]any{
			"@context":    []string{ctxNotification},
			"id":          s.ldp.IRI(path),
			"channelType": typ,
			"feature":     featureNames,
		})
	case http.MethodPost:
		return subscribe(w, r)
	}
	return errMethod
}

// subscribe creates a channel (notifications-protocol
// subscription-server-subscription-response).
func (s *Service) subscribe(w http.ResponseWriter, r *http.Request) error {
	req, err := readRequest(r, typeWebSocket)
	if err != nil {
		return err
	}
	c, ok, err := s.newChannel(w, r, req)
	if !ok || err != nil {
		return err
	}
	c.Secret = newToken()
	s.subMu.Lock()
	n, err := s.channels.count(r.Context(), c.Bucket)
	if err == nil && n >= s.max {
		err = fmt.Errorf("%w: %d channels", errTooMany, n)
	}
	if err == nil {
		err = s.channels.put(r.Context(), c)
	}
	s.subMu.Unlock()
	if err != nil {
		return err
	}
	return writeJSONLD(w, r, http.StatusOK, s.describe(r, c))
}

// readRequest reads a channel request for a service of type want
// (subscription-server-subscription-request-content-type; 400, 413,
// 415, 422).
func readRequest(r *http.Request, want string) (channelRequest, error) {
	if err := checkMediaType(r.Header.Get("Content-Type")); err != nil {
		return channelRequest{}, err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequest+1))
	if err != nil {
		return channelRequest{}, fmt.Errorf("%w: %v", errBadRequest, err)
	}
	if len(body) > maxRequest {
		return channelRequest{}, errTooLarge
	}
	return parseRequest(body, want)
}

// newChannel makes the channel a valid request asks for, owned by the
// request's agent, with its features. Subscribing needs Read on the
// topic: without it the request is answered 401/403 as a GET would be,
// decided without looking at whether the topic exists (no leak), and ok
// is false.
func (s *Service) newChannel(w http.ResponseWriter, r *http.Request, req channelRequest) (c *channel, ok bool, err error) {
	topic, found := s.ldp.Locator().PathOf(req.Topic)
	if !found {
		return nil, false, fmt.Errorf("%w: topic %s is not on this server", errUnprocessed, req.Topic)
	}
	ag, err := ldp.RequestAgent(r)
	if err != nil || !s.ldp.MayRead(r.Context(), ag, topic) {
		s.ldp.RefuseRead(w, r, topic)
		return nil, false, nil
	}
	now := time.Now().UTC()
	c = &channel{Token: newToken(), Type: req.Type, Topic: topic, WebID: ag.WebID, Client: ag.Client,
		Origin: ag.Origin, Authed: ag.Authenticated, Created: now, EndAt: now.Add(s.life),
		Bucket: bucketOf(ag, r.RemoteAddr)}
	if req.Type == typeWebSocket {
		c.Type = "" // as records before other types existed
	}
	c.withFeatures(req.Features)
	return c, true, nil
}

// describe is the channel description of the subscription response.
func (s *Service) describe(r *http.Request, c *channel) map[string]any {
	id := s.ldp.IRI(ServicePath + c.Token)
	d := map[string]any{
		"@context":    []string{ctxNotification},
		"id":          id,
		"type":        typeWebSocket,
		"topic":       s.ldp.IRI(c.Topic),
		"receiveFrom": "ws" + strings.TrimPrefix(id, "http") + "?auth=" + c.Secret,
		"endAt":       c.EndAt.Format(time.RFC3339),
	}
	c.describeFeatures(d)
	return d
}

// serveChannel: a WebSocket upgrade with the channel's secret opens its
// socket; DELETE unsubscribes. The channel id (256 random bits, given
// only to the subscriber) is the capability to unsubscribe, as in the
// reference server; there is no GET of a channel, which would hand the
// secret to whoever saw its id.
func (s *Service) serveChannel(w http.ResponseWriter, r *http.Request, token string) error {
	c, err := s.channels.get(r.Context(), token)
	if isNotFound(err) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	if c.Type != "" && c.Type != typeWebSocket {
		return errNotFound // another type's channel (webhook.go)
	}
	switch {
	case r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket"):
		if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("auth")), []byte(c.Secret)) != 1 {
			return errNotFound
		}
		s.serveSocket(w, r, c)
		return nil
	case r.Method == http.MethodDelete:
		// As the reference server: whoever holds the channel's id may
		// delete it (205 Reset Content; 404 once it is gone).
		if err := s.channels.delete(r.Context(), c); err != nil {
			return err
		}
		s.hub.closeChannel(c.Token)
		s.rate.forget(c.Token)
		w.WriteHeader(http.StatusResetContent)
		return nil
	}
	w.Header().Set("Allow", "DELETE")
	return errMethod
}

func writeJSONLD(w http.ResponseWriter, r *http.Request, code int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/ld+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
	return nil
}

// statusFor is the one error-to-status mapping of notify.
func statusFor(err error) int {
	switch {
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, errMediaType):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, errUnprocessed):
		return http.StatusUnprocessableEntity
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errTooMany):
		return http.StatusTooManyRequests
	case errors.Is(err, errNotFound):
		return http.StatusNotFound
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed
	case errors.Is(err, errShutdown):
		return http.StatusServiceUnavailable
	case errors.Is(err, kv.ErrInsufficientStorage):
		return http.StatusInsufficientStorage
	}
	return http.StatusInternalServerError
}

func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := statusFor(err)
	msg := http.StatusText(code)
	if code >= 500 {
		s.log.ErrorContext(r.Context(), "notifications request failed", "method", r.Method, "path", r.URL.EscapedPath(), "status", code, "err", err)
	} else {
		msg = err.Error()
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg + "\n"))
}
