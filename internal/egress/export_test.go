package egress

import "net/netip"

// SetLocalAddrs replaces the interface addresses the policy found, so tests can name them.
func (p *Policy) SetLocalAddrs(addrs ...string) {
	p.local = map[netip.Addr]bool{}
	for _, a := range addrs {
		p.local[netip.MustParseAddr(a)] = true
	}
}
