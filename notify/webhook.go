package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/naamio/naamio/kv"
)

// WebhookPath is the WebhookChannel2023 subscription service (the
// reference server's layout); each channel is WebhookPath + its token.
const WebhookPath = "/.notifications/WebhookChannel2023/"

// WebhookWebIDPath is the WebID the server delivers webhook notifications
// as (the reference server's layout): a document whose solid:oidcIssuer is
// the server, so a receiver verifies a delivery's token as a Solid
// resource server verifies any access token.
const WebhookWebIDPath = WebhookPath + "webId"

// Webhook defaults (README "Notifications").
const (
	// DefaultWebhookQueue is how many deliveries one channel keeps while its
	// receiver is failing; above it the oldest are dropped.
	DefaultWebhookQueue = 1000
	// DefaultWebhookSenders is the number of sender goroutines, whatever
	// the number of channels; one subscriber uses one at a time.
	DefaultWebhookSenders = 4
	// DefaultWebhookTimeout bounds one delivery (connect, send, answer).
	DefaultWebhookTimeout = 10 * time.Second
	// DefaultWebhookMinBackoff is the wait before the first retry; it
	// doubles with each failure up to DefaultWebhookMaxBackoff.
	DefaultWebhookMinBackoff = time.Second
	DefaultWebhookMaxBackoff = 15 * time.Minute
	// DefaultWebhookDropAfter: a channel whose receiver has failed every
	// delivery for this long (since its first failure, unbroken by a
	// success) is deleted with its queue.
	DefaultWebhookDropAfter = 6 * time.Hour
)

// Signer signs the access tokens of webhook deliveries with a key of the
// server's own JWKS (the OpenID Provider's, *op.Provider), so a receiver
// verifies them from the issuer's JWKS.
type Signer interface {
	// Issuer is the issuer URL (the iss of the tokens it signs).
	Issuer() string
	// SignJWT returns claims as a compact JWS with the given typ header.
	SignJWT(typ string, claims any) (string, error)
}

// WebhookConfig wires the WebhookChannel2023 service.
type WebhookConfig struct {
	// Client sends the deliveries. It must refuse internal addresses at
	// dial time and not follow redirects (the server passes the SSRF-safe
	// client of internal/safehttp). Required.
	Client *http.Client
	// Permits reports whether a sendTo may be subscribed to at all (https,
	// or a destination the operator allowed; no literal internal address),
	// without I/O. Required.
	Permits func(rawURL string) bool
	// Signer signs the deliveries' access tokens. Required.
	Signer Signer
	// Queue is kv.DeliveryQueue, where pending deliveries wait. Required.
	Queue kv.KV
	// Limits and timings; 0: the Default* values.
	MaxQueue               int
	Senders                int
	Timeout                time.Duration
	MinBackoff, MaxBackoff time.Duration
	DropAfter              time.Duration
	Log                    *slog.Logger
}

// Webhook is the WebhookChannel2023 subscription service, its WebID, the
// change-log consumer that queues notifications and the senders that
// deliver them. It shares the channel records and the per-agent limit of
// the WebSocket service it was made from.
type Webhook struct {
	svc     *Service
	client  *http.Client
	permits func(string) bool
	signer  Signer
	proof   proofKey
	queue   queueStore
	cfg     WebhookConfig
	log     *slog.Logger
	sched   scheduler
}

