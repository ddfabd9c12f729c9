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
	"strconv"
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

// Ranges denied unless AllowPrivate: every range of IANA's IPv4 and IPv6 special-purpose
// address registries that is not globally reachable (loopback, private, link-local, shared,
// documentation, benchmarking, reserved, multicast, discard-only, translation and tunnelling
// prefixes that embed other addresses), so "public" means what the registries say it means.
var private = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("10.0.0.0/8"),      // private
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (CGNAT)
	netip.MustParsePrefix("127.0.0.0/8"),     // loopback
	netip.MustParsePrefix("169.254.0.0/16"),  // link-local
	netip.MustParsePrefix("172.16.0.0/12"),   // private
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation (TEST-NET-1)
	netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast (deprecated)
	netip.MustParsePrefix("192.168.0.0/16"),  // private
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation (TEST-NET-2)
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation (TEST-NET-3)
	netip.MustParsePrefix("224.0.0.0/4"),     // multicast
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the limited broadcast address
	netip.MustParsePrefix("::/96"),           // unspecified, and IPv4-compatible (deprecated)
	netip.MustParsePrefix("::1/128"),         // loopback
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use IPv4/IPv6 translation
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001::/23"),       // IETF protocol assignments (Teredo, benchmarking, ORCHID…)
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4: embeds an IPv4 address
	netip.MustParsePrefix("3fff::/20"),       // documentation
	netip.MustParsePrefix("5f00::/16"),       // segment routing (SRv6) SIDs
	netip.MustParsePrefix("fc00::/7"),        // unique local
	netip.MustParsePrefix("fe80::/10"),       // link-local
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
	netip.MustParsePrefix("ff00::/8"),        // multicast
}

// nat64 embeds an IPv4 address in its last 32 bits; it is checked as that address.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Policy is the egress rule set.
type Policy struct {
	allowPrivate bool
	allowHosts   map[string]bool
	allowNets    []netip.Prefix
	// local are the server's own interface addresses: denied like loopback when private
	// egress is off (a service bound to 0.0.0.0 answers on them too).
	local map[netip.Addr]bool
	// protected is the metadata database: no connection reaches it, whatever the other rules
	// say, unless the allowlist names it.
	protected []Endpoint
	// managed is the managed warehouse: only ManagedDialer reaches it, and only it exactly.
	managed *Endpoint
}

// Endpoint is one server: a host (name or address) and a port.
type Endpoint struct {
	Host string
	Port uint16
	// addrs are what Host resolved to when the endpoint was registered.
	addrs map[netip.Addr]bool
	// onThisMachine: the host is this machine (a loopback address, one of its interface
	// addresses, or a Unix socket), so every local address reaches it on Port.
	onThisMachine bool
	// byAddress: the allowlist holds one of its addresses, so it is refused by address at dial
	// time (where the allowlist opens that address), not by name.
	byAddress bool
}

// New builds a policy. allowlist is EGRESS_ALLOWLIST: comma-separated host names and CIDRs (or
// single addresses), always allowed.
func New(allowPrivate bool, allowlist string) (*Policy, error) {
	p := &Policy{allowPrivate: allowPrivate, allowHosts: map[string]bool{}, local: interfaceAddrs()}
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
			if addr, err := netip.ParseAddr(strings.Trim(entry, "[]")); err == nil {
				p.allowNets = append(p.allowNets, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
			} else {
				p.allowHosts[normalHost(entry)] = true
			}
		}
	}
	return p, nil
}

// interfaceAddrs lists the addresses of this machine's network interfaces.
func interfaceAddrs() map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return out
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if addr, ok := netip.AddrFromSlice(n.IP); ok {
				out[addr.Unmap()] = true
			}
		}
	}
	return out
}

// normalHost is a host as policies compare it: lower case, no trailing dot, an address in its
// canonical form.
func normalHost(host string) string {
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if addr, err := netip.ParseAddr(host); err == nil {
		return addr.Unmap().String()
	}
	return host
}

// endpoint resolves host for Protect and Manage. A host starting with "/" is a Unix socket
// directory (PostgreSQL's convention): the server is this machine.
func (p *Policy) endpoint(ctx context.Context, host string, port uint16) (Endpoint, error) {
	e := Endpoint{Host: normalHost(host), Port: port, addrs: map[netip.Addr]bool{}}
	if host == "" || strings.HasPrefix(host, "/") {
		e.onThisMachine = true
		return e, nil
	}
	if addr, err := netip.ParseAddr(e.Host); err == nil {
		e.addrs[addr] = true
	} else {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", e.Host)
		if err != nil {
			return e, fmt.Errorf("resolve %s: %w", e.Host, err)
		}
		for _, ip := range ips {
			e.addrs[ip.Unmap()] = true
		}
	}
	for a := range e.addrs {
		if a.IsLoopback() || a.IsUnspecified() || p.local[a] {
			e.onThisMachine = true
		}
	}
	return e, nil
}

