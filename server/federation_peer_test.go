package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/naamio/naamio/internal/fedipeer"
)

// Issue 14 "Actor document" against a real peer: Fedify (1.8.8, which
// processes JSON-LD with preloaded contexts only, INTEROP "Fedify as a
// peer") fetches a pod owner's actor from the running server with a
// signed GET and reads it as a Person with the same id, its inbox, shared
// inbox, key and the link to the WebID.
func TestFederationActorReadByFedify(t *testing.T) {
	peer := fedipeer.Start(t)
	_, base := serveAccounts(t, "alice")
	actor := strings.TrimSuffix(base, "/") + "/.ap/actors/alice"
	got, err := peer.Lookup("bob", actor)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Found || got.Type != "Person" || got.ID != actor {
		t.Fatalf("Fedify read the actor as %+v", got)
	}
	var doc map[string]any
	if err := json.Unmarshal(got.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	t.Logf("Fedify's reading: %s", got.JSON)
	body := string(got.JSON)
	for _, want := range []string{
		`"preferredUsername":"alice"`,
		`"inbox":"` + base + `alice/inbox/"`,
		`"sharedInbox":"` + strings.TrimSuffix(base, "/") + `/.ap/inbox"`,
		`"` + actor + `#main-key"`,
		`BEGIN PUBLIC KEY`,
		base + `alice/profile/card#me`,
		`"manuallyApprovesFollowers":false`,
	} {
		if !strings.Contains(strings.ReplaceAll(body, `\n`, "\n"), want) {
			t.Errorf("Fedify's reading lacks %s", want)
		}
	}
}
