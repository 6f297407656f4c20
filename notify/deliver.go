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

// Handle sends each change to the sockets and streams of its topic
// (Create, Update, Delete) and of its container (Add, Remove with
// target). Sending never blocks (bounded queues), so Handle never fails;
// live delivery is to the sockets open at the time, which is what a live
// socket can get.
func (s *Service) Handle(ctx context.Context, cs []event.Change) error {
	for _, c := range cs {
		for _, tn := range notesOf(s.ldp, c) {
			s.send(ctx, c, tn.topic, tn.n)
		}
	}
	return nil
}

// topicNote is one notification and the topic whose channels get it.
type topicNote struct {
	topic string
	n     notification
}

// notesOf is what change c notifies, for every channel type: Create,
// Update or Delete to the channels of the resource, Add or Remove (with
// target) to those of its container (notifications-protocol
// notification-sender-notification-message-data-model).
func notesOf(l *ldp.Handler, c event.Change) []topicNote {
	object := l.IRI(c.Path)
	out := []topicNote{{c.Path, notification{Type: string(c.Kind), Object: object, State: c.ETag}}}
	kind, _ := ldp.Auxiliary(c.Path)
	if parent := ldp.Parent(c.Path); kind == ldp.NotAux && parent != "" {
		n := notification{Object: object, Target: l.IRI(parent)}
		switch c.Kind {
		case event.Create:
			n.Type = "Add"
		case event.Delete:
			n.Type = "Remove"
		}
		if n.Type != "" {
			out = append(out, topicNote{parent, n})
		}
	}
	for i := range out {
		stamp(c, &out[i].n)
	}
	return out
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