// Protect closes host:port, the metadata database's server, to every connection users
// configure, whatever EGRESS_ALLOW_PRIVATE says, unless EGRESS_ALLOWLIST names it (its host
// name, or a CIDR holding the address dialed). When the host is this machine, every local
// address on that port counts as it. The managed warehouse, when it lives there, is reached by
// ManagedDialer alone.
func (p *Policy) Protect(ctx context.Context, host string, port uint16) error {
	e, err := p.endpoint(ctx, host, port)
	if err != nil {
		return err
	}
	if p.allowHosts[e.Host] {
		return nil
	}
	for a := range e.addrs {
		e.byAddress = e.byAddress || p.allowlisted(a)
	}
	p.protected = append(p.protected, e)
	return nil
}

// Manage names the managed warehouse's server (WAREHOUSE_ADMIN_URL's host and port): dialers
// from ManagedDialer reach exactly that host and port, which every other connection reaches only
// as the rest of the policy allows.
func (p *Policy) Manage(ctx context.Context, host string, port uint16) error {
	e, err := p.endpoint(ctx, host, port)
	if err != nil {
		return err
	}
	p.managed = &e
	return nil
}

// CheckAddr decides on one IP address, whatever the port.
func (p *Policy) CheckAddr(addr netip.Addr) error {
	addr = unwrap(addr)
	if p.allowlisted(addr) {
		return nil
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
			return fmt.Errorf("%w: %s is a loopback, private or special-purpose address (set EGRESS_ALLOW_PRIVATE=true or add it to EGRESS_ALLOWLIST)", ErrDenied, addr)
		}
	}
	if p.local[addr] {
		return fmt.Errorf("%w: %s is an address of this server (set EGRESS_ALLOW_PRIVATE=true or add it to EGRESS_ALLOWLIST)", ErrDenied, addr)
	}
	return nil
}

// CheckAddrPort decides on one address and port: CheckAddr, and the metadata database's
// address is closed.
func (p *Policy) CheckAddrPort(ap netip.AddrPort) error {
	if err := p.checkProtected(ap); err != nil {
		return err
	}
	return p.CheckAddr(ap.Addr())
}

func unwrap(addr netip.Addr) netip.Addr {
	addr = addr.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	if nat64.Contains(addr) {
		b := addr.As16()
		addr = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	return addr
}

func (p *Policy) allowlisted(addr netip.Addr) bool {
	for _, n := range p.allowNets {
		if n.Contains(addr) {
			return true
		}
	}
	return false
}

func (p *Policy) checkProtected(ap netip.AddrPort) error {
	addr := unwrap(ap.Addr())
	if p.allowlisted(addr) {
		return nil
	}
	for _, e := range p.protected {
		if e.Port != ap.Port() {
			continue
		}
		if e.addrs[addr] || e.onThisMachine && (addr.IsLoopback() || addr.IsUnspecified() || p.local[addr]) {
			return fmt.Errorf("%w: %s is the metadata database's address (only EGRESS_ALLOWLIST can open it)", ErrDenied, ap)
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
	return p.CheckAddrPort(ap)
}

// controlProtected is the hook of allowlisted host names: any address, but the metadata
// database's only if the allowlist names it.
func (p *Policy) controlProtected(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", ErrDenied, address)
	}
	return p.checkProtected(ap)
}

// Dialer dials through the policy. Use its DialContext wherever a driver or client accepts one.
type Dialer struct {
	policy    *Policy
	checked   net.Dialer
	trusted   net.Dialer
	warehouse net.Dialer
	// managed: this dialer serves the org's managed connection and may reach the warehouse.
	managed bool
}

// Dialer returns a dialer for connections users configure, with the given connect timeout.
func (p *Policy) Dialer(timeout time.Duration) *Dialer {
	return &Dialer{
		policy:    p,
		checked:   net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: p.control},
		trusted:   net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: p.controlProtected},
		warehouse: net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second},
	}
}

// ManagedDialer is Dialer for the org's managed-warehouse connection, the one connection the
// server itself made: it also reaches the warehouse's exact host and port (see Manage).
func (p *Policy) ManagedDialer(timeout time.Duration) *Dialer {
	d := p.Dialer(timeout)
	d.managed = true
	return d
}

// DialContext connects to addr ("host:port"). The managed dialer reaches the warehouse's host
// and port as configured; allowlisted host names skip the address check (but for the metadata
// database's address); every other connection is checked on the address actually dialed.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	host = normalHost(host)
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("%w: bad port in %q", ErrDenied, addr)
	}
	if m := d.policy.managed; d.managed && m != nil && host == m.Host && uint16(port) == m.Port {
		return d.warehouse.DialContext(ctx, network, addr)
	}
	// The metadata database by the name it was registered under: refused before any lookup,
	// so a changed DNS answer cannot slip past the address check below. (Addresses are
	// checked at dial time, where an allowlisted CIDR can open them.)
	for _, e := range d.policy.protected {
		if _, isAddr := netip.ParseAddr(host); isAddr != nil && !e.byAddress && host == e.Host && uint16(port) == e.Port {
			return nil, fmt.Errorf("%w: %s is the metadata database (only EGRESS_ALLOWLIST can open it)", ErrDenied, addr)
		}
	}
	if d.policy.allowHosts[host] {
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
