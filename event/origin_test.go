package event

import "testing"

func TestChainOrigin(t *testing.T) {
	const a = "https://pod.example/alice/settings/modules/m.json#module"
	for _, tc := range []struct {
		origin string
		agent  string
		depth  int
	}{
		{ChainOrigin(a, 0), a, 0},
		{ChainOrigin(a, 1), a, 0},
		{ChainOrigin(a, 3), a, 3},
		{a + " x", a, 0},
		{a + " -4", a, 0},
		{a + " 1", a, 0},
		{OriginAnonymous, OriginAnonymous, 0},
		{"naamio:setup", "naamio:setup", 0},
		{"", "", 0},
	} {
		if agent, depth := SplitOrigin(tc.origin); agent != tc.agent || depth != tc.depth {
			t.Errorf("SplitOrigin(%q) = %q, %d; want %q, %d", tc.origin, agent, depth, tc.agent, tc.depth)
		}
	}
	if ChainOrigin(a, 1) != a {
		t.Error("depth 1 is the agent alone")
	}
}
