package federation

import "context"

// outboxEffects records the local effects of an activity the owner posted
// (relations: following, followers, blocks).
func (s *Service) outboxEffects(ctx context.Context, pod string, n *normalised) error {
	return nil
}

// pendingFollow finds a Follow waiting for the owner's Accept or Reject.
func (s *Service) pendingFollow(ctx context.Context, pod string) func(string) (map[string]any, bool, error) {
	return nil
}
