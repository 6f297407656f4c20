package notify

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/ldp"
)

var _ event.Consumer = (*Service)(nil)

// Name is the service's durable name on the change-log feed.
func (s *Service) Name() string { return "notify-websocket" }

// notification is an Activity Streams notification (notifications-protocol
// notification-sender-notification-message-data-model).
type notification struct {
	Context   []string `json:"@context"`
	ID        string   `json:"id"`
	Type      string   `json:"type"`
	Object    string   `json:"object"`
	Target    string   `json:"target,omitempty"`
	State     string   `json:"state,omitempty"`
	Published string   `json:"published"`
}

// Handle sends each change to the sockets of its topic (Create, Update,
// Delete) and of its container (Add, Remove with target). Sending never
// blocks (bounded queues), so Handle never fails; WebSocket delivery is to
// the sockets open at the time, which is what a live socket can get.
func (s *Service) Handle(ctx context.Context, cs []event.Change) error {
	for _, c := range cs {
		object := s.ldp.IRI(c.Path)
		s.send(ctx, c, c.Path, notification{Type: string(c.Kind), Object: object, State: c.ETag})
		kind, _ := ldp.Auxiliary(c.Path)
		parent := ldp.Parent(c.Path)
		if kind != ldp.NotAux || parent == "" {
			continue
		}
		n := notification{Object: object, Target: s.ldp.IRI(parent)}
		switch c.Kind {
		case event.Create:
			n.Type = "Add"
		case event.Delete:
			n.Type = "Remove"
		default:
			continue
		}
		s.send(ctx, c, parent, n)
	}
	return nil
}

// stamp gives n its context, id and time. The same change gives the same
// id when the feed offers it again.
func stamp(c event.Change, n *notification) {
	n.Context = []string{ctxStreams, ctxNotification}
	n.ID = "urn:naamio:change:" + strconv.FormatUint(c.Seq, 10) + ":" + n.Type
	n.Published = c.Time.UTC().Format(time.RFC3339Nano)
}

// send gives n to every socket on topic opened before the change
// committed whose subscriber may still Read the topic (checked at each
// send: an ACL change stops notifications at once).
func (s *Service) send(ctx context.Context, c event.Change, topic string, n notification) {
	stamp(c, &n)
	s.streams.send(ctx, s.ldp, c, topic, n) // StreamingHTTPChannel2023 (stream.go)
	ks := s.hub.on(topic)
	if len(ks) == 0 {
		return
	}
	msg, err := json.Marshal(n)
	if err != nil {
		return
	}
	now := time.Now()
	for _, k := range ks {
		if k.ch.expired(now) {
			k.stop() // the channel expired (notify:endAt)
			continue
		}
		if c.Time.Before(k.opened) {
			continue // committed before the socket opened
		}
		if !s.ldp.MayRead(ctx, k.ch.agent(), topic) {
			continue
		}
		if !k.ch.admit(&s.rate, now) {
			continue // before startAt, or within the rate (admit.go)
		}
		k.offer(msg)
	}
}
