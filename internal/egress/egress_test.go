package egress_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/datanika/datanika/internal/egress"
)

func TestCheckAddr_DeniesPrivateLoopbackLinkLocalAndMetadata(t *testing.T) {
	t.Parallel()
	p, err := egress.New(false, "")
	require.NoError(t, err)
	for _, a := range []string{
		"127.0.0.1", "127.1.2.3", "::1", "10.0.0.1", "10.255.255.255", "172.16.0.1", "192.168.1.1",
		"169.254.169.254", "169.254.1.1", "fe80::1", "fd00:ec2::254", "fc00::1", "100.64.0.1", "0.0.0.0", "::",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1", "224.0.0.1",
	} {
		require.ErrorIs(t, p.CheckAddr(netip.MustParseAddr(a)), egress.ErrDenied, a)
	}
	for _, a := range []string{"8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "172.32.0.1", "100.128.0.1"} {
		require.NoError(t, p.CheckAddr(netip.MustParseAddr(a)), a)
	}
}

func TestCheckAddr_AllowPrivateStillDeniesMetadata(t *testing.T) {
	t.Parallel()
	p, err := egress.New(true, "")
	require.NoError(t, err)
	require.NoError(t, p.CheckAddr(netip.MustParseAddr("127.0.0.1")))
	require.NoError(t, p.CheckAddr(netip.MustParseAddr("10.1.2.3")))
	require.ErrorIs(t, p.CheckAddr(netip.MustParseAddr("169.254.169.254")), egress.ErrDenied)
	require.ErrorIs(t, p.CheckAddr(netip.MustParseAddr("::ffff:169.254.169.254")), egress.ErrDenied)
}

func TestCheckAddr_AllowlistOpensAddressesAndRanges(t *testing.T) {
	t.Parallel()
	p, err := egress.New(false, "10.1.0.0/16, 192.168.7.7 ,db.internal")
	require.NoError(t, err)
	require.NoError(t, p.CheckAddr(netip.MustParseAddr("10.1.200.3")))
	require.NoError(t, p.CheckAddr(netip.MustParseAddr("192.168.7.7")))
	require.ErrorIs(t, p.CheckAddr(netip.MustParseAddr("10.2.0.1")), egress.ErrDenied)
	_, err = egress.New(false, "10.0.0.0/99")
	require.Error(t, err)
}

func TestDialer_ChecksTheResolvedAddressOfANameThatPointsInside(t *testing.T) {
	t.Parallel()
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = ln.Close() }()
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	p, _ := egress.New(false, "")
	d := p.Dialer(2 * time.Second)
	// "localhost" looks harmless as a name; it resolves to loopback, and that is what is checked.
	_, err = d.DialContext(context.Background(), "tcp", net.JoinHostPort("localhost", port))
	require.ErrorIs(t, err, egress.ErrDenied)
	_, err = d.DialContext(context.Background(), "tcp", net.JoinHostPort("::ffff:127.0.0.1", port))
	require.ErrorIs(t, err, egress.ErrDenied)

	// Allowed, the same dial goes through.
	open, _ := egress.New(true, "")
	conn, err := open.Dialer(2*time.Second).DialContext(context.Background(), "tcp", net.JoinHostPort("127.0.0.1", port))
	require.NoError(t, err)
	_ = conn.Close()

	// An allowlisted host name is trusted whatever it resolves to.
	named, _ := egress.New(false, "localhost")
	conn, err = named.Dialer(2*time.Second).DialContext(context.Background(), "tcp", net.JoinHostPort("localhost", port))
	require.NoError(t, err)
	_ = conn.Close()
}

func TestHTTPClient_ARedirectToAPrivateAddressIsRefused(t *testing.T) {
	t.Parallel()
	inside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("internal secrets"))
	}))
	defer inside.Close()

	// The public-facing server lives on 127.0.0.2, which the allowlist opens; 127.0.0.1 stays closed.
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.2:0")
	require.NoError(t, err)
	outside := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inside.URL+"/admin", http.StatusFound)
	}))
	_ = outside.Listener.Close()
	outside.Listener = ln
	outside.Start()
	defer outside.Close()

	p, _ := egress.New(false, "127.0.0.2/32")
	client := p.HTTPClient(5 * time.Second)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, outside.URL, nil)
	res, err := client.Do(req)
	if res != nil {
		_ = res.Body.Close()
	}
	require.ErrorIs(t, err, egress.ErrDenied)

	// Directly, the inside server is refused too.
	req, _ = http.NewRequestWithContext(context.Background(), http.MethodGet, inside.URL, nil)
	res, err = client.Do(req)
	if res != nil {
		_ = res.Body.Close()
	}
	require.ErrorIs(t, err, egress.ErrDenied)
}

// Issue #14 item 5: documentation and the other special-purpose ranges of IANA's registries are
// not public addresses. (Before the fix 192.0.2.1, 198.51.100.7, 203.0.113.9, 2001:db8::1,
// 2002:7f00:1::1 and 100::1 were allowed.)
func TestCheckAddr_DeniesDocumentationAndSpecialPurposeRanges(t *testing.T) {
	t.Parallel()
	p, err := egress.New(false, "")
	require.NoError(t, err)
	for _, a := range []string{
		"192.0.2.1", "198.51.100.7", "203.0.113.9", "192.88.99.1", "198.19.255.255", "255.255.255.255", "192.0.0.9",
		"2001:db8::1", "3fff::1", "2002:7f00:1::1", "2001::1", "2001:2::1", "100::1", "64:ff9b:1::1", "5f00::1",
		"fec0::1", "::7f00:1", "ff02::1",
	} {
		require.ErrorIs(t, p.CheckAddr(netip.MustParseAddr(a)), egress.ErrDenied, a)
	}
	for _, a := range []string{"192.0.3.1", "198.51.101.1", "203.0.114.1", "2a00:1450:4001::1", "2600::1"} {
		require.NoError(t, p.CheckAddr(netip.MustParseAddr(a)), a)
	}
}

