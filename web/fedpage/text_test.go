package fedpage

import (
	"strings"
	"testing"
)

// Remote post content is shown as text (issue 15 item 5: no stored XSS
// from federated content): markup never survives as markup, text does.
func TestTextFromHostileHTML(t *testing.T) {
	cases := []struct{ in, want string }{
		{`<p>Hello <a href="https://x.example/@a" class="u-url mention">@<span>a</span></a>!</p><p>Second<br>line</p>`, "Hello @a!\n\nSecond\nline"},
		{`<script>alert(1)</script>hi`, "hi"},
		{`<img src=x onerror=alert(1)>hi`, "hi"},
		{`<svg onload=alert(1)><script>alert(2)</script><text>in svg</text></svg>after`, "after"},
		{`<style>body{display:none}</style>shown`, "shown"},
		{`<iframe src="javascript:alert(1)">x</iframe>ok`, "ok"},
		{`&lt;script&gt;alert(1)&lt;/script&gt;`, "<script>alert(1)</script>"},
		{`<a href="javascript:alert(1)">click</a>`, "click"},
		{`<p>unclosed <b>bold`, "unclosed bold"},
		{"a\u202eb\x00c\x1bd", "abcd"},
		{`<template><p>hidden</p></template>seen`, "seen"},
		{`<textarea><script>x</script></textarea>z`, "z"},
		{`</p></div><p>  spaced   out  </p>`, "spaced out"},
		{`<noscript><img src=x></noscript>n`, "n"},
		{`<math><mi xlink:href="javascript:alert(1)">m</mi></math>m2`, "m2"},
		{``, ""},
	}
	for _, c := range cases {
		if got := Plain(c.in); got != c.want {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
	long := Plain("<p>" + strings.Repeat("ab ", 10000) + "</p>")
	if n := len([]rune(long)); n > maxTextRunes {
		t.Errorf("%d runes kept", n)
	}
	deep := Plain(strings.Repeat("<div>", 100000) + "deep")
	if deep != "deep" {
		t.Errorf("deep nesting: %q", deep)
	}
}
