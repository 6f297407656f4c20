package kv

import "testing"

func TestNamespaceValid(t *testing.T) {
	seen := map[Namespace]bool{}
	for _, ns := range Namespaces {
		if !ns.Valid() || len(ns) != 1 || seen[ns] {
			t.Errorf("namespace %q: valid=%v len=%d duplicate=%v", ns, ns.Valid(), len(ns), seen[ns])
		}
		seen[ns] = true
	}
	for _, bad := range []Namespace{"", "r", "c", "b", "l", "m", "g", "a/", "aa", "A"} {
		if bad.Valid() {
			t.Errorf("%q is valid, want not", bad)
		}
	}
}
