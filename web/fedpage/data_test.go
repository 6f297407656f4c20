package fedpage

import (
	"strings"
	"testing"
)

// Links from remote documents are shown only when http(s); labels of
// actor IRIs are text (escaped by the template).
func TestSafeLinkAndLabel(t *testing.T) {
	for iri, want := range map[string]string{
		"https://a.example/users/carl":             "https://a.example/users/carl",
		"http://127.0.0.1:8080/users/bob":          "http://127.0.0.1:8080/users/bob",
		"javascript:alert(1)":                      "",
		"JAVASCRIPT:alert(1)":                      "",
		"data:text/html,<script>alert(1)</script>": "",
		"vbscript:x":                               "",
		"//evil.example/x":                         "",
		"https://user:pw@a.example/x":              "",
		"/relative":                                "",
		"":                                         "",
	} {
		if got := safeLink(iri); got != want {
			t.Errorf("safeLink(%q) = %q, want %q", iri, got, want)
		}
	}
	for iri, want := range map[string]string{
		"https://a.example/users/carl":           "carl@a.example",
		"https://a.example/@carl":                "carl@a.example",
		"https://a.example/":                     "a.example",
		"https://a.example/u/%3Cb%3Ex%3C%2Fb%3E": "<b>x</b>@a.example",
		"https://a.example/u/a%E2%80%AEb":        "ab@a.example",
		"not a url":                              "not a url",
	} {
		if got := label(iri); got != want {
			t.Errorf("label(%q) = %q, want %q", iri, got, want)
		}
	}
}

// What the timeline says of each activity type, and that remote members
// it shows are text, links only http(s).
func TestTimelineEntry(t *testing.T) {
	self := "https://me.example/.ap/actors/alice"
	mine := func(iri string) bool { return strings.HasPrefix(iri, self+"/") }
	carl := "https://a.example/users/carl"
	cases := []struct {
		a    map[string]any
		verb string
		post bool
	}{
		{map[string]any{"type": "Create", "actor": carl, "object": map[string]any{"id": carl + "/n/1", "type": "Note", "content": "<p>hi</p>"}}, "posted", true},
		{map[string]any{"type": "Create", "actor": carl, "object": map[string]any{"id": carl + "/n/2", "type": "Note", "inReplyTo": self + "/objects/x"}}, "replied", true},
		{map[string]any{"type": "Create", "actor": carl, "object": map[string]any{"id": carl + "/n/3", "type": "Tombstone"}}, "deleted a post", false},
		{map[string]any{"type": "Like", "actor": carl, "object": self + "/objects/x"}, "liked", false},
		{map[string]any{"type": "Announce", "actor": carl, "object": "https://b.example/n/9"}, "boosted", false},
		{map[string]any{"type": "Follow", "actor": carl, "object": self}, "followed you", false},
		{map[string]any{"type": "Undo", "actor": carl, "object": map[string]any{"type": "Like"}}, "took back a Like", false},
		{map[string]any{"type": "Delete", "actor": carl, "object": carl}, "deleted their account", false},
		{map[string]any{"type": "Block", "actor": carl, "object": self}, "blocked you", false},
		{map[string]any{"type": "<script>", "actor": "javascript:alert(1)", "object": "javascript:alert(2)"}, "sent a <script>", false},
		{map[string]any{"type": 7, "actor": []any{1}, "object": map[string]any{"content": 5, "inReplyTo": "javascript:x"}}, "sent something", false},
	}
	for _, c := range cases {
		e := timelineEntry(c.a, mine, self)
		if e.Verb != c.verb || e.Post != c.post {
			t.Errorf("%v: verb %q post %v, want %q %v", c.a["type"], e.Verb, e.Post, c.verb, c.post)
		}
		for _, l := range []string{e.Actor, e.Object, e.ReplyTo} {
			if l != "" && safeLink(l) == "" {
				t.Errorf("%v: unsafe link %q kept", c.a["type"], l)
			}
		}
	}
	like := timelineEntry(map[string]any{"type": "Like", "actor": carl, "object": self + "/objects/x"}, mine, self)
	if like.ObjectLbl != "your post" || !like.Mine {
		t.Errorf("a like of the owner's post: %+v", like)
	}
}
