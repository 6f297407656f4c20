package op

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"time"

	"github.com/naamio/naamio/kv"
)

// appUseSlack is how stale an app record's LastUsed may get before a token
// issue or refresh rewrites it: at most one write per app and account per
// slack, whatever the token traffic.
const appUseSlack = time.Minute

// appRecord is what the provider remembers of an app an account connected
// (kvApp): the client's metadata as it was when tokens were last issued to
// it through a code, and when it was first connected and last used. It is
// what the account page's "Connected apps" shows, so that a person can
// tell apart several registrations of one app (same name, other redirect
// origin, other dates) without the page fetching any client document.
type appRecord struct {
	ClientID string `json:"client_id"`
	Name     string `json:"client_name,omitempty"`
	URI      string `json:"client_uri,omitempty"`
	LogoURI  string `json:"logo_uri,omitempty"`
	// Origin is the origin of the redirect URI the last code went to.
	Origin    string `json:"origin,omitempty"`
	Document  bool   `json:"document,omitempty"`
	Connected int64  `json:"connected"`
	LastUsed  int64  `json:"last_used"`
}

// App is a connected app of an account (Provider.Apps).
type App struct {
	ClientID string
	Name     string // self-asserted by the client (Dynamic) or its document
	URI      string
	LogoURI  string // an https (or loopback http) URL, validated at registration
	Origin   string // where the app received its codes
	// Dynamic: dynamically registered, so nothing vouches for the name;
	// otherwise ClientID is the https URL of its Client Identifier Document.
	Dynamic   bool
	Connected time.Time
	LastUsed  time.Time
}

func appKey(accountID, clientID string) string {
	return appPrefix(accountID) + url.PathEscape(clientID)
}

func appPrefix(accountID string) string { return kvApp + url.PathEscape(accountID) + "/" }

// appUse is one use of an app: a code exchange (redirectURI set, which
// refreshes the metadata) or a refresh.
type appUse struct {
	accountID   string
	client      *client
	redirectURI string
	now         time.Time
}

// touchAppTx records u in the app's record: created at the first use, the
// metadata refreshed at each code exchange, LastUsed moved on only when it
// is more than appUseSlack old. A use that changes nothing writes nothing.
func (p *Provider) touchAppTx(tx kv.Txn, u appUse) error {
	if u.accountID == "" {
		return nil
	}
	key := appKey(u.accountID, u.client.ID)
	var rec appRecord
	err := getJSON(tx, key, &rec)
	found := err == nil
	if err != nil && !errors.Is(err, kv.ErrNotFound) {
		return err
	}
	changed := !found
	if !found {
		rec = appRecord{ClientID: u.client.ID, Connected: u.now.Unix()}
	}
	if u.redirectURI != "" {
		c := u.client
		next := rec
		next.Name, next.URI, next.LogoURI, next.Origin, next.Document = c.Name, c.URI, c.LogoURI, origin(u.redirectURI), c.Document
		changed = changed || next != rec
		rec = next
	}
	if u.now.Unix()-rec.LastUsed >= int64(appUseSlack/time.Second) {
		rec.LastUsed, changed = u.now.Unix(), true
	}
	if !changed {
		return nil
	}
	return putJSON(tx, key, rec, p.keepUsedClient()+clientRenewSlack)
}

// Apps lists the apps accountID connected (that were issued tokens through
// an authorization code and not disconnected), in no particular order.
func (p *Provider) Apps(ctx context.Context, accountID string) ([]App, error) {
	var out []App
	err := p.kv.List(ctx, appPrefix(accountID), func(_ string, value []byte) error {
		var a appRecord
		if err := json.Unmarshal(value, &a); err != nil {
			return nil
		}
		out = append(out, App{ClientID: a.ClientID, Name: a.Name, URI: a.URI, LogoURI: a.LogoURI, Origin: a.Origin,
			Dynamic: !a.Document, Connected: time.Unix(a.Connected, 0),
			LastUsed: time.Unix(a.LastUsed, 0)})
		return nil
	})
	return out, err
}

// forgetApp removes the app record of clientID for accountID.
func (p *Provider) forgetApp(ctx context.Context, accountID, clientID string) error {
	return p.kv.Delete(ctx, appKey(accountID, clientID))
}