// NewWebhook builds the webhook service on s's channels and loads the
// queues a previous run left (they are sent once Run starts).
func NewWebhook(ctx context.Context, s *Service, cfg WebhookConfig) (*Webhook, error) {
	if s == nil || cfg.Client == nil || cfg.Permits == nil || cfg.Signer == nil || cfg.Queue == nil {
		return nil, errors.New("notify: webhook needs the service, Client, Permits, Signer and Queue")
	}
	pk, err := newProofKey()
	if err != nil {
		return nil, err
	}
	setDefault(&cfg.MaxQueue, DefaultWebhookQueue)
	setDefault(&cfg.Senders, DefaultWebhookSenders)
	setDefault(&cfg.Timeout, DefaultWebhookTimeout)
	setDefault(&cfg.MinBackoff, DefaultWebhookMinBackoff)
	setDefault(&cfg.MaxBackoff, DefaultWebhookMaxBackoff)
	setDefault(&cfg.DropAfter, DefaultWebhookDropAfter)
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Webhook{svc: s, client: cfg.Client, permits: cfg.Permits, signer: cfg.Signer, proof: pk,
		queue: queueStore{cfg.Queue}, cfg: cfg, log: log}
	h.sched.init(cfg.Senders)
	if err := h.load(ctx); err != nil {
		return nil, fmt.Errorf("notify: load webhook queues: %w", err)
	}
	return h, nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// webID is the IRI the server delivers as.
func (h *Webhook) webID() string { return h.svc.ldp.IRI(WebhookWebIDPath) }

// ServeHTTP serves WebhookPath, the channels under it and the WebID.
func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	if !strings.HasPrefix(p, WebhookPath) {
		http.NotFound(w, r)
		return
	}
	var err error
	switch token := strings.TrimPrefix(p, WebhookPath); token {
	case "":
		err = h.serveService(w, r)
	case "webId":
		err = h.serveWebID(w, r)
	default:
		err = h.serveChannel(w, r, token)
	}
	if err != nil {
		h.svc.fail(w, r, err)
	}
}

// serveService serves WebhookPath as the WebSocket service is served.
func (h *Webhook) serveService(w http.ResponseWriter, r *http.Request) error {
	return h.svc.serveSubscriptionService(w, r, WebhookPath, typeWebhook, h.subscribe)
}

// serveWebID serves the WebID deliveries are made as: its only statement
// is solid:oidcIssuer, the server's issuer, as the reference server's
// (Turtle; JSON-LD to a client that asks for it and not for Turtle).
func (h *Webhook) serveWebID(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return errMethod
	}
	ct := "text/turtle"
	body := "@prefix solid: <http://www.w3.org/ns/solid/terms#> .\n<" + h.webID() + "> solid:oidcIssuer <" + h.signer.Issuer() + "> .\n"
	if accept := r.Header.Get("Accept"); strings.Contains(accept, "application/ld+json") && !strings.Contains(accept, "text/turtle") {
		b, err := json.Marshal(map[string]any{
			"@id": h.webID(), "http://www.w3.org/ns/solid/terms#oidcIssuer": map[string]string{"@id": h.signer.Issuer()},
		})
		if err != nil {
			return err
		}
		ct, body = "application/ld+json", string(b)
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = io.WriteString(w, body)
	}
	return nil
}

// subscribe creates a webhook channel: as the WebSocket service's
// subscribe (Read on the topic, the per-agent limit, endAt), and its
// sendTo must be one the client may contact (SECURITY row 64).
func (h *Webhook) subscribe(w http.ResponseWriter, r *http.Request) error {
	s := h.svc
	req, err := readRequest(r, typeWebhook)
	if err != nil {
		return err
	}
	// A malformed request, like a non-https or literal internal sendTo,
	// is refused (422) before access is looked at: it says nothing of
	// the topic.
	if !h.permits(req.SendTo) {
		return fmt.Errorf("%w: sendTo must be an https URL of a public host", errUnprocessed)
	}
	c, ok, err := s.newChannel(w, r, req)
	if !ok || err != nil {
		return err
	}
	c.Secret, c.SendTo = newToken(), req.SendTo
	s.subMu.Lock()
	n, err := s.channels.count(r.Context(), c.Bucket)
	if err == nil && n >= s.max {
		err = fmt.Errorf("%w: %d channels", errTooMany, n)
	}
	if err == nil {
		err = putWebhook(r.Context(), s.channels.kv, c)
	}
	s.subMu.Unlock()
	if err != nil {
		return err
	}
	if err := h.sendState(r.Context(), c); err != nil {
		return err
	}
	return writeJSONLD(w, r, http.StatusOK, h.describe(c))
}

