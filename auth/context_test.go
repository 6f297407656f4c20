package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The middleware decides who is calling once and hands the outcome on in
// the request's context (issue 11 item 2): the agent for valid
// credentials, anonymous without any (and for an empty "Authorization:
// DPoP", issue 10 item 12), the failure otherwise. It never answers the
// request itself.
func TestMiddlewarePutsCallerInContext(t *testing.T) {
	f := newFixture(t, nil)
	alice := Agent{WebID: f.ti.webID("/alice/profile/card"), Issuer: f.ti.iss(), ClientID: "https://app.example/id"}
	for _, tc := range []struct {
		name    string
		req     func() *http.Request
		want    Agent
		wantErr error
	}{
		{"valid", func() *http.Request {
			return f.request(t, "GET", "/alice/", podBase+"/alice/", f.token(t))
		}, alice, nil},
		{"none", func() *http.Request { return httptest.NewRequest("GET", "/alice/", nil) }, Agent{}, nil},
		{"empty DPoP", func() *http.Request {
			r := httptest.NewRequest("GET", "/alice/", nil)
			r.Header.Set("Authorization", "DPoP")
			return r
		}, Agent{}, nil},
		{"bearer", func() *http.Request {
			r := httptest.NewRequest("GET", "/alice/", nil)
			r.Header.Set("Authorization", "Bearer "+f.token(t))
			return r
		}, Agent{}, ErrUnauthenticated},
		{"wrong htu", func() *http.Request {
			return f.request(t, "GET", "/alice/", podBase+"/bob/", f.token(t))
		}, Agent{}, ErrInvalidProof},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got Agent
			var gotErr error
			reached := false
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached = true
				got, gotErr = AgentFrom(r.Context())
				w.WriteHeader(299)
			})
			w := httptest.NewRecorder()
			f.a.Middleware(next).ServeHTTP(w, tc.req())
			if !reached || w.Code != 299 {
				t.Fatalf("the middleware answered %d itself", w.Code)
			}
			if got != tc.want {
				t.Errorf("agent %+v, want %+v", got, tc.want)
			}
			if (tc.wantErr == nil) != (gotErr == nil) || (tc.wantErr != nil && !errors.Is(gotErr, tc.wantErr)) {
				t.Errorf("err %v, want %v", gotErr, tc.wantErr)
			}
		})
	}
}

// A context no authentication ran on is anonymous, and the helpers carry
// exactly what they were given.
func TestAgentFromContextHelpers(t *testing.T) {
	ctx := context.Background()
	if a, err := AgentFrom(ctx); !a.Anonymous() || err != nil {
		t.Fatalf("bare context: %+v, %v", a, err)
	}
	bob := Agent{WebID: "https://bob.example/card#me", ClientID: "https://app.example/id"}
	if a, err := AgentFrom(WithAgent(ctx, bob)); a != bob || err != nil {
		t.Fatalf("WithAgent: %+v, %v", a, err)
	}
	fail := unauth(tokenErr("test"))
	if a, err := AgentFrom(WithFailure(WithAgent(ctx, bob), fail)); !a.Anonymous() || !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("WithFailure: %+v, %v", a, err)
	}
}
