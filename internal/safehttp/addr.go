package safehttp

import (
	"net/netip"
)

// deny is one refused range with a short reason used in error messages.
type deny struct {
	p   netip.Prefix
	why string
}

func mustPrefixes(rows [][2]string) []deny {
	out := make([]deny, len(rows))
	for i, r := range rows {
		out[i] = deny{netip.MustParsePrefix(r[0]), r[1]}
	}
	return out
}

// v4Deny lists every IPv4 range an outside fetch may not reach. The order
// matters only for the reason reported (most specific first).
var v4Deny = mustPrefixes([][2]string{
	{"0.0.0.0/8", "this-network"}, // 0.0.0.0 itself reaches the local host on Linux
	{"10.0.0.0/8", "private"},
	{"100.64.0.0/10", "cgnat"},
	{"127.0.0.0/8", "loopback"},
	{"169.254.0.0/16", "link-local"}, // includes 169.254.169.254 (cloud metadata)
	{"172.16.0.0/12", "private"},
	{"192.0.0.0/24", "ietf-protocol-assignments"},
	{"192.0.2.0/24", "documentation"},
	{"192.88.99.0/24", "6to4-relay-anycast"},
	{"192.168.0.0/16", "private"},
	{"198.18.0.0/15", "benchmarking"},
	{"198.51.100.0/24", "documentation"},
	{"203.0.113.0/24", "documentation"},
	{"224.0.0.0/4", "multicast"},
	{"255.255.255.255/32", "broadcast"},
	{"240.0.0.0/4", "reserved"},
})

// v6Deny lists IPv6 ranges refused outright. Embeddings of IPv4 (mapped,
// NAT64, 6to4) are handled separately in Classify so the embedded IPv4
// address is judged by v4Deny.
var v6Deny = mustPrefixes([][2]string{
	{"::/128", "unspecified"},
	{"::1/128", "loopback"},
	{"::/96", "ipv4-compatible"}, // deprecated ::a.b.c.d form
	{"64:ff9b:1::/48", "nat64-local-use"},
	{"100::/64", "discard-only"},
	{"2001::/32", "teredo"},
	{"2001::/23", "ietf-protocol-assignments"}, // includes 2001:2::/48 benchmarking, ORCHID
	{"2001:db8::/32", "documentation"},
	{"3fff::/20", "documentation"},
	{"fc00::/7", "unique-local"},
	{"fe80::/10", "link-local"},
	{"fec0::/10", "site-local"},
	{"ff00::/8", "multicast"},
})

var (
	nat64WellKnown = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
	globalUnicast  = netip.MustParsePrefix("2000::/3")
)

// Classify reports why a may not be contacted by an outside fetch, or ""
// when a is a public unicast address. The zero Addr and any address that is
// neither IPv4 nor IPv6 are refused. Zones are ignored (every zoned address
// is link-local or otherwise non-global anyway).
func Classify(a netip.Addr) string {
	if !a.IsValid() {
		return "invalid"
	}
	a = a.WithZone("")
	if a.Is4In6() {
		if why := classify4(a.Unmap()); why != "" {
			return "ipv4-mapped " + why
		}
		return ""
	}
	if a.Is4() {
		return classify4(a)
	}
	b := a.As16()
	switch {
	case nat64WellKnown.Contains(a):
		if why := classify4(netip.AddrFrom4([4]byte(b[12:16]))); why != "" {
			return "nat64 " + why
		}
		return ""
	case sixToFour.Contains(a):
		if why := classify4(netip.AddrFrom4([4]byte(b[2:6]))); why != "" {
			return "6to4 " + why
		}
		return ""
	}
	for _, d := range v6Deny {
		if d.p.Contains(a) {
			return d.why
		}
	}
	if !globalUnicast.Contains(a) {
		return "not-global-unicast"
	}
	return ""
}

func classify4(a netip.Addr) string {
	for _, d := range v4Deny {
		if d.p.Contains(a) {
			return d.why
		}
	}
	return ""
}

// IsPublic reports whether a is an address an outside fetch may connect to.
// Callers can use it to refuse IP-literal URLs before any network work.
func IsPublic(a netip.Addr) bool { return Classify(a) == "" }

// isLoopback reports whether a is loopback, including the IPv4-mapped form.
func isLoopback(a netip.Addr) bool { return a.WithZone("").Unmap().IsLoopback() }
