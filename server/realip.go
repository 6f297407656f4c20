package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr makes r.RemoteAddr the client's address when the server runs
// behind reverse proxies it was told to trust (--trusted-proxies). The
// login and sign-up limits per address, and the access log, read
// RemoteAddr; behind a proxy it would otherwise be the proxy's address
// for everyone, so one client's failures would lock out all.
//
// Only a request whose direct peer is a trusted proxy is looked at. Its
// X-Forwarded-For list is read from the right (each proxy appends the
// address it saw), skipping trusted proxies; the first other address is
// the client. Entries to its left were written by the client and are
// never believed. A request without a usable entry keeps its peer address.
func clientAddr(trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if len(trusted) == 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ip, ok := forwardedClient(r, trusted); ok {
				r2 := *r
				r2.RemoteAddr = net.JoinHostPort(ip.String(), "0")
				r = &r2
			}
			next.ServeHTTP(w, r)
		})
	}
}

func forwardedClient(r *http.Request, trusted []netip.Prefix) (netip.Addr, bool) {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !isTrusted(peer.Addr(), trusted) {
		return netip.Addr{}, false
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			ip, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return netip.Addr{}, false // a malformed hop: trust nothing further left
			}
			if ip = ip.Unmap(); !isTrusted(ip, trusted) {
				return ip, true
			}
		}
	}
	return netip.Addr{}, false
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	ip = ip.Unmap()
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// prefixList is a flag.Value for "127.0.0.1,10.0.0.0/8,::1".
type prefixList struct{ l *[]netip.Prefix }

func (a prefixList) String() string {
	if a.l == nil {
		return ""
	}
	s := make([]string, len(*a.l))
	for i, p := range *a.l {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func (a prefixList) Set(v string) error {
	*a.l = nil
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			ip, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return fmt.Errorf("not an address or CIDR prefix: %q", f)
			}
			p = netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen())
		}
		*a.l = append(*a.l, p.Masked())
	}
	return nil
}
