package testissuer

import (
	"errors"
	"net/http"
	"net/url"
	"time"
)

// DefaultClientID is the client_id of tokens made by NewAgent.
const DefaultClientID = "https://app.example/id"

// Agent is a logged-in client: a WebID, a DPoP key and an access token
// bound to that key.
type Agent struct {
	WebID string
	Token string
	Key   *Key
}

// NewAgent returns an agent for WebID(name) with a fresh key and a one-hour
// token (client_id DefaultClientID).
func (i *Issuer) NewAgent(name string) (*Agent, error) {
	k, err := NewKey()
	if err != nil {
		return nil, err
	}
	webid := i.WebID(name)
	tok, err := i.Token(TokenClaims{WebID: webid, ClientID: DefaultClientID}, k)
	if err != nil {
		return nil, err
	}
	return &Agent{WebID: webid, Token: tok, Key: k}, nil
}

// HTU is the htu of a proof for u: u without query and fragment (and
// without user info).
func HTU(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery, c.ForceQuery = "", false
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}

// Sign sets "Authorization: DPoP <token>" and a fresh DPoP proof for r's
// method and URL (HTU(r.URL)), replacing any previous values.
func (a *Agent) Sign(r *http.Request) error {
	if r.URL == nil {
		return errors.New("testissuer: request without URL")
	}
	proof, err := a.Key.Proof(r.Method, HTU(r.URL), a.Token, time.Now())
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "DPoP "+a.Token)
	r.Header.Set("DPoP", proof)
	return nil
}

// Client returns a copy of base (nil: http.DefaultClient) whose transport
// signs every request, each redirect hop included, with a fresh proof.
func (a *Agent) Client(base *http.Client) *http.Client {
	if base == nil {
		base = http.DefaultClient
	}
	c := *base
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = &signingTransport{agent: a, next: next}
	return &c
}

type signingTransport struct {
	agent *Agent
	next  http.RoundTripper
}

func (t *signingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c := r.Clone(r.Context()) // a RoundTripper must not modify its request
	if err := t.agent.Sign(c); err != nil {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, err
	}
	return t.next.RoundTrip(c)
}
