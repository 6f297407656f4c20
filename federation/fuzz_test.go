package federation

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzPathsParse: Parse never panics, and what it accepts is exactly what
// the layout builds.
func FuzzPathsParse(f *testing.F) {
	p := testPaths(f, "https://example.org/base/")
	for _, s := range []string{"/base/.ap/actors/alice", "/base/.ap/actors/alice/objects/x_1", "/base/.ap/inbox",
		"/base/.ap/actors/a/outbox", "/.ap/actors/alice", "/base/.ap/actors/%2e%2e", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, ok := p.Parse(s)
		if !ok {
			return
		}
		var built string
		switch r.Kind {
		case KindActor:
			built = p.Actor(r.Pod)
		case KindOutbox:
			built = p.Outbox(r.Pod)
		case KindFollowers:
			built = p.Followers(r.Pod)
		case KindFollowing:
			built = p.Following(r.Pod)
		case KindObject:
			built = p.Object(r.Pod, r.ID)
		case KindActivity:
			built = p.Activity(r.Pod, r.ID)
		case KindSharedInbox:
			built = p.SharedInbox()
		default:
			t.Fatalf("kind %v", r.Kind)
		}
		if built != "https://example.org"+s {
			t.Errorf("Parse(%q) = %+v, which builds %q", s, r, built)
		}
	})
}

// FuzzWebFingerResource: the resource parser never panics and only ever
// names a well-formed pod.
func FuzzWebFingerResource(f *testing.F) {
	s := &Service{cfg: Config{Paths: testPaths(f, "https://example.org/")}}
	for _, r := range []string{"acct:alice@example.org", "acct:%41@example.org", "alice@example.org",
		"acct:a@b@example.org", "acct:@example.org", "ACCT:x@EXAMPLE.ORG:443", "mailto:a@b", ":", "acct:"} {
		f.Add(r)
	}
	f.Fuzz(func(t *testing.T, res string) {
		if strings.HasPrefix(strings.ToLower(res), "http") {
			return // the IRI branch needs a locator and a registry (TestWebFingerBadResource)
		}
		name, err := s.resourcePod(res)
		if err == nil && !validPodName(name) {
			t.Errorf("resourcePod(%q) = %q", res, name)
		}
	})
}

// FuzzPlainText: sanitised text is valid UTF-8, within its cap, without
// control characters, and a name without angle brackets.
func FuzzPlainText(f *testing.F) {
	for _, s := range []string{"<script>x</script>", "&lt;b&gt;", "a\u202eb", strings.Repeat("é", 300), "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, multi := range []bool{false, true} {
			out := plainText(s, 50, multi)
			if !utf8.ValidString(out) || utf8.RuneCountInString(out) > 50 {
				t.Errorf("plainText(%q) = %q", s, out)
			}
			for _, r := range out {
				if (r < 0x20 && r != '\n') || r == 0x7f || bidiControl(r) || (!multi && (r == '<' || r == '>' || r == '\n')) {
					t.Errorf("plainText(%q, %v) kept %U", s, multi, r)
				}
			}
		}
	})
}
