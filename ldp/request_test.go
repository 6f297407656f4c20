package ldp

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSanitizeSlug(t *testing.T) {
	tests := []struct{ in, want string }{
		{"notes", "notes"},
		{"my notes.ttl", "my notes.ttl"},
		{"a/b", "a-b"},
		{"..", ""},
		{"../../etc", "-..-etc"},
		{".acl", "acl"},
		{"x.acl", "x"},
		{"x.meta.acl", "x"},
		{".hidden", "hidden"},
		{"a\x00b", "ab"},
		{"%2Fx", "-x"},
		{"caf%C3%A9", "café"},
		{"\x01\x02", ""},
	}
	for _, tc := range tests {
		got := sanitizeSlug(tc.in)
		if tc.want == "" {
			if len(got) != 16 {
				t.Errorf("sanitizeSlug(%q) = %q, want a random name", tc.in, got)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("sanitizeSlug(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := sanitizeSlug(strings.Repeat("é", 10000))
	if len(long) > maxSlugBytes || !strings.HasPrefix(long, "é") {
		t.Errorf("long slug not capped: %d bytes", len(long))
	}
}

func FuzzSanitizeSlug(f *testing.F) {
	for _, s := range []string{"a", "../x", ".acl", "a/b.meta", "%00", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, slug string) {
		name := sanitizeSlug(slug)
		if name == "" || len(name) > maxSlugBytes || strings.ContainsAny(name, "/\x00") ||
			strings.HasPrefix(name, ".") || hasAuxName(name) {
			t.Fatalf("sanitizeSlug(%q) = %q is unsafe", slug, name)
		}
		p, err := CanonicalPath("/" + EscapeSegment(name))
		if err != nil || p != "/"+EscapeSegment(name) {
			t.Fatalf("slug %q gives path %q, %v", slug, p, err)
		}
	})
}

func TestWantsContainer(t *testing.T) {
	tests := []struct {
		links []string
		want  bool
	}{
		{nil, false},
		{[]string{`<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"`}, true},
		{[]string{`<http://www.w3.org/ns/ldp#Container>; rel=type`}, true},
		{[]string{`<http://www.w3.org/ns/ldp#Resource>; rel="type"`}, false},
		{[]string{`<http://www.w3.org/ns/ldp#BasicContainer>; rel="describedby"`}, false},
		{[]string{`<http://www.w3.org/ns/ldp#Resource>; rel="type", <http://www.w3.org/ns/ldp#BasicContainer>; rel="type"`}, true},
	}
	for _, tc := range tests {
		if got := wantsContainer(tc.links); got != tc.want {
			t.Errorf("wantsContainer(%q) = %v, want %v", tc.links, got, tc.want)
		}
	}
}

func TestConditions(t *testing.T) {
	mod := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	cur := &Meta{Path: "/a", ETag: "abc", Modified: mod}
	before := mod.Add(-time.Hour).Format(timeFormat)
	after := mod.Add(time.Hour).Format(timeFormat)
	same := mod.Format(timeFormat)
	tests := []struct {
		name    string
		c       conditions
		cur     *Meta
		read    bool
		variant string
		want    error
	}{
		{"none", conditions{}, cur, false, "", nil},
		{"if-match hit", conditions{ifMatch: `"abc"`}, cur, false, "", nil},
		{"if-match variant hit on write", conditions{ifMatch: `"abc-jsonld"`}, cur, false, "", nil},
		{"if-match list", conditions{ifMatch: `"x", "abc"`}, cur, false, "", nil},
		{"if-match miss", conditions{ifMatch: `"x"`}, cur, false, "", ErrPreconditionFailed},
		{"if-match weak never", conditions{ifMatch: `W/"abc"`}, cur, false, "", ErrPreconditionFailed},
		{"if-match on missing", conditions{ifMatch: `"abc"`}, nil, false, "", ErrPreconditionFailed},
		{"if-match star on missing", conditions{ifMatch: `*`}, nil, false, "", ErrPreconditionFailed},
		{"if-match star", conditions{ifMatch: `*`}, cur, false, "", nil},
		{"if-none-match star existing", conditions{ifNoneMatch: `*`}, cur, false, "", ErrPreconditionFailed},
		{"if-none-match star missing", conditions{ifNoneMatch: `*`}, nil, false, "", nil},
		{"if-none-match read hit", conditions{ifNoneMatch: `"abc"`}, cur, true, "", ErrNotModified},
		{"if-none-match read weak hit", conditions{ifNoneMatch: `W/"abc"`}, cur, true, "", ErrNotModified},
		{"if-none-match read other variant", conditions{ifNoneMatch: `"abc"`}, cur, true, "-jsonld", nil},
		{"if-none-match read own variant", conditions{ifNoneMatch: `"abc-jsonld"`}, cur, true, "-jsonld", ErrNotModified},
		{"if-none-match write hit", conditions{ifNoneMatch: `"abc"`}, cur, false, "", ErrPreconditionFailed},
		{"if-modified-since not modified", conditions{ifModified: mustTime(same), hasModified: true}, cur, true, "", ErrNotModified},
		{"if-modified-since modified", conditions{ifModified: mustTime(before), hasModified: true}, cur, true, "", nil},
		{"if-modified-since ignored on write", conditions{ifModified: mustTime(after), hasModified: true}, cur, false, "", nil},
		{"if-unmodified-since ok", conditions{ifUnmodified: mustTime(same), hasUnmodified: true}, cur, false, "", nil},
		{"if-unmodified-since failed", conditions{ifUnmodified: mustTime(before), hasUnmodified: true}, cur, false, "", ErrPreconditionFailed},
		{"if-match beats if-unmodified-since", conditions{ifMatch: `"abc"`, ifUnmodified: mustTime(before), hasUnmodified: true}, cur, false, "", nil},
		{"if-none-match beats if-modified-since", conditions{ifNoneMatch: `"x"`, ifModified: mustTime(after), hasModified: true}, cur, true, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.c.evaluate(tc.cur, tc.read, tc.variant)
			if !errors.Is(got, tc.want) && !(got == nil && tc.want == nil) {
				t.Fatalf("evaluate = %v, want %v", got, tc.want)
			}
		})
	}
}

const timeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

func mustTime(s string) time.Time {
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNegotiateRDF(t *testing.T) {
	tests := []struct {
		accept, want string
		ok           bool
	}{
		{"", "text/turtle", true},
		{"*/*", "text/turtle", true},
		{"application/ld+json", "application/ld+json", true},
		{"application/n-triples", "application/n-triples", true},
		{"text/turtle;q=0.5, application/ld+json;q=0.9", "application/ld+json", true},
		{"application/ld+json;q=0, */*;q=0.1", "text/turtle", true},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/turtle", true},
		{"image/png", "", false},
		{"text/*", "text/turtle", true},
		{"garbage;;;", "text/turtle", true},
	}
	for _, tc := range tests {
		got, ok := negotiateRDF(tc.accept)
		if got != tc.want || ok != tc.ok {
			t.Errorf("negotiateRDF(%q) = %q, %v; want %q, %v", tc.accept, got, ok, tc.want, tc.ok)
		}
	}
	if !acceptsType("image/*", "image/png") || acceptsType("text/turtle", "image/png") || !acceptsType("", "x/y") {
		t.Error("acceptsType")
	}
}
