package federation

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"code.superseriousbusiness.org/activity/streams"
	"code.superseriousbusiness.org/activity/streams/vocab"
)

// The actor document read by the AS2 vocabulary GoToSocial parses peers
// with (code.superseriousbusiness.org/activity/streams): a Person with
// the members a go-fed peer needs.
func TestActorReadByGoFed(t *testing.T) {
	f := newFixture(t)
	p := f.addPod("alice", "Alice")
	if err := SaveSettings(context.Background(), f.svc.cfg.Records, "alice", Settings{Locked: true}); err != nil {
		t.Fatal(err)
	}
	url := f.srv.URL + "/.ap/actors/alice"
	m := readJSON(t, f.get("/.ap/actors/alice", MediaActivityJSON))
	typ, err := streams.ToType(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	person, ok := typ.(vocab.ActivityStreamsPerson)
	if !ok {
		t.Fatalf("parsed as %T", typ)
	}
	if id := person.GetJSONLDId(); id == nil || id.Get().String() != url {
		t.Errorf("id %v", id)
	}
	if u := person.GetActivityStreamsPreferredUsername(); u == nil || u.GetXMLSchemaString() != "alice" {
		t.Errorf("preferredUsername %v", u)
	}
	if in := person.GetActivityStreamsInbox(); in == nil || in.GetIRI().String() != p.Root+"inbox/" {
		t.Errorf("inbox %v", in)
	}
	if out := person.GetActivityStreamsOutbox(); out == nil || out.GetIRI().String() != url+"/outbox" {
		t.Errorf("outbox %v", out)
	}
	if fl := person.GetActivityStreamsFollowers(); fl == nil || fl.GetIRI().String() != url+"/followers" {
		t.Errorf("followers %v", fl)
	}
	if mf := person.GetActivityStreamsManuallyApprovesFollowers(); mf == nil || !mf.Get() {
		t.Errorf("manuallyApprovesFollowers %v", mf)
	}
	if d := person.GetTootDiscoverable(); d == nil || !d.Get() {
		t.Errorf("discoverable %v", d)
	}
	if aka := person.GetActivityStreamsAlsoKnownAs(); aka == nil || aka.Len() != 1 || aka.At(0).GetIRI().String() != p.WebID {
		t.Errorf("alsoKnownAs %v", aka)
	}
	ep := person.GetActivityStreamsEndpoints()
	if ep == nil || ep.Len() != 1 {
		t.Fatalf("endpoints %v", ep)
	}
	if e := ep.At(0).Get(); e == nil || e.GetActivityStreamsSharedInbox() == nil ||
		e.GetActivityStreamsSharedInbox().GetIRI().String() != f.srv.URL+"/.ap/inbox" {
		t.Errorf("sharedInbox %v", e)
	}
	pk := person.GetW3IDSecurityV1PublicKey()
	if pk == nil || pk.Len() != 1 || pk.At(0).Get() == nil {
		t.Fatalf("publicKey %v", pk)
	}
	key := pk.At(0).Get()
	if key.GetJSONLDId().Get().String() != url+"#main-key" || key.GetW3IDSecurityV1Owner().GetIRI().String() != url {
		t.Errorf("publicKey id/owner")
	}
	blk, _ := pem.Decode([]byte(key.GetW3IDSecurityV1PublicKeyPem().Get()))
	if blk == nil {
		t.Fatal("no PEM")
	}
	if _, err := x509.ParsePKIXPublicKey(blk.Bytes); err != nil {
		t.Error(err)
	}
}
