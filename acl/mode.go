package acl

import "strings"

// Mode is a set of WAC access modes (WAC §"Access Modes").
type Mode uint8

// The access modes. Write implies Append (WAC §"Access Modes": acl:Append is a
// narrower acl:Write); every Mode this package returns already carries Append
// when it carries Write.
const (
	Read Mode = 1 << iota
	Write
	Append
	Control

	// All is every mode this package knows.
	All = Read | Write | Append | Control
)

// withImplied adds the modes implied by m: Write implies Append.
func (m Mode) withImplied() Mode {
	if m&Write != 0 {
		m |= Append
	}
	return m & All
}

// Has reports whether m grants every mode in need, counting Write as Append.
func (m Mode) Has(need Mode) bool {
	g := m.withImplied()
	return g&need == need
}

// modeNames is the order and spelling of access modes in WAC-Allow
// (WAC §"WAC-Allow": access-mode = "read" / "write" / "append" / "control").
var modeNames = [...]struct {
	m    Mode
	name string
}{{Read, "read"}, {Write, "write"}, {Append, "append"}, {Control, "control"}}

// String lists the modes as WAC-Allow spells them, space separated ("" for none).
func (m Mode) String() string {
	var b strings.Builder
	m.appendTo(&b)
	return b.String()
}

func (m Mode) appendTo(b *strings.Builder) {
	first := true
	for _, n := range modeNames {
		if m&n.m == 0 {
			continue
		}
		if !first {
			b.WriteByte(' ')
		}
		b.WriteString(n.name)
		first = false
	}
}

// WACAllow renders the WAC-Allow header value for the requesting agent's modes
// and the public's modes, e.g. `user="read write append control",public="read"`
// (WAC §"WAC-Allow", server-wac-allow). Write is shown with the Append it implies.
func WACAllow(user, public Mode) string {
	var b strings.Builder
	b.Grow(64)
	b.WriteString(`user="`)
	user.withImplied().appendTo(&b)
	b.WriteString(`",public="`)
	public.withImplied().appendTo(&b)
	b.WriteByte('"')
	return b.String()
}

// ModesForPatch returns the modes an N3 Patch (or the equivalent SPARQL Update)
// needs on its target, from which parts of the patch are non-empty:
//   - reads (a non-empty ?conditions / WHERE): Read (server-n3-patch-where);
//   - appends (non-empty ?insertions): Append (server-n3-patch-insert);
//   - deletes (non-empty ?deletions): Read and Write (server-n3-patch-delete).
//
// A patch with none of them still needs Append: PATCH is at least an append
// operation (WAC §"Access Modes"), so an empty patch never needs nothing.
func ModesForPatch(reads, appends, deletes bool) Mode {
	var m Mode
	if reads {
		m |= Read
	}
	if appends {
		m |= Append
	}
	if deletes {
		m |= Read | Write
	}
	if m == 0 {
		m = Append
	}
	return m
}
