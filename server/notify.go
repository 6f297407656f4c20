package server

import (
	"context"
	"log/slog"

	"github.com/naamio/naamio/internal/safehttp"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/notify"
)

// newNotify builds the Solid Notifications service (WebSocketChannel2023)
// on the store's kv.Channels, its WebhookChannel2023 service (deliveries
// queued in kv.DeliveryQueue, sent through the SSRF-safe client,
// authenticated with tokens of the server's own OpenID Provider) and the
// legacy solid-0.1 sockets, and registers them as consumers of the
// change-log feed (before feed.workers() is called).
func newNotify(cfg Config, store *badgerstore.Store, lh *ldp.Handler, signer notify.Signer, feed *changeFeed, log *slog.Logger) (*notify.Service, *notify.Webhook, *notify.Legacy, error) {
	ch, err := store.KV(kv.Channels)
	if err != nil {
		return nil, nil, nil, err
	}
	// One bound for the sockets of both protocols.
	sockets := notify.NewSockets(cfg.MaxNotificationSockets)
	sockets.OnChange(128, func() { growMemoryLimit(sockets.Open()) })
	svc, err := notify.New(notify.Config{LDP: lh, Channels: ch, Sockets: sockets, Log: log.With("component", "notify")})
	if err != nil {
		return nil, nil, nil, err
	}
	queue, err := store.KV(kv.DeliveryQueue)
	if err != nil {
		return nil, nil, nil, err
	}
	// Receivers are reached only through the SSRF-safe client: https, or
	// a destination the operator allowed (--allow-fetch-addr); no
	// redirect is followed (a 3xx is a failed delivery).
	client := safehttp.New(safehttp.Options{
		Timeout: webhookTimeout, MaxRedirects: -1, AllowAddrPorts: cfg.AllowFetch,
		UserAgent: "naamio-webhook", Observe: observeFetch(cfg),
	})
	hook, err := notify.NewWebhook(context.Background(), svc, notify.WebhookConfig{
		Client: client.HTTPClient(), Permits: client.Permits, Signer: signer, Queue: queue,
		Timeout: webhookTimeout,
		Log:     log.With("component", "notify-webhook"),
	})
	if err != nil {
		return nil, nil, nil, err
	}
	legacy, err := notify.NewLegacy(notify.LegacyOptions{
		BaseURL: cfg.BaseURL, Locator: lh.Locator(), Access: lh,
		Sockets: sockets, Log: log.With("component", "notify-legacy"),
	})
	if err != nil {
		return nil, nil, nil, err
	}
	feed.consumers = append(feed.consumers, svc, hook, legacy)
	return svc, hook, legacy, nil
}

// webhookTimeout bounds one webhook delivery.
const webhookTimeout = notify.DefaultWebhookTimeout
