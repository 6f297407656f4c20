package federation

import (
	"context"
	"fmt"

	"github.com/naamio/naamio/federation/deliver"
)

// errNoDelivery: the service was built without a Deliverer.
var errNoDelivery = fmt.Errorf("federation: no delivery queue configured")

// send queues activity (a JSON object) from pod's actor to inboxes, signed
// with the pod's key when delivered. key, when set, makes the call
// idempotent (deliver.Post.Key): pass the activity's id or the change's
// Seq, so that a re-run after a crash does not send twice. Inboxes are
// deduplicated by the queue; none is not an error.
func (s *Service) send(ctx context.Context, pod string, activity []byte, inboxes []string, key string) error {
	if len(inboxes) == 0 {
		return nil
	}
	if s.cfg.Deliver == nil {
		return errNoDelivery
	}
	if !validPodName(pod) {
		return fmt.Errorf("federation: send from %q: not a pod name", pod)
	}
	_, err := s.cfg.Deliver.Enqueue(ctx, deliver.Post{Key: key, Sender: pod, Body: activity, Inboxes: inboxes})
	return err
}

// Deliverer is the service's delivery queue (nil when it has none); the
// server runs its Run as a worker.
func (s *Service) Deliverer() *deliver.Deliverer { return s.cfg.Deliver }

// Relations is the pods' social graph.
func (s *Service) Relations() *Relations { return s.cfg.Relations }