// sendState queues the channel's state notification (notify:state) at
// once: a webhook's receiver is as connected as it will ever be when the
// channel is made. It goes first in the channel's queue.
func (h *Webhook) sendState(ctx context.Context, c *channel) error {
	msg, ok := h.svc.stateNotification(ctx, c)
	if !ok {
		return nil
	}
	items := []queued{{token: c.Token, bucket: c.Bucket, seq: 0, Topic: c.Topic, Body: msg}}
	if err := h.queue.put(ctx, items); err != nil {
		return err
	}
	h.enqueued(ctx, items)
	h.svc.clearState(ctx, c)
	return nil
}

// describe is the channel description of the subscription response, as
// the reference server's: its id, type, topic, sendTo, endAt and the
// sender WebID.
func (h *Webhook) describe(c *channel) map[string]any {
	d := map[string]any{
		"@context": []string{ctxNotification},
		"id":       h.svc.ldp.IRI(WebhookPath + c.Token),
		"type":     typeWebhook,
		"topic":    h.svc.ldp.IRI(c.Topic),
		"sendTo":   c.SendTo,
		"sender":   h.webID(),
		"endAt":    c.EndAt.Format(time.RFC3339),
	}
	c.describeFeatures(d)
	return d
}

// serveChannel: DELETE unsubscribes (205; 404 once gone), as for the
// WebSocket channels: the channel's id is the capability.
func (h *Webhook) serveChannel(w http.ResponseWriter, r *http.Request, token string) error {
	c, err := h.svc.channels.get(r.Context(), token)
	if isNotFound(err) || (err == nil && c.Type != typeWebhook) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	if r.Method != http.MethodDelete {
		w.Header().Set("Allow", "DELETE")
		return errMethod
	}
	if err := h.remove(r.Context(), c); err != nil {
		return err
	}
	w.WriteHeader(http.StatusResetContent)
	return nil
}

// Keys of webhook channels in kv.Channels, beside channel.go's:
//
//	w/<topic>\x00<token>      the webhook channels of a topic (the feed
//	                          consumer's lookup), with the channel's TTL
const keyWebhookTopic = "w/"

func webhookTopicKey(c *channel) string { return keyWebhookTopic + c.Topic + "\x00" + c.Token }

// putWebhook stores c with its agent and topic index entries.
func putWebhook(ctx context.Context, kvs kv.KV, c *channel) error {
	if err := (channels{kvs}).put(ctx, c); err != nil {
		return err
	}
	return kvs.Put(ctx, webhookTopicKey(c), nil, time.Until(c.EndAt))
}

// remove deletes c, its index entries and its queue, and forgets its
// delivery state.
func (h *Webhook) remove(ctx context.Context, c *channel) error {
	if err := h.svc.channels.delete(ctx, c); err != nil {
		return err
	}
	if err := h.svc.channels.kv.Delete(ctx, webhookTopicKey(c)); err != nil {
		return err
	}
	h.sched.forget(c.Token)
	return h.queue.purge(ctx, c.Token)
}

// webhooksOn lists the live webhook channels on topic; index entries whose
// channel is gone are deleted.
func (h *Webhook) webhooksOn(ctx context.Context, topic string, seen map[string]*channel) ([]*channel, error) {
	var tokens []string
	prefix := keyWebhookTopic + topic + "\x00"
	err := h.svc.channels.kv.List(ctx, prefix, func(k string, _ []byte) error {
		tokens = append(tokens, strings.TrimPrefix(k, prefix))
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []*channel
	for _, t := range tokens {
		c, ok := seen[t]
		if !ok {
			c, err = h.svc.channels.get(ctx, t)
			if isNotFound(err) {
				_ = h.svc.channels.kv.Delete(ctx, prefix+t)
				seen[t] = nil
				continue
			}
			if err != nil {
				return nil, err
			}
			seen[t] = c
		}
		if c != nil {
			out = append(out, c)
		}
	}
	return out, nil
}
