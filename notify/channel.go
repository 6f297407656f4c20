package notify

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"time"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/kv"
)

// Keys in kv.Channels:
//
//	c/<token>                 the channel record (JSON)
//	a/<agent>\x00<token>      the agent's channels, for the per-agent limit
const (
	keyChannel = "c/"
	keyAgent   = "a/"
)

// channel is one channel as stored.
type channel struct {
	Token string `json:"token"`
	// Type is the channel type IRI; empty in records written before
	// other types existed, which are WebSocketChannel2023 channels.
	Type string `json:"type,omitempty"`
	// Secret opens the channel's socket (receiveFrom's auth parameter).
	// It is apart from Token, which is in the channel's id and so in the
	// paths the access log records; queries are never logged.
	Secret  string    `json:"secret"`
	Topic   string    `json:"topic"` // canonical store path
	WebID   string    `json:"webid,omitempty"`
	Client  string    `json:"client,omitempty"`
	Origin  string    `json:"origin,omitempty"`
	Authed  bool      `json:"authed,omitempty"`
	Bucket  string    `json:"bucket"` // bucketOf, for the per-agent limit
	Created time.Time `json:"created"`
	// EndAt is when the channel expires: its records vanish (KV TTL) and
	// its open sockets are closed at the next change of their topic.
	EndAt time.Time `json:"endAt"`
	// The features the subscriber asked for (features.go, admit.go).
	Accept  string        `json:"accept,omitempty"`
	Rate    time.Duration `json:"rate,omitempty"`
	StartAt time.Time     `json:"startAt,omitzero"`
	State   string        `json:"state,omitempty"`
	// SendTo is a WebhookChannel2023's receiver (webhook.go).
	SendTo string `json:"sendTo,omitempty"`
}

// agent is the channel's subscriber for access decisions.
func (c *channel) agent() acl.Agent {
	return acl.Agent{WebID: c.WebID, Client: c.Client, Origin: c.Origin, Authenticated: c.Authed}
}

// bucketOf names the subscriber in the per-agent index: its WebID, or
// for an anonymous subscriber its address (RemoteAddr, which the server
// has set to the client's behind trusted proxies), so one anonymous
// client cannot use up every anonymous client's channels.
func bucketOf(ag acl.Agent, remoteAddr string) string {
	if ag.Authenticated {
		return ag.WebID
	}
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		remoteAddr = host
	}
	return "-" + remoteAddr
}

// newToken is 256 random bits, base64url: the channel's unguessable id.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// channels is the durable record of the channels.
type channels struct{ kv kv.KV }

func (s channels) get(ctx context.Context, token string) (*channel, error) {
	v, err := s.kv.Get(ctx, keyChannel+token)
	if err != nil {
		return nil, err
	}
	var c channel
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// count is how many channels the bucket holds.
func (s channels) count(ctx context.Context, bucket string) (int, error) {
	n := 0
	err := s.kv.List(ctx, keyAgent+bucket+"\x00", func(string, []byte) error { n++; return nil })
	return n, err
}

func (s channels) put(ctx context.Context, c *channel) error {
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	ttl := time.Until(c.EndAt)
	return s.kv.Update(ctx, func(tx kv.Txn) error {
		if err := tx.Set(keyChannel+c.Token, v, ttl); err != nil {
			return err
		}
		return tx.Set(keyAgent+c.Bucket+"\x00"+c.Token, nil, ttl)
	})
}

func (s channels) delete(ctx context.Context, c *channel) error {
	return s.kv.Update(ctx, func(tx kv.Txn) error {
		if err := tx.Delete(keyChannel + c.Token); err != nil {
			return err
		}
		return tx.Delete(keyAgent + c.Bucket + "\x00" + c.Token)
	})
}

func isNotFound(err error) bool { return errors.Is(err, kv.ErrNotFound) }
