package safehttp

import (
	"net/netip"
	"testing"
)

// v4Cases lists IPv4 addresses and whether they are public. Every one is also
// checked in its IPv4-mapped, NAT64 (64:ff9b::/96) and 6to4 (2002::/16) form,
// which must classify the same way.
var v4Cases = []struct {
	addr   string
	public bool
}{
	{"0.0.0.0", false}, {"0.255.255.255", false},
	{"10.0.0.0", false}, {"10.255.255.255", false},
	{"100.64.0.0", false}, {"100.127.255.255", false},
	{"127.0.0.1", false}, {"127.255.255.254", false},
	{"169.254.0.1", false}, {"169.254.169.254", false}, {"169.254.255.255", false},
	{"172.16.0.0", false}, {"172.31.255.255", false},
	{"192.0.0.1", false}, {"192.0.0.255", false},
	{"192.0.2.0", false}, {"192.0.2.255", false},
	{"192.88.99.1", false},
	{"192.168.0.1", false}, {"192.168.255.255", false},
	{"198.18.0.0", false}, {"198.19.255.255", false},
	{"198.51.100.7", false}, {"203.0.113.200", false},
	{"224.0.0.1", false}, {"239.255.255.255", false},
	{"240.0.0.1", false}, {"255.255.255.255", false},
	// Public neighbours of the ranges above.
	{"1.1.1.1", true}, {"8.8.8.8", true}, {"9.255.255.255", true}, {"11.0.0.0", true},
	{"100.63.255.255", true}, {"100.128.0.0", true},
	{"126.255.255.255", true}, {"128.0.0.0", true},
	{"169.253.255.255", true}, {"169.255.0.0", true},
	{"172.15.255.255", true}, {"172.32.0.0", true},
	{"192.0.1.1", true}, {"192.0.3.0", true}, {"192.167.255.255", true}, {"192.169.0.0", true},
	{"198.17.255.255", true}, {"198.20.0.0", true},
	{"198.51.99.255", true}, {"198.51.101.0", true},
	{"203.0.112.255", true}, {"203.0.114.0", true},
	{"223.255.255.255", true},
}

var v6Cases = []struct {
	addr   string
	public bool
}{
	{"::", false},
	{"::1", false},
	{"::2", false},          // IPv4-compatible (deprecated)
	{"::7f00:1", false},     // ::127.0.0.1 IPv4-compatible
	{"::808:808", false},    // ::8.8.8.8 IPv4-compatible, refused outright
	{"::ffff:0:0", false},   // mapped 0.0.0.0
	{"64:ff9b:1::1", false}, // NAT64 local use
	{"100::1", false},       // discard-only
	{"2001::1", false},      // Teredo
	{"2001:0:4136:e378::1", false},
	{"2001:2::1", false}, // benchmarking
	{"2001:10::1", false},
	{"2001:1ff:ffff::1", false},
	{"2001:db8::1", false}, {"2001:db8:ffff::", false},
	{"3fff::1", false}, {"3fff:fff::1", false},
	{"fc00::1", false}, {"fdff:ffff::1", false},
	{"fe80::1", false}, {"fe80::1%eth0", false}, {"febf::1", false},
	{"fec0::1", false}, {"feff::1", false},
	{"ff02::1", false}, {"ff0e::1", false}, {"ff05::1:3", false},
	{"4000::1", false}, {"1000::1", false}, {"e000::1", false},
	{"2606:4700:4700::1111", true},
	{"2001:4860:4860::8888", true},
	{"2001:200::1", true},
	{"2a00:1450:4001:80b::200e", true},
	{"3ffe::1", true},
	{"3fff:1000::1", true},
}

func TestClassifyTable(t *testing.T) {
	for _, tc := range v4Cases {
		a := netip.MustParseAddr(tc.addr)
		b := a.As4()
		forms := map[string]netip.Addr{
			"v4":     a,
			"mapped": netip.AddrFrom16(a.As16()),
			"nat64":  netip.AddrFrom16([16]byte{0, 0x64, 0xff, 0x9b, 10: 0, 12: b[0], 13: b[1], 14: b[2], 15: b[3]}),
			"6to4":   netip.AddrFrom16([16]byte{0x20, 0x02, b[0], b[1], b[2], b[3], 15: 1}),
		}
		for form, x := range forms {
			why := Classify(x)
			if got := why == ""; got != tc.public {
				t.Errorf("%s (%s form %s): public=%v want %v (reason %q)", tc.addr, form, x, got, tc.public, why)
			}
		}
	}
	for _, tc := range v6Cases {
		a := netip.MustParseAddr(tc.addr)
		why := Classify(a)
		if got := why == ""; got != tc.public {
			t.Errorf("%s: public=%v want %v (reason %q)", tc.addr, got, tc.public, why)
		}
	}
	// Textual mapped forms parse to the same classification.
	for _, s := range []string{"::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:169.254.169.254", "::ffff:10.1.2.3", "::ffff:0.0.0.0"} {
		if IsPublic(netip.MustParseAddr(s)) {
			t.Errorf("%s classified public", s)
		}
	}
	if IsPublic(netip.Addr{}) {
		t.Error("zero Addr classified public")
	}
}

func TestIsLoopback(t *testing.T) {
	for s, want := range map[string]bool{
		"127.0.0.1": true, "127.1.2.3": true, "::1": true, "::ffff:127.0.0.1": true,
		"0.0.0.0": false, "::": false, "10.0.0.1": false, "169.254.169.254": false, "fe80::1": false,
	} {
		if got := isLoopback(netip.MustParseAddr(s)); got != want {
			t.Errorf("isLoopback(%s) = %v, want %v", s, got, want)
		}
	}
}

func FuzzClassify(f *testing.F) {
	for _, tc := range v4Cases {
		b := netip.MustParseAddr(tc.addr).As4()
		f.Add(b[:])
	}
	for _, tc := range v6Cases {
		b := netip.MustParseAddr(tc.addr).As16()
		f.Add(b[:])
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) >= 16 {
			a := netip.AddrFrom16([16]byte(in[:16]))
			_ = Classify(a)
			_ = Classify(a.WithZone("eth0"))
			if a.Is4In6() && IsPublic(a) != IsPublic(a.Unmap()) {
				t.Fatalf("%s and %s classify differently", a, a.Unmap())
			}
		}
		if len(in) < 4 {
			return
		}
		v4 := netip.AddrFrom4([4]byte(in[:4]))
		b := v4.As4()
		want := IsPublic(v4)
		for form, x := range map[string]netip.Addr{
			"mapped": netip.AddrFrom16(v4.As16()),
			"nat64":  netip.AddrFrom16([16]byte{0, 0x64, 0xff, 0x9b, 12: b[0], 13: b[1], 14: b[2], 15: b[3]}),
			"6to4":   netip.AddrFrom16([16]byte{0x20, 0x02, b[0], b[1], b[2], b[3]}),
		} {
			if IsPublic(x) != want {
				t.Fatalf("%s form %s classifies %v, IPv4 %s classifies %v", form, x, !want, v4, want)
			}
		}
	})
}
