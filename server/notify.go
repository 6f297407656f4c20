package server

import (
	"log/slog"

	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/notify"
)

// newNotify builds the Solid Notifications service (WebSocketChannel2023)
// on the store's kv.Channels and the legacy solid-0.1 sockets, and
// registers both as consumers of the change-log feed (before
// feed.workers() is called).
func newNotify(cfg Config, store *badgerstore.Store, lh *ldp.Handler, feed *changeFeed, log *slog.Logger) (*notify.Service, *notify.Legacy, error) {
	ch, err := store.KV(kv.Channels)
	if err != nil {
		return nil, nil, err
	}
	// One bound for the sockets of both protocols.
	sockets := notify.NewSockets(cfg.MaxNotificationSockets)
	sockets.OnChange(128, func() { growMemoryLimit(sockets.Open()) })
	svc, err := notify.New(notify.Config{LDP: lh, Channels: ch, Sockets: sockets, Log: log.With("component", "notify")})
	if err != nil {
		return nil, nil, err
	}
	legacy, err := notify.NewLegacy(notify.LegacyOptions{
		BaseURL: cfg.BaseURL, Locator: lh.Locator(), Access: lh,
		Sockets: sockets, Log: log.With("component", "notify-legacy"),
	})
	if err != nil {
		return nil, nil, err
	}
	feed.consumers = append(feed.consumers, svc, legacy)
	return svc, legacy, nil
}
