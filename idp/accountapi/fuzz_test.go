package accountapi

import (
	"errors"
	"testing"
)

// FuzzDecodeBody: any body decodes or fails with a client error, never a
// panic or a server error.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"email":"a@b.c","password":"x","remember":true}`, `[]`, `null`, `{"name":5}`,
		`{"settings":{"webId":"x"}}`, `{} {}`, `{"a":`, "\xff\xfe", `{"email":"\ud800"}`, `  {"webId": "https://x/#me"}  `} {
		f.Add([]byte(s), "application/json")
	}
	f.Add([]byte(`{}`), "text/plain")
	f.Add([]byte(`{}`), "application/ld+json; charset=utf-8")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		var login struct {
			Email    string `json:"email"`
			Password string `json:"password"`
			Remember bool   `json:"remember"`
		}
		var pod struct {
			Name     string `json:"name"`
			Settings struct {
				WebID string `json:"webId"`
			} `json:"settings"`
		}
		for _, into := range []any{&login, &pod, &struct{}{}} {
			err := decodeBody(body, contentType, into)
			if err == nil {
				continue
			}
			var ae *apiError
			if !errors.As(err, &ae) || ae.status < 400 || ae.status >= 500 {
				t.Fatalf("decodeBody(%q, %q): %v", body, contentType, err)
			}
		}
	})
}
