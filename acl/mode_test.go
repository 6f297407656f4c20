package acl

import "testing"

func TestModeHasWriteImpliesAppend(t *testing.T) {
	// WAC §"Access Modes": Write implies Append.
	if !Write.Has(Append) || !Write.Has(Write|Append) {
		t.Fatal("Write must imply Append")
	}
	if Append.Has(Write) {
		t.Fatal("Append must not imply Write")
	}
	if Mode(0).Has(Read) || !Mode(0).Has(0) {
		t.Fatal("empty mode")
	}
}

// server-wac-allow: user and public permission groups, modes spelled as the
// spec's ABNF, space separated.
func TestWACAllow(t *testing.T) {
	tests := []struct {
		user, public Mode
		want         string
	}{
		{All, Read, `user="read write append control",public="read"`},
		{0, 0, `user="",public=""`},
		{Write, 0, `user="write append",public=""`},
		{Read | Append, Read | Append, `user="read append",public="read append"`},
		{Control, 0, `user="control",public=""`},
		{0xff, 0, `user="read write append control",public=""`},
	}
	for _, tt := range tests {
		if got := WACAllow(tt.user, tt.public); got != tt.want {
			t.Errorf("WACAllow(%v, %v) = %s, want %s", tt.user, tt.public, got, tt.want)
		}
	}
}

func TestModesForPatch(t *testing.T) {
	tests := []struct {
		name                    string
		reads, appends, deletes bool
		want                    Mode
	}{
		{"server-n3-patch-insert", false, true, false, Append},
		{"server-n3-patch-where", true, false, false, Read},
		{"server-n3-patch-where+insert", true, true, false, Read | Append},
		{"server-n3-patch-delete", false, false, true, Read | Write},
		{"all parts", true, true, true, Read | Write | Append},
		{"empty patch is still an append", false, false, false, Append},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ModesForPatch(tt.reads, tt.appends, tt.deletes); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	// SECURITY row 20: an Append-only agent may insert but not delete.
	if !Append.Has(ModesForPatch(false, true, false)) || Append.Has(ModesForPatch(false, true, true)) {
		t.Fatal("Append-only PATCH rules")
	}
}
