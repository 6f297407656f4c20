package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/naamio/naamio/kv"
)

// Settings is how a pod's actor presents itself, kept in kv.Federation
// under actor/<pod>. The zero value is the default: an unlocked account
// (Follow requests are accepted at once) that is discoverable.
type Settings struct {
	// Locked: Follow requests wait for the owner's Accept or Reject
	// (manuallyApprovesFollowers).
	Locked bool `json:"locked,omitempty"`
	// Hidden: the actor asks peers not to list it in directories
	// (discoverable false).
	Hidden bool `json:"hidden,omitempty"`
}

func settingsKey(pod string) string { return "actor/" + pod }

// LoadSettings reads pod's settings; none stored is the zero value.
func LoadSettings(ctx context.Context, records kv.KV, pod string) (Settings, error) {
	var s Settings
	b, err := records.Get(ctx, settingsKey(pod))
	switch {
	case errors.Is(err, kv.ErrNotFound):
		return s, nil
	case err != nil:
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("federation: settings of %s: %w", pod, err)
	}
	return s, nil
}

// SaveSettings stores pod's settings.
func SaveSettings(ctx context.Context, records kv.KV, pod string, s Settings) error {
	if !validPodName(pod) {
		return fmt.Errorf("federation: %q is not a pod name", pod)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return records.Put(ctx, settingsKey(pod), b, 0)
}

// PodSettings reads pod's settings (the Fediverse page shows them).
func (s *Service) PodSettings(ctx context.Context, pod string) (Settings, error) {
	if !validPodName(pod) {
		return Settings{}, fmt.Errorf("%w: %q is not a pod name", errBadRequest, pod)
	}
	return LoadSettings(ctx, s.cfg.Records, pod)
}

// SetPodSettings stores pod's settings; the actor document shows them at
// once (manuallyApprovesFollowers, discoverable), the next Follow is
// answered by them, and the followers' servers get an Update of the actor
// (updateActor).
func (s *Service) SetPodSettings(ctx context.Context, pod string, set Settings) error {
	if err := SaveSettings(ctx, s.cfg.Records, pod, set); err != nil {
		return err
	}
	return s.updateActor(ctx, pod, true)
}