// The server's own interface addresses lead to its own services, whatever range they are in.
func TestCheckAddr_DeniesTheServersOwnAddressesWhenPrivateEgressIsOff(t *testing.T) {
	t.Parallel()
	p, err := egress.New(false, "")
	require.NoError(t, err)
	p.SetLocalAddrs("8.8.4.4", "2600::42")
	require.ErrorIs(t, p.CheckAddr(netip.MustParseAddr("8.8.4.4")), egress.ErrDenied)
	require.ErrorIs(t, p.CheckAddr(netip.MustParseAddr("2600::42")), egress.ErrDenied)
	require.NoError(t, p.CheckAddr(netip.MustParseAddr("8.8.8.8")))

	open, err := egress.New(true, "")
	require.NoError(t, err)
	open.SetLocalAddrs("8.8.4.4")
	require.NoError(t, open.CheckAddr(netip.MustParseAddr("8.8.4.4")))
}

func listen(t *testing.T, addr string) string {
	t.Helper()
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

func dial(d *egress.Dialer, host, port string) error {
	c, err := d.DialContext(context.Background(), "tcp", net.JoinHostPort(host, port))
	if err == nil {
		_ = c.Close()
	}
	return err
}

// Issue #14 item 1: the metadata database's host:port is closed to every connection users
// configure, even with private egress allowed; only the allowlist opens it.
func TestProtect_TheMetadataDatabaseIsClosedEvenWithPrivateEgress(t *testing.T) {
	t.Parallel()
	meta := listen(t, "0.0.0.0:0")
	other := listen(t, "127.0.0.1:0")

	p, err := egress.New(true, "")
	require.NoError(t, err)
	require.NoError(t, p.Protect(context.Background(), "localhost", portOf(t, meta)))
	d := p.Dialer(2 * time.Second)
	for _, host := range []string{"localhost", "127.0.0.1", "127.0.0.2", "::ffff:127.0.0.1", "0.0.0.0"} {
		require.ErrorIs(t, dial(d, host, meta), egress.ErrDenied, host)
	}
	require.NoError(t, dial(d, "127.0.0.1", other), "another port of that host follows the normal policy")

	// An allowlisted name that happens to lead there does not open it either.
	named, err := egress.New(false, "db.example.internal,localhost.localdomain")
	require.NoError(t, err)
	require.NoError(t, named.Protect(context.Background(), "127.0.0.1", portOf(t, meta)))
	require.ErrorIs(t, dial(named.Dialer(2*time.Second), "localhost", meta), egress.ErrDenied)

	// The allowlist naming it, by name or address, does.
	for _, allow := range []string{"localhost", "127.0.0.0/8"} {
		opened, err := egress.New(false, allow)
		require.NoError(t, err)
		require.NoError(t, opened.Protect(context.Background(), "localhost", portOf(t, meta)))
		require.NoError(t, dial(opened.Dialer(2*time.Second), "localhost", meta), allow)
	}

	// A Unix socket directory is this machine.
	sock, err := egress.New(true, "")
	require.NoError(t, err)
	require.NoError(t, sock.Protect(context.Background(), "/var/run/postgresql", portOf(t, meta)))
	require.ErrorIs(t, dial(sock.Dialer(2*time.Second), "127.0.0.1", meta), egress.ErrDenied)
}

// Only the managed dialer reaches the warehouse, and only its exact host and port.
func TestManagedDialer_ReachesExactlyTheWarehouse(t *testing.T) {
	t.Parallel()
	warehouse := listen(t, "127.0.0.1:0")
	other := listen(t, "127.0.0.1:0")
	for _, allowPrivate := range []bool{false, true} {
		p, err := egress.New(allowPrivate, "")
		require.NoError(t, err)
		// The documented set-up: the warehouse is the metadata database's server.
		require.NoError(t, p.Protect(context.Background(), "127.0.0.1", portOf(t, warehouse)))
		require.NoError(t, p.Manage(context.Background(), "127.0.0.1", portOf(t, warehouse)))

		managed := p.ManagedDialer(2 * time.Second)
		require.NoError(t, dial(managed, "127.0.0.1", warehouse))
		require.ErrorIs(t, dial(managed, "localhost", warehouse), egress.ErrDenied, "exactly the warehouse's host, as configured")

		tenant := p.Dialer(2 * time.Second)
		require.ErrorIs(t, dial(tenant, "127.0.0.1", warehouse), egress.ErrDenied)
		if allowPrivate {
			require.NoError(t, dial(managed, "127.0.0.1", other))
			require.NoError(t, dial(tenant, "127.0.0.1", other))
		} else {
			require.ErrorIs(t, dial(managed, "127.0.0.1", other), egress.ErrDenied)
			require.ErrorIs(t, dial(tenant, "127.0.0.1", other), egress.ErrDenied)
		}
	}
}

func portOf(t *testing.T, port string) uint16 {
	t.Helper()
	n, err := strconv.ParseUint(port, 10, 16)
	require.NoError(t, err)
	return uint16(n)
}
