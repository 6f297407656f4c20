package federation

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/naamio/naamio/federation/httpsig"
)

// The instance actor: the server's own actor (<base>/.ap/instance, an
// Application), whose key signs the server's GETs of remote actors, keys
// and objects. Peers in "authorized fetch" mode (GoToSocial by default,
// Mastodon's secure mode) answer an unsigned GET with 401; a fetch made
// while verifying an inbox POST has no pod to sign for, so the server
// signs as itself, as Mastodon and GoToSocial do with their instance
// actors.

// instanceKey names the instance actor's key in the KeyStore; it can be
// no pod's name (those never begin with "-").
const instanceKey = "-instance"

// instanceDoc is the instance actor's document.
type instanceDoc struct {
	Context                   []any     `json:"@context"`
	ID                        string    `json:"id"`
	Type                      string    `json:"type"`
	PreferredUsername         string    `json:"preferredUsername"`
	Name                      string    `json:"name"`
	Inbox                     string    `json:"inbox"`
	Outbox                    string    `json:"outbox"`
	Endpoints                 endpoints `json:"endpoints"`
	PublicKey                 publicKey `json:"publicKey"`
	ManuallyApprovesFollowers bool      `json:"manuallyApprovesFollowers"`
	Discoverable              bool      `json:"discoverable"`
}

// ServeInstanceActor answers GET and HEAD of the instance actor.
func (s *Service) ServeInstanceActor(w http.ResponseWriter, r *http.Request) {
	if err := s.serveInstanceActor(w, r); err != nil {
		s.fail(w, r, err)
	}
}

func (s *Service) serveInstanceActor(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Vary", "Accept")
	if err := onlyRead(r); err != nil {
		return err
	}
	mt, err := negotiateActor(r.Header.Get("Accept"))
	if err != nil {
		return err
	}
	if mt == "text/html" {
		mt = MediaActivityJSON // nothing to show a person: the document itself
	}
	key, err := s.cfg.Keys.Key(r.Context(), instanceKey)
	if err != nil {
		return err
	}
	p := s.cfg.Paths
	id := p.InstanceActor()
	body, err := json.Marshal(instanceDoc{
		Context: actorContext, ID: id, Type: "Application",
		PreferredUsername: p.Host(), Name: "Naamio server " + p.Host(),
		// Nothing is delivered to it; the shared inbox is where a peer
		// that insists on writing to it is heard.
		Inbox: p.SharedInbox(), Outbox: id + "/outbox",
		Endpoints:                 endpoints{SharedInbox: p.SharedInbox()},
		PublicKey:                 publicKey{ID: p.InstanceKeyID(), Owner: id, PublicKeyPem: key.PublicPEM},
		ManuallyApprovesFollowers: true,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, r, mt, body)
}

// InstanceSigner signs a GET as the instance actor (draft-cavage
// rsa-sha256 over (request-target) host date: what every peer verifies),
// for remote.Fetcher.Sign.
func InstanceSigner(paths *Paths, keys Keys) func(*http.Request) error {
	return func(r *http.Request) error {
		key, err := keys.Key(r.Context(), instanceKey)
		if err != nil {
			return fmt.Errorf("federation: the instance key: %w", err)
		}
		return httpsig.Sign(r, paths.InstanceKeyID(), key.Private, nil)
	}
}
