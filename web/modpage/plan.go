package modpage

import (
	"slices"
	"strings"

	"github.com/naamio/naamio/modules"
)

// Permission is one container a module asks rights on (and below it: an
// ACL grant is written with acl:accessTo and acl:default).
type Permission struct {
	Container string   `json:"container"`
	Modes     []string `json:"modes"`
	// Why says which part of the manifest asks for it.
	Why []string `json:"why"`
	// New lists the modes the installed version was not granted (an
	// upgrade whose rights grow is prompted again).
	New []string `json:"new,omitempty"`
}

// Host is one host the module's http_request may reach.
type Host struct {
	Host string `json:"host"`
	New  bool   `json:"new,omitempty"`
}

// modeOrder is the order modes are shown and written in.
var modeOrder = []string{"Read", "Append", "Write"}

// permissions lists what m asks for: Read on the container of every
// reactor and validator (a reactor gets events and a validator is asked
// only for what the module may Read), and each access entry's modes.
func permissions(m *modules.Manifest) []Permission {
	byC := map[string]*Permission{}
	var order []string
	add := func(c string, modes []string, why string) {
		p := byC[c]
		if p == nil {
			p = &Permission{Container: c}
			byC[c] = p
			order = append(order, c)
		}
		for _, md := range modes {
			if !slices.Contains(p.Modes, md) {
				p.Modes = append(p.Modes, md)
			}
		}
		if !slices.Contains(p.Why, why) {
			p.Why = append(p.Why, why)
		}
	}
	for _, r := range m.Reactors {
		why := "reacts to changes in it (" + r.Export + ")"
		if r.Recursive {
			why = "reacts to changes in it and below (" + r.Export + ")"
		}
		add(r.Container, []string{"Read"}, why)
	}
	for _, v := range m.Validators {
		add(v.Container, []string{"Read"}, "checks writes in it and below ("+v.Export+")")
	}
	for _, a := range m.Access {
		add(a.Container, a.Modes, "asked for in the manifest (access)")
	}
	slices.Sort(order)
	out := make([]Permission, 0, len(order))
	for _, c := range order {
		p := byC[c]
		p.Modes = sortModes(p.Modes)
		out = append(out, *p)
	}
	return out
}

func sortModes(modes []string) []string {
	out := make([]string, 0, len(modes))
	for _, md := range modeOrder {
		if slices.Contains(modes, md) {
			out = append(out, md)
		}
	}
	return out
}

// compare marks in next what prev (the installed version's permissions
// and hosts; nil for a new install) did not have, and returns the
// containers prev was granted that next no longer asks for, and whether
// the rights grow.
func compare(next []Permission, hosts []Host, prev []Permission, prevHosts []string) (removed []Permission, grows bool) {
	had := map[string][]string{}
	for _, p := range prev {
		had[p.Container] = p.Modes
	}
	for i := range next {
		for _, md := range next[i].Modes {
			if !slices.Contains(had[next[i].Container], md) {
				next[i].New = append(next[i].New, md)
				grows = true
			}
		}
	}
	for i := range hosts {
		if !slices.Contains(prevHosts, hosts[i].Host) {
			hosts[i].New = true
			grows = true
		}
	}
	for _, p := range prev {
		if !slices.ContainsFunc(next, func(n Permission) bool { return n.Container == p.Container }) {
			removed = append(removed, p)
		}
	}
	return removed, grows
}

// hostsOf lists m's allowed hosts.
func hostsOf(m *modules.Manifest) []Host {
	out := make([]Host, 0, len(m.AllowedHosts))
	for _, h := range m.AllowedHosts {
		out = append(out, Host{Host: h})
	}
	return out
}

// inPod reports whether iri is the pod whose root is root or inside it.
func inPod(iri, root string) bool { return strings.HasPrefix(iri, root) }
