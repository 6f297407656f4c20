package server

import (
	"log/slog"

	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/notify"
)

// newNotify builds the Solid Notifications service (WebSocketChannel2023)
// on the store's kv.Channels and registers it as a consumer of the
// change-log feed (before feed.workers() is called).
func newNotify(store *badgerstore.Store, lh *ldp.Handler, feed *changeFeed, log *slog.Logger) (*notify.Service, error) {
	ch, err := store.KV(kv.Channels)
	if err != nil {
		return nil, err
	}
	svc, err := notify.New(notify.Config{LDP: lh, Channels: ch, Log: log.With("component", "notify")})
	if err != nil {
		return nil, err
	}
	feed.consumers = append(feed.consumers, svc)
	return svc, nil
}
