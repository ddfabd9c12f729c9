// Package egress decides which network addresses Datanika may connect to on behalf of users
// (database hosts, REST base URLs, S3 endpoints, webhooks). The check runs at dial time, on the
// address actually being dialed (a net.Dialer Control hook), so a name that resolves to a
// private address, a DNS answer that changes between check and use, and an HTTP redirect are all
// caught: there is no "check the URL, then connect" gap.
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrDenied is wrapped by every refusal.
var ErrDenied = errors.New("egress denied")

// Addresses that are never private-network targets but cloud metadata services: denied even with
// AllowPrivate (only an explicit allowlist entry opens them).
var metadata = []netip.Prefix{
	netip.MustParsePrefix("169.254.169.254/32"), // AWS, GCP, Azure, OpenStack…
	netip.MustParsePrefix("169.254.170.2/32"),   // AWS ECS task metadata
	netip.MustParsePrefix("fd00:ec2::254/128"),  // AWS IPv6
	netip.MustParsePrefix("100.100.100.200/32"), // Alibaba Cloud
}

// Ranges denied unless AllowPrivate: loopback, private, link-local, shared (CGNAT), unspecified,
// multicast and other special-purpose ranges.
var private = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
}

// nat64 embeds an IPv4 address in its last 32 bits; it is checked as that address.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Policy is the egress rule set.
type Policy struct {
	allowPrivate bool
	allowHosts   map[string]bool
	allowNets    []netip.Prefix
}

// New builds a policy. allowlist is EGRESS_ALLOWLIST: comma-separated host names and CIDRs (or
// single addresses), always allowed.
func New(allowPrivate bool, allowlist string) (*Policy, error) {
	p := &Policy{allowPrivate: allowPrivate, allowHosts: map[string]bool{}}
	for _, entry := range strings.Split(allowlist, ",") {
		entry = strings.ToLower(strings.TrimSpace(entry))
		switch {
		case entry == "":
		case strings.Contains(entry, "/"):
			prefix, err := netip.ParsePrefix(entry)
			if err != nil {
				return nil, fmt.Errorf("allowlist entry %q is not a valid CIDR", entry)
			}
			p.allowNets = append(p.allowNets, prefix.Masked())
		default:
			if addr, err := netip.ParseAddr(entry); err == nil {
				p.allowNets = append(p.allowNets, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
			} else {
				p.allowHosts[strings.TrimSuffix(entry, ".")] = true
			}
		}
	}
	return p, nil
}

// CheckAddr decides on one IP address.
func (p *Policy) CheckAddr(addr netip.Addr) error {
	addr = addr.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	if nat64.Contains(addr) {
		b := addr.As16()
		addr = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	for _, n := range p.allowNets {
		if n.Contains(addr) {
			return nil
		}
	}
	for _, n := range metadata {
		if n.Contains(addr) {
			return fmt.Errorf("%w: %s is a cloud metadata address", ErrDenied, addr)
		}
	}
	if p.allowPrivate {
		return nil
	}
	for _, n := range private {
		if n.Contains(addr) {
			return fmt.Errorf("%w: %s is a loopback, private or link-local address (set EGRESS_ALLOW_PRIVATE=true or add it to EGRESS_ALLOWLIST)", ErrDenied, addr)
		}
	}
	return nil
}

// control is the net.Dialer hook: address is the resolved "ip:port" about to be dialed.
func (p *Policy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", ErrDenied, address)
	}
	return p.CheckAddr(ap.Addr())
}

// Dialer dials through the policy. Use its DialContext wherever a driver or client accepts one.
type Dialer struct {
	policy  *Policy
	checked net.Dialer
	trusted net.Dialer
}

// Dialer returns a dialer with the given connect timeout.
func (p *Policy) Dialer(timeout time.Duration) *Dialer {
	return &Dialer{
		policy:  p,
		checked: net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: p.control},
		trusted: net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second},
	}
}

// DialContext connects to addr ("host:port"). Allowlisted host names skip the address check;
// every other connection is checked on the address actually dialed.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if d.policy.allowHosts[strings.TrimSuffix(strings.ToLower(host), ".")] {
		return d.trusted.DialContext(ctx, network, addr)
	}
	return d.checked.DialContext(ctx, network, addr)
}

// HTTPClient returns a client whose every connection, redirects included, goes through the
// policy, with an overall timeout and at most 10 redirects.
func (p *Policy) HTTPClient(timeout time.Duration) *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil // a proxy would dial on our behalf, out of the policy's sight
	transport.DialContext = p.Dialer(10 * time.Second).DialContext
	return &http.Client{
		Timeout:   timeout,
		Transport: transport,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		},
	}
}
