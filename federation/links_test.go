package federation

import "testing"

func TestProfileLinks(t *testing.T) {
	f := newFixture(t)
	p := f.addPod("alice", "")
	want := `<` + f.srv.URL + `/.ap/actors/alice>; rel="alternate"; type="application/activity+json"`
	if got := f.svc.ProfileLinks(p.Root + "profile/card"); got != want {
		t.Errorf("profile links %q, want %q", got, want)
	}
	for _, iri := range []string{
		p.Root, p.Root + "profile/", p.Root + "profile/card.acl", p.Root + "profile/card2",
		p.Root + "x/profile/card", f.srv.URL + "/bob/profile/card", "https://evil.example/alice/profile/card",
		f.srv.URL + "/profile/card", "",
	} {
		if got := f.svc.ProfileLinks(iri); got != "" {
			t.Errorf("%q gets links %q", iri, got)
		}
	}
}
