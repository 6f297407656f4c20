package federation

import (
	"errors"
	"strings"
	"testing"
)

// The handle parser of the Fediverse page's "follow @name@host" (issue 15
// item 3): what people type, and hostile spellings (SECURITY row 41's
// first gate: nothing that is not a plain host reaches the fetcher).
func TestParseHandle(t *testing.T) {
	good := []struct{ in, user, host string }{
		{"@alice@example.org", "alice", "example.org"},
		{"alice@Example.ORG", "alice", "example.org"},
		{"acct:alice@example.org", "alice", "example.org"},
		{"@Alice_B.c-d@social.example.org", "Alice_B.c-d", "social.example.org"},
		{"@bob@127.0.0.1:8080", "bob", "127.0.0.1:8080"},
		{"@bob@[::1]:8080", "bob", "[::1]:8080"},
		{"@bob@localhost", "bob", "localhost"},
		{"@bob@xn--bcher-kva.example", "bob", "xn--bcher-kva.example"},
	}
	for _, c := range good {
		u, h, err := ParseHandle(c.in)
		if err != nil || u != c.user || h != c.host {
			t.Errorf("%q: %q %q %v", c.in, u, h, err)
		}
	}
	bad := []string{
		"", "@", "@@", "alice", "@alice", "@alice@", "@@example.org", "@alice@@example.org",
		"@alice@example.org@evil.example", "@al ice@example.org", "@alice@exa mple.org",
		"@alice@example.org/path", "@alice@example.org?q", "@alice@example.org#f",
		"@alice@user:pw@example.org", "@alice@example.org:0", "@alice@example.org:65536",
		"@alice@example.org:http", "@alice@example.org:", "@alice@-example.org", "@alice@example-.org",
		"@alice@example..org", "@alice@example", "@alice@::1", "@alice@bücher.example",
		"@<script>@example.org", "@alice\"onmouseover=x@example.org", "@al%69ce@example.org",
		"@alice@example.org\r\nHost: evil", "@alice@example.org\x00", "@al\u202eice@example.org",
		"@" + strings.Repeat("a", 65) + "@example.org", "@alice@" + strings.Repeat("a.", 200) + "org",
		"https://example.org/users/alice", "@alice@exa_mple.org", "@alice@[::1", "@alice@exam\\ple.org",
	}
	for _, in := range bad {
		if u, h, err := ParseHandle(in); !errors.Is(err, errBadRequest) {
			t.Errorf("%q accepted: %q %q %v", in, u, h, err)
		}
	}
}

// Remote display names are text for people: controls, bidirectional
// overrides and runs of spaces go, markup stays text (escaped by the
// page's template), length is bounded.
func TestPlainName(t *testing.T) {
	for in, want := range map[string]string{
		"Alice":                          "Alice",
		"  Alice \n\t B  ":               "Alice B",
		"<b>Alice</b><script>x</script>": "<b>Alice</b><script>x</script>",
		"Al\u202eice\u200f\x00\x1b":      "Alice",
		strings.Repeat("é", 300):         strings.Repeat("é", maxActorName),
	} {
		if got := PlainName(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
