package federation

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Bad input for the activity reader (SECURITY row 42 of issue 14 and the
// members every activity needs).
func TestParseActivityBadInput(t *testing.T) {
	many := make([]string, MaxRecipients+1)
	for i := range many {
		many[i] = fmt.Sprintf(`"https://x.example/%d"`, i)
	}
	const ok = `"id":"https://p.example/a/1","type":"Like","actor":"https://p.example/u"`
	for _, c := range []struct{ name, body string }{
		{"empty", ``},
		{"array", `[]`},
		{"null", `null`},
		{"string", `"x"`},
		{"two objects", `{` + ok + `}{}`},
		{"no type", `{"id":"https://p.example/a/1","actor":"https://p.example/u"}`},
		{"no id", `{"type":"Like","actor":"https://p.example/u"}`},
		{"relative id", `{"id":"/a/1","type":"Like","actor":"https://p.example/u"}`},
		{"no actor", `{"id":"https://p.example/a/1","type":"Like"}`},
		{"actor not http", `{"id":"https://p.example/a/1","type":"Like","actor":"javascript:alert(1)"}`},
		{"actor with userinfo", `{"id":"https://p.example/a/1","type":"Like","actor":"https://u:p@p.example/u"}`},
		{"Row42_depth", `{` + ok + `,"object":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`},
		{"Row42_depth_in_object", `{` + ok + `,"object":` + strings.Repeat(`{"a":`, MaxJSONDepth) + `1` + strings.Repeat(`}`, MaxJSONDepth) + `}`},
		{"Row42_recipients", `{` + ok + `,"to":[` + strings.Join(many, ",") + `]}`},
		{"Row42_recipients_split", `{` + ok + `,"to":[` + strings.Join(many[:600], ",") + `],"object":{"id":"https://p.example/n","cc":[` + strings.Join(many[600:], ",") + `]}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := parseActivity([]byte(c.body)); !errors.Is(err, errBadRequest) {
				t.Fatalf("err %v, want errBadRequest", err)
			}
		})
	}
	// Tolerated: extra members, a remote @context (never fetched), a
	// Linked Data signature, a type and actor given as arrays, brackets
	// inside strings (not nesting).
	a, err := parseActivity([]byte(`{"@context":["https://www.w3.org/ns/activitystreams","https://remote.example/ctx.jsonld"],` +
		`"id":"https://p.example/a/1","type":["Like"],"actor":[{"id":"https://p.example/u"}],"object":"https://h/x",` +
		`"signature":{"type":"RsaSignature2017","signatureValue":"..."},"content":"` + strings.Repeat("[{", 500) + `"}`))
	if err != nil || a.Type != "Like" || a.Actor != "https://p.example/u" || a.Object != "https://h/x" {
		t.Fatalf("%+v %v", a, err)
	}
}

func TestJSONDepth(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{`1`, 0}, {`{}`, 1}, {`[[]]`, 2}, {`{"a":[{"b":1}]}`, 3}, {`{"a":"[[[[\"]]"}`, 1}, {`{"a":"\\"}`, 1},
	} {
		if got := jsonDepth([]byte(c.in), 100); got != c.want {
			t.Errorf("jsonDepth(%s) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestSignerDomain(t *testing.T) {
	for _, c := range []struct{ sig, input, want string }{
		{`keyId="https://Mastodon.example/users/a#main-key",algorithm="rsa-sha256"`, "", "mastodon.example"},
		{"", `sig1=("@method");keyid="https://f.example:8443/u#k"`, "f.example:8443"},
		{`keyId="not a url"`, "", "?"},
		{`headers="date"`, "", ""},
		{"", "", ""},
	} {
		h := http.Header{}
		if c.sig != "" {
			h.Set("Signature", c.sig)
		}
		if c.input != "" {
			h.Set("Signature-Input", c.input)
		}
		if got := signerDomain(h); got != c.want {
			t.Errorf("signerDomain(%q, %q) = %q, want %q", c.sig, c.input, got, c.want)
		}
	}
}

// SECURITY row 43: one domain's bucket empties, another's does not; the
// limiter keeps at most its bound of domains.
func TestDomainLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newDomainLimiter(10, 5, 100)
	l.now = func() time.Time { return now }
	for i := range 5 {
		if !l.allow("flood.example") {
			t.Fatalf("request %d refused within the burst", i)
		}
	}
	if l.allow("flood.example") {
		t.Fatal("flood not limited")
	}
	if !l.allow("other.example") {
		t.Fatal("another domain limited")
	}
	now = now.Add(200 * time.Millisecond) // 2 tokens back
	if !l.allow("flood.example") || !l.allow("flood.example") || l.allow("flood.example") {
		t.Fatal("refill wrong")
	}
	for i := range 10000 {
		l.allow(fmt.Sprintf("d%d.example", i))
		if l.size() > 100 {
			t.Fatalf("%d buckets kept", l.size())
		}
	}
}

// FuzzParseActivity: any body is refused with errBadRequest or read into
// an activity with a type and http(s) id and actor; never a panic.
func FuzzParseActivity(f *testing.F) {
	f.Add([]byte(`{"id":"https://p.example/a/1","type":"Like","actor":"https://p.example/u","object":"https://h/x"}`))
	f.Add([]byte(`{"id":"https://p.example/a/1","type":["Create"],"actor":[{"id":"https://p.example/u"}],"object":{"id":"https://p.example/n","to":["a","b"]}}`))
	f.Add([]byte(`[[[[{"a":"\\"}]]]]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := parseActivity(body)
		if err != nil {
			if !errors.Is(err, errBadRequest) {
				t.Fatalf("error of another kind: %v", err)
			}
			return
		}
		if a.Type == "" || !httpIRI(a.ID) || !httpIRI(a.Actor) {
			t.Fatalf("accepted %+v", a)
		}
		if jsonDepth(body, MaxJSONDepth) > MaxJSONDepth || recipients(a.Raw) > MaxRecipients {
			t.Fatal("limits not enforced")
		}
	})
}
