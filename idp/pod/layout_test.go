package pod_test

import (
	"testing"

	"github.com/naamio/naamio/idp/pod"
)

func TestPathLayout(t *testing.T) {
	var l pod.Layout = pod.PathLayout{}
	if p, iri := l.Root("https://example.org/solid/", "alice"); p != "/alice/" || iri != "https://example.org/solid/alice/" {
		t.Errorf("Root = %q, %q", p, iri)
	}
	for p, want := range map[string]string{"/alice/": "alice", "/alice": "", "/": "", "/a/b/": "", "/Alice/": "", "//": ""} {
		name, ok := l.PodOf(p)
		if name != want || ok != (want != "") {
			t.Errorf("PodOf(%q) = %q, %v", p, name, ok)
		}
	}
}
