package pod_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/naamio/naamio/idp/pod"
)

func TestValidName(t *testing.T) {
	for _, name := range []string{"alice", "a", "bob-2", "0", "x1-y2", strings.Repeat("a", 63)} {
		if err := pod.ValidName(name); err != nil {
			t.Errorf("ValidName(%q) = %v", name, err)
		}
	}
	for _, name := range []string{
		"", strings.Repeat("a", 64), "Alice", "al ice", "al_ice", "al.ice", ".well-known", "-a", "a-",
		"xn--bcher-kva", "ab--c", "é", "a/b", "%41", "well-known", "account", "oidc", "naamio", "inbox",
		"profile", "admin", "api", "static", "assets", "www",
	} {
		if err := pod.ValidName(name); !errors.Is(err, pod.ErrInvalidName) {
			t.Errorf("ValidName(%q) = %v, want ErrInvalidName", name, err)
		}
	}
}
